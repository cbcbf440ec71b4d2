// Fuzz target: model descriptions as `curvopt train --model` and `curvopt model describe` parse
// them. A description may be refused with ValueError; one that parses must build on a small
// image and a flat input or be refused the same way, and its canonical text must rebuild the same
// layers.

#include <string>

#include "curvopt/core/errors.h"
#include "curvopt/nn/model_file.h"
#include "curvopt/nn/model_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)curvopt::parse_model_spec(text);
  } catch (const curvopt::ValueError&) {
    return 0;
  }
  for (const curvopt::Shape input : {curvopt::Shape::image(1, 12, 12), curvopt::Shape::flat(5)}) {
    try {
      // Small networks only: the fuzzer's memory limit is not the library's.
      const auto model = curvopt::build_model<float>(
          text, input, curvopt::Initializer::kPyTorchDefault, 1, 1 << 20);
      const auto again = curvopt::build_model<float>(curvopt::format_model_spec(model), input);
      if (curvopt::describe_layers(again) != curvopt::describe_layers(model)) __builtin_trap();
      (void)curvopt::describe_model(model);
    } catch (const curvopt::ValueError&) {
    }
  }
  return 0;
}

#include "curvopt/nn/model_spec.h"

#include <gtest/gtest.h>

#include <string>

#include "curvopt/core/errors.h"
#include "curvopt/nn/model_file.h"

namespace curvopt {
namespace {

std::string error_of(const std::string& text, const Shape& input = Shape::flat(4)) {
  try {
    build_model<float>(text, input);
  } catch (const ValueError& e) {
    return e.what();
  }
  return "no error";
}

void expect_contains(const std::string& message, const std::string& what) {
  EXPECT_NE(message.find(what), std::string::npos) << message;
}

TEST(ModelSpec, BuildsTheIssuesExamples) {
  const Sequential<float> mlp =
      build_model<float>("dense 64 elu dense 64 elu dense 1", Shape::flat(13));
  ASSERT_EQ(mlp.num_layers(), 5);
  EXPECT_EQ(mlp.layer(0).type(), "Dense");
  EXPECT_EQ(mlp.layer(1).type(), "ELU");
  // (13 + 1)·64 + (64 + 1)·64 + (64 + 1)·1
  EXPECT_EQ(mlp.num_parameters(), 14 * 64 + 65 * 64 + 65);
  EXPECT_EQ(mlp.output_size(), 1);

  const Sequential<float> cnn = build_model<float>(
      "conv 32 5 relu pool 2 conv 64 5 relu pool 2 flatten dense 10", Shape::image(1, 28, 28));
  // 28 → 24 → 12 → 8 → 4: 64·4·4 features into the dense layer.
  EXPECT_EQ(cnn.num_parameters(), (25 + 1) * 32 + (32 * 25 + 1) * 64 + (64 * 16 + 1) * 10);
  EXPECT_EQ(cnn.layer(6).output_shape(), Shape::flat(64 * 16));
  EXPECT_EQ(cnn.output_size(), 10);
}

TEST(ModelSpec, OptionsAliasesCaseAndComments) {
  const Sequential<double> m = build_model<double>(
      "# a commented description\n"
      "Conv 8 3x5 stride=2 padding=1   # rectangular kernel\n"
      "LeakyReLU slope=0.2 maxpool 2 stride=1 linear 3 elu alpha=0.5",
      Shape::image(2, 16, 16));
  ASSERT_EQ(m.num_layers(), 5);
  EXPECT_EQ(m.layer(0).config(), "out_channels=8 kernel_h=3 kernel_w=5 stride=2 padding=1");
  EXPECT_EQ(m.layer(1).config(), "negative_slope=0.2");
  EXPECT_EQ(m.layer(2).config(), "kernel=2 stride=1");
  EXPECT_EQ(m.layer(3).type(), "Dense");
  EXPECT_EQ(m.layer(4).config(), "alpha=0.5");
  // padding=same keeps the size of an odd square kernel's image at stride 1.
  const Sequential<float> same = build_model<float>("conv 4 5 padding=same", Shape::image(1, 9, 9));
  EXPECT_EQ(same.output_shape(), Shape::image(4, 9, 9));
}

TEST(ModelSpec, DescribeParseRoundTripsToTheSameNetwork) {
  const char* specs[] = {
      "dense 64 elu dense 64 elu dense 1",
      "conv 32 5 relu pool 2 conv 64 5 relu pool 2 flatten dense 10",
      "conv 8 3x5 stride=2 padding=1 leaky-relu slope=0.2 pool 3 stride=2 dense 4 rrelu "
      "lower=0.1 upper=0.2 dense 2 tanh sigmoid softplus",
      "dense 5 leaky-relu elu rrelu dense 1",
  };
  for (const char* spec : specs) {
    const Shape input =
        std::string(spec).rfind("conv", 0) == 0 ? Shape::image(3, 28, 28) : Shape::flat(7);
    const Sequential<float> first = build_model<float>(spec, input);
    const std::string canonical = format_model_spec(first);
    const Sequential<float> second = build_model<float>(canonical, input);
    EXPECT_EQ(describe_layers(first), describe_layers(second)) << spec << " → " << canonical;
    EXPECT_EQ(first.num_parameters(), second.num_parameters());
    EXPECT_EQ(format_model_spec(second), canonical);  // a fixed point
    // The same seed draws the same weights for the same layers.
    EXPECT_EQ(first.parameters(), second.parameters());
    const std::string table = describe_model(first);
    expect_contains(table, "parameters: " + std::to_string(first.num_parameters()));
    expect_contains(table, "description: " + canonical);
  }
  EXPECT_EQ(
      format_model_spec(build_model<float>("dense 5 leaky-relu elu rrelu dense 1", Shape::flat(3))),
      "dense 5 leaky-relu elu rrelu dense 1");  // defaults are not written out
}

TEST(ModelSpec, ErrorsNameTheWordAndColumn) {
  expect_contains(error_of("dense 64 elu dens 1"), "word 4 'dens' (column 14): unknown layer");
  expect_contains(error_of("dense 64 elu dens 1"), "known: dense, conv");
  expect_contains(error_of("dense elu"), "word 2 'elu' (column 7): expected the number of units");
  expect_contains(error_of("dense"), "the description ends; expected the number of units");
  expect_contains(error_of("dense 0"),
                  "word 2 '0' (column 7): the number of units must be a "
                  "positive integer");
  expect_contains(error_of("dense 2.5"), "must be a positive integer");
  expect_contains(error_of("dense 4 5"), "word 3 '5' (column 9): a number after 'dense 4'");
  expect_contains(error_of("relu slope=2"), "'relu' takes no options");
  expect_contains(error_of("leaky-relu alpha=2"), "'leaky-relu' takes the options slope");
  expect_contains(error_of("stride=2 dense 1"), "an option must follow the layer");
  expect_contains(error_of("64 dense 1"), "a number where a layer name belongs");
  expect_contains(error_of("conv 4 3x"), "HxW with positive integers");
  expect_contains(error_of("conv 4 4 padding=same", Shape::image(1, 8, 8)),
                  "padding=same needs an odd square kernel");
  expect_contains(error_of("elu alpha=abc"), "alpha = 'abc': expected a finite number");
  expect_contains(error_of("  \n # only a comment\n"), "model description: empty");
  // Shapes: the word that does not fit, with a hint for image layers on flat data.
  const std::string flat = error_of("dense 8 conv 4 5 dense 1");
  expect_contains(flat, "word 3 'conv 4 5' (column 9)");
  expect_contains(flat, "8 flat features");
  expect_contains(error_of("conv 4 9", Shape::image(1, 5, 5)), "word 1 'conv 4 9' (column 1)");
  // Sizes that would exhaust memory or overflow are refused before anything is allocated.
  expect_contains(error_of("dense 1000000 dense 1000000"),
                  "word 3 'dense 1000000' (column 15): the network would have 1000006000000 "
                  "parameters");
  expect_contains(error_of("dense 99999999999"), "must be a positive integer");
  expect_contains(error_of("conv 2 3 padding=4611686018427387904", Shape::image(1, 8, 8)),
                  "'padding' must be 'same' or an integer from 0 to 1048576");
  expect_contains(error_of("conv 2 3 stride=0", Shape::image(1, 8, 8)),
                  "'stride' must be an integer from 1");
}

TEST(ModelSpec, ParsesShapes) {
  EXPECT_EQ(parse_shape("13"), Shape::flat(13));
  EXPECT_EQ(parse_shape("28x28"), Shape::image(1, 28, 28));
  EXPECT_EQ(parse_shape("3x32x32"), Shape::image(3, 32, 32));
  for (const char* bad : {"", "0", "3x", "x3", "1x2x3x4", "a", "-4"})
    EXPECT_THROW(parse_shape(bad), ValueError) << bad;
}

}  // namespace
}  // namespace curvopt

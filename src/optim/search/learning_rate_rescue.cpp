#include "curvopt/optim/search/learning_rate_rescue.h"

namespace curvopt {

std::string_view to_string(LrSearchGrid g) { return g == LrSearchGrid::kS1 ? "s1" : "halving"; }

bool parse_enum(std::string_view text, LrSearchGrid& out) {
  for (LrSearchGrid g : {LrSearchGrid::kS1, LrSearchGrid::kHalving}) {
    if (text == to_string(g)) {
      out = g;
      return true;
    }
  }
  return false;
}

std::string enum_choices(LrSearchGrid) { return "s1, halving"; }

}  // namespace curvopt

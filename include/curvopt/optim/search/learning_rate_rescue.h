#pragma once
/// A fallback search over the learning rate when a trial step fails: Pooladzandi & Zhou's (2022)
/// rescue of a rejected Levenberg-Marquardt step, usable after any failed proposal.

#include <limits>
#include <string>
#include <string_view>

namespace curvopt {

/// The learning rates the rescue tries.
enum class LrSearchGrid {
  kS1,       ///< Pooladzandi & Zhou (2022): lr_j = 1e-6 + 0.125·j, j = 0..71; the best of all 72
  kHalving,  ///< 1/2, 1/4, …, 1/64: the first that lowers the loss (at most 6 evaluations)
};

std::string_view to_string(LrSearchGrid g);
bool parse_enum(std::string_view text, LrSearchGrid& out);
std::string enum_choices(LrSearchGrid);

struct LearningRateRescue {
  LrSearchGrid grid = LrSearchGrid::kS1;

  struct Result {
    bool found = false;  ///< some learning rate lowered the loss below f_old
    double learning_rate = 0;
    double loss = std::numeric_limits<double>::infinity();
  };

  /// Evaluates loss_at(lr) over the grid (same data as f_old) and returns the best learning rate
  /// that lowers the loss below f_old, if any. A non-finite trial counts as no decrease.
  template <class LossAt>
  Result search(LossAt&& loss_at, double f_old) const {
    Result r;
    if (grid == LrSearchGrid::kS1) {
      for (int k = 0; k < 72; ++k) {
        const double candidate = 1e-6 + 0.125 * k;
        const double f = loss_at(candidate);
        if (f < r.loss) r.loss = f, r.learning_rate = candidate;
      }
    } else {
      for (double candidate = 0.5; candidate >= 1.0 / 64 && !(r.loss < f_old); candidate /= 2) {
        const double f = loss_at(candidate);
        if (f < r.loss) r.loss = f, r.learning_rate = candidate;
      }
    }
    r.found = r.loss < f_old;
    return r;
  }
};

}  // namespace curvopt

// L-BFGS as a composition: this file validates the options, builds the two-loop descent and the
// line search, and lists the option fields.

#include "curvopt/optim/lbfgs.h"

#include <memory>

#include "curvopt/optim/search/backtracking_search.h"
#include "curvopt/optim/search/fixed_search.h"
#include "curvopt/optim/search/strong_wolfe_search.h"
#include "option_list.h"

namespace curvopt {

std::optional<std::string> LbfgsOptions::validate() const {
  const char* o = "LbfgsOptions";
  std::optional<std::string> memory_error;
  if (memory < 1)
    memory_error = "LbfgsOptions::memory = " + std::to_string(memory) + ": must be >= 1";
  return first_error({require_positive(o, "learning_rate", learning_rate), memory_error,
                      line_search.validate(),
                      require_non_negative(o, "curvature_epsilon", curvature_epsilon),
                      require_non_negative(o, "gradient_tolerance", gradient_tolerance),
                      require_non_negative(o, "change_tolerance", change_tolerance)});
}

namespace {

template <class Scalar>
std::unique_ptr<Descent<Scalar>> lbfgs_descent(const LbfgsOptions& o) {
  throw_if_invalid(o);
  return std::make_unique<LbfgsDescent<Scalar>>(
      LbfgsDescentOptions{.scale = o.learning_rate,
                          .memory = o.memory,
                          .curvature_epsilon = o.curvature_epsilon,
                          .reset_on_failure = o.reset_on_failure});
}

std::unique_ptr<Search> lbfgs_search(const LbfgsOptions& o) {
  const LineSearchOptions& ls = o.line_search;
  switch (ls.kind) {
    case LineSearchKind::kNone:
      return std::make_unique<FixedSearch>(StepScalar::kStepSize, o.learning_rate);
    case LineSearchKind::kArmijo:
      return std::make_unique<BacktrackingSearch>(
          BacktrackingSearchOptions{.initial_step = o.learning_rate,
                                    .factor = ls.backtrack_factor,
                                    .c1 = ls.c1,
                                    .min_step = ls.min_step});
    case LineSearchKind::kStrongWolfe:
      break;
  }
  return std::make_unique<StrongWolfeSearch>(ls);
}

DescentSearchOptions loop_options(const LbfgsOptions& o) {
  const LineSearchOptions& ls = o.line_search;
  // The strong-Wolfe search may revisit its best bracket end once after its budget.
  const int trials = ls.kind == LineSearchKind::kNone     ? 1
                     : ls.kind == LineSearchKind::kArmijo ? ls.max_evaluations
                                                          : ls.max_evaluations + 1;
  return {.learning_rate = 1,
          .max_trials = trials,
          .gradient_tolerance = o.gradient_tolerance,
          .change_tolerance = o.change_tolerance};
}

}  // namespace

template <class Scalar>
Lbfgs<Scalar>::Lbfgs(const Options& options)
    : DescentSearchMinimizer<Scalar>("lbfgs", lbfgs_descent<Scalar>(options), lbfgs_search(options),
                                     loop_options(options)),
      options_(options) {}

template <class Scalar>
LineSearchOutcome Lbfgs<Scalar>::last_line_search() const {
  if (const auto* wolfe = dynamic_cast<const StrongWolfeSearch*>(&this->search()))
    return wolfe->last_outcome();
  return LineSearchOutcome::kFailed;
}

template <class Scalar>
const OptionFields<LbfgsOptions>& Lbfgs<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    f.push_back(learning_rate_field<Options>("first trial step scale > 0 (1)"));
    f.push_back(option_field<Options>(
        "memory", "curvature pairs kept >= 1 (100)", [](auto& o) -> auto& { return o.memory; },
        "history_size"));
    f.push_back(option_field<Options>(
        "line_search", "none, armijo, strong-wolfe (strong-wolfe)",
        [](auto& o) -> auto& { return o.line_search.kind; }));
    f.push_back(option_field<Options>(
        "c1", "sufficient-decrease constant (1e-4)",
        [](auto& o) -> auto& { return o.line_search.c1; }));
    f.push_back(option_field<Options>(
        "c2", "strong-Wolfe curvature constant (0.9)",
        [](auto& o) -> auto& { return o.line_search.c2; }));
    f.push_back(option_field<Options>(
        "backtrack_factor", "Armijo step shrink factor in (0, 1) (0.5)",
        [](auto& o) -> auto& { return o.line_search.backtrack_factor; }));
    f.push_back(option_field<Options>(
        "max_evaluations", "line-search evaluations per step (25)",
        [](auto& o) -> auto& { return o.line_search.max_evaluations; }, "max_ls"));
    f.push_back(option_field<Options>(
        "min_step", "Armijo gives up below this step (1e-25)",
        [](auto& o) -> auto& { return o.line_search.min_step; }));
    f.push_back(option_field<Options>(
        "bracket_tolerance", "zoom stops below this bracket width (1e-9)",
        [](auto& o) -> auto& { return o.line_search.bracket_tolerance; }));
    f.push_back(option_field<Options>(
        "curvature_epsilon", "pair test s'y > eps |s||y| (1e-8)",
        [](auto& o) -> auto& { return o.curvature_epsilon; }));
    f.push_back(option_field<Options>(
        "gradient_tolerance", "converged when max|g| <= this (1e-7)",
        [](auto& o) -> auto& { return o.gradient_tolerance; }));
    f.push_back(option_field<Options>(
        "change_tolerance", "converged when a step changes f or theta less (1e-9)",
        [](auto& o) -> auto& { return o.change_tolerance; }));
    f.push_back(option_field<Options>(
        "reset_on_failure", "drop the pairs after a failed line search (true)",
        [](auto& o) -> auto& { return o.reset_on_failure; }));
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> Lbfgs<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template class Lbfgs<float>;
template class Lbfgs<double>;

}  // namespace curvopt

#pragma once
/// The interface every curvopt optimizer implements.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "curvopt/core/types.h"
#include "curvopt/optim/optimizer_state.h"
#include "curvopt/optim/step_report.h"
#include "curvopt/problem/problem.h"

namespace curvopt {

/// An iterative minimizer of a Problem.
///
/// step() makes one iteration on the data currently bound to the problem (for a training
/// objective: the batch given to Objective::set_batch), so every evaluation inside the step,
/// including acceptance tests and line-search trials, sees the same batch. When the step is
/// accepted the parameters are updated in place; otherwise they are left bit-identical and the
/// report says why. Misuse (wrong sizes, missing oracles) throws; numerical trouble is reported.
///
/// Buffers are sized on the first step; later steps allocate nothing.
/// @tparam Scalar float or double
template <class Scalar>
class Optimizer {
 public:
  virtual ~Optimizer() = default;

  /// The method's registry name ("adam"). Aliases resolve to their method: `gd` builds an Sgd,
  /// whose name is "sgd"; states saved under that name load into either.
  virtual std::string_view name() const = 0;
  /// The oracles step() calls.
  virtual OracleSet required_oracles() const { return Oracle::kValue | Oracle::kGradient; }

  /// One iteration from `params` on `problem`.
  virtual StepReport step(Problem<Scalar>& problem, VectorRef<Scalar> params) = 0;

  /// Forgets everything learned so far (moments, curvature pairs, counters).
  virtual void reset() = 0;
  /// The state a checkpoint must keep to continue bit-identically.
  virtual OptimizerState save_state() const = 0;
  /// Restores what save_state() returned; throws ValueError when it belongs to another optimizer
  /// or its sizes do not match.
  virtual void load_state(const OptimizerState& state) = 0;

  /// Parameters to evaluate and report in place of the iterate, when the method keeps such:
  /// the averaged iterate (iterate averaging) or the best iterate seen (full-batch LM with
  /// keep_best). nullptr: evaluate the iterate itself. Never feeds back into the steps.
  virtual const Vector<Scalar>* evaluation_parameters() const { return nullptr; }

  /// The resolved options as (key, value) text pairs, in declaration order: what a run records
  /// so that it can be reproduced.
  virtual std::vector<std::pair<std::string, std::string>> options() const = 0;
};

namespace detail {

/// Throws ShapeError unless params, the problem and (when known) the optimizer's state agree on
/// the number of parameters.
void check_parameter_count(std::string_view optimizer, Index params, Index problem, Index state);
/// Throws ValueError unless `state` was saved by `optimizer`.
void check_state_owner(std::string_view optimizer, const OptimizerState& state);

/// The first phase of most steps: f and ∇f at θ into `grad`, timed (gradient_seconds), counted
/// and recorded (loss_before). Returns false, with the report's status and message set, when
/// either is not finite: the step must then leave θ untouched.
template <class Scalar>
bool evaluate_gradient(Problem<Scalar>& problem, ConstVectorRef<Scalar> params,
                       VectorRef<Scalar> grad, StepReport& report);
/// Records f (already evaluated) as loss_before; false, with status and message set, when f or
/// `grad` is not finite.
template <class Scalar>
bool accept_gradient(Scalar f, ConstVectorRef<Scalar> grad, StepReport& report);

extern template bool evaluate_gradient<float>(Problem<float>&, ConstVectorRef<float>,
                                              VectorRef<float>, StepReport&);
extern template bool evaluate_gradient<double>(Problem<double>&, ConstVectorRef<double>,
                                               VectorRef<double>, StepReport&);
extern template bool accept_gradient<float>(float, ConstVectorRef<float>, StepReport&);
extern template bool accept_gradient<double>(double, ConstVectorRef<double>, StepReport&);

}  // namespace detail
}  // namespace curvopt

#pragma once
/// The descent half of descent × search (the split of optimistix, Rader, Lyons & Kidger 2024): at
/// a point, turn the gradient and the method's curvature into a step for a scalar that a search
/// chooses: a damping λ, a trust-region radius Δ or a step size α.

#include <limits>
#include <string>
#include <string_view>

#include "curvopt/core/types.h"
#include "curvopt/optim/optimizer_state.h"
#include "curvopt/optim/step_report.h"
#include "curvopt/problem/problem.h"

namespace curvopt {

/// What the scalar a search hands to a descent means; a descent and its search must agree.
enum class StepScalar {
  kDamping,   ///< λ in (B + λD) s = −g: larger λ, shorter step
  kRadius,    ///< Δ in min m(s) s.t. ‖s‖ ≤ Δ
  kStepSize,  ///< α in s = α·p for a direction p fixed at the point
};

std::string_view to_string(StepScalar scalar);
bool parse_enum(std::string_view text, StepScalar& out);
std::string enum_choices(StepScalar);

/// What a descent sees at the iterate θ, once per step.
template <class Scalar>
struct DescentPoint {
  Problem<Scalar>& problem;  ///< the problem the step's trials are evaluated on
  ConstVectorRef<Scalar> params;
  const Vector<Scalar>& gradient;  ///< ∇f(θ)
  double value;                    ///< f(θ)
  /// The last accepted step θ − θ_prev, or nullptr when there is none (momentum reads it).
  const Vector<Scalar>* previous_step;
};

/// The outcome of one step() of a descent.
struct DescentResult {
  bool ok = true;            ///< false: no usable step for this scalar (the trial is rejected)
  int iterations = 0;        ///< inner iterations (CG, geodesic solve)
  std::string_view message;  ///< why not ok, when the descent can say (static text)
};

/// A way of proposing steps at one point. begin() picks shape-dependent storage, prepare() does
/// the once-per-point work (a Jacobian, a factorization, curvature pairs), then step() may be
/// called for several scalars (the search's trials) without repeating it. curvature() gives the
/// quadratic model's sᵀBs, from which the minimizer predicts the reduction −(gᵀs + ½sᵀBs) a trial
/// is judged against. Implementations allocate nothing after their first point at a shape.
/// @tparam Scalar float or double
template <class Scalar>
class Descent {
 public:
  virtual ~Descent() = default;

  virtual StepScalar scalar() const = 0;
  /// The oracles prepare(), step() and curvature() call (value and gradient are implied).
  virtual OracleSet required_oracles() const = 0;
  /// Called first in every step, before the gradient: chooses storage for this problem's shape
  /// (n parameters) and resets the finer phase times. Returns the solver label for the report
  /// ("parameter-space"), or empty.
  virtual std::string_view begin(Problem<Scalar>& problem, Index n) = 0;
  /// The once-per-point work. False, with the report's status and message set, when it produced
  /// something non-finite: the step then ends with θ untouched.
  virtual bool prepare(const DescentPoint<Scalar>& point, StepReport& report) = 0;
  /// The step for `scalar` into `step`.
  virtual DescentResult step(double scalar, VectorRef<Scalar> step) = 0;
  /// sᵀBs for the model's curvature B at the prepared point (0 for a linear model).
  virtual double curvature(ConstVectorRef<Scalar> s) = 0;
  /// The last step() before any decorator changed it (uphill acceptance compares its direction
  /// with the previous step's).
  virtual const Vector<Scalar>& base_step() const = 0;
  /// The last step() was accepted (a descent with memory updates it here).
  virtual void accepted() {}
  /// For a kStepSize descent, the direction p of s = α·p at the prepared point, along which a
  /// line search measures slopes; nullptr for a descent whose steps are not one direction.
  virtual const Vector<Scalar>* direction() const { return nullptr; }
  /// The scalar this point's first trial should use (L-BFGS's unit step, shortened while it has
  /// no curvature pairs), or NaN to leave the choice to the search.
  virtual double suggested_scalar() const { return std::numeric_limits<double>::quiet_NaN(); }
  /// Whether the descent learns from the gradient at each accepted point (L-BFGS's pairs): the
  /// loop then hands it learn() after accepted(), taking ∇f(θ + s) on the step's data.
  virtual bool needs_accepted_gradient() const { return false; }
  /// After accepted(), when needs_accepted_gradient(): the accepted move s = θ₊ − θ and the
  /// gradients at θ and θ₊, both on the step's data.
  virtual void learn(ConstVectorRef<Scalar> /*move*/, ConstVectorRef<Scalar> /*gradient*/,
                     ConstVectorRef<Scalar> /*new_gradient*/) {}
  /// The step ended without an accepted trial (a descent with memory may drop it).
  virtual void step_failed() {}
  /// The finer phase times (Jacobian, matrix, factorization) since begin(), into `times`.
  virtual void report_times(StepTimes& /*times*/) const {}
  /// Hessian or Gauss-Newton products made since prepare() (for the step report).
  virtual int curvature_products() const { return 0; }

  virtual void reset() = 0;
  /// What a checkpoint must keep, under the descent's own keys.
  virtual void save(OptimizerState& /*state*/) const {}
  virtual void load(const OptimizerState& /*state*/, Index /*n*/) {}
};

}  // namespace curvopt

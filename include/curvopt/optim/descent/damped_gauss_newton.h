#pragma once
/// The damped Gauss-Newton descent: s = −(JᵀJ + λ·diag(d))⁻¹ g, in the form (n × n, m × m or
/// matrix-free CG) that suits the problem's shape, with the damping matrix diag(d) of Levenberg,
/// Marquardt or Transtrum & Sethna. Levenberg-Marquardt is this descent × the damping search.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "curvopt/optim/descent/descent.h"
#include "curvopt/optim/gauss_newton_descent.h"
#include "curvopt/problem/curvature_rows_problem.h"

namespace curvopt {

/// The damping matrix diag(d) in (JᵀJ + λ·diag(d)) s = −g.
enum class DampingMatrix {
  kIdentity,     ///< d = 1 (Levenberg 1944)
  kMarquardt,    ///< d = diag(JᵀJ) at the current point (Marquardt 1963)
  kMaxDiagonal,  ///< d = max(d_prev, diag(JᵀJ)) elementwise, from initial_diagonal
                 ///< (Transtrum & Sethna 2012)
};

std::string_view to_string(DampingMatrix m);
bool parse_enum(std::string_view text, DampingMatrix& out);
std::string enum_choices(DampingMatrix);

/// Which curvature the damped system uses.
enum class LmCurvature {
  kGaussNewton,      ///< JᵀJ of the problem's residuals: Gauss-Newton, and for softmax
                     ///< cross-entropy the exact generalized Gauss-Newton (logit Fisher)
  kEmpiricalFisher,  ///< (1/b)Σ∇ℓₛ∇ℓₛᵀ from per-example gradients, m = b
                     ///< (Pooladzandi & Zhou 2022, eq. 7)
  /// the Gauss-Newton matrix from one sampled output direction per example, m = b: unbiased
  /// for JᵀJ (for the cross-entropies the Fisher at targets from the model, Martens & Grosse
  /// 2015), drawn anew at every point
  kSampledGaussNewton,
  /// one true residual √(2fₛ) per example (fₛ its share of the loss), m = b: the Gauss-Newton
  /// matrix of the loss as a sum of squares over examples, Σₛ gₛgₛᵀ/(2fₛ) (the √loss residuals
  /// of minibatch LM trainers for classification)
  kRootLoss,
};

std::string_view to_string(LmCurvature c);
bool parse_enum(std::string_view text, LmCurvature& out);
std::string enum_choices(LmCurvature);

/// The descent's part of LevenbergMarquardtOptions (see there for each field's meaning).
struct DampedGaussNewtonOptions {
  GaussNewtonForm form = GaussNewtonForm::kAuto;
  LmCurvature curvature = LmCurvature::kGaussNewton;
  double memory_budget_bytes = 1073741824.0;
  DampingMatrix damping_matrix = DampingMatrix::kIdentity;
  double initial_diagonal = 0.01;
  double min_diagonal = 1e-8;
  int cg_max_iterations = 250;
  double cg_tolerance = 1e-10;
  /// kSampledGaussNewton: draw t (the t-th prepared point) is seeded by (seed, t).
  std::uint64_t seed = 0;
};

/// Solvers are cached by the number of residuals (the full batches, the short last batch of an
/// epoch, a validation-sized batch each keep theirs), so no step reallocates after warm-up. The
/// damping diagonal of kMaxDiagonal persists across points and is part of the checkpoint
/// (key "damping_diagonal"), as is the count of sampled curvature draws ("curvature_draws").
/// @tparam Scalar float or double
template <class Scalar>
class DampedGaussNewtonDescent final : public Descent<Scalar> {
 public:
  /// `owner` names the optimizer in error messages.
  DampedGaussNewtonDescent(const DampedGaussNewtonOptions& options, std::string owner);

  StepScalar scalar() const override { return StepScalar::kDamping; }
  OracleSet required_oracles() const override;
  std::string_view begin(Problem<Scalar>& problem, Index n) override;
  bool prepare(const DescentPoint<Scalar>& point, StepReport& report) override;
  DescentResult step(double lambda, VectorRef<Scalar> step) override;
  /// ‖J s‖² (the undamped model, as the gain ratio of Levenberg-Marquardt uses).
  double curvature(ConstVectorRef<Scalar> s) override { return solver_->jacobian_norm_squared(s); }
  const Vector<Scalar>& base_step() const override { return s_; }
  /// The trial's damping diagonal becomes the current one (kMaxDiagonal's running maximum).
  void accepted() override { d_.swap(d_trial_); }
  void report_times(StepTimes& times) const override;
  int curvature_products() const override { return solver_->curvature_products(); }
  void reset() override;
  void save(OptimizerState& state) const override;
  void load(const OptimizerState& state, Index n) override;

  // What the decorators (momentum, geodesic acceleration) build on.
  /// The damped system's solver at the prepared point.
  GaussNewtonDescent<Scalar>& solver() { return *solver_; }
  /// diag(d) of this point's trials.
  const Vector<Scalar>& trial_diagonal() const { return d_trial_; }
  const Vector<Scalar>& damping_diagonal() const { return d_; }
  /// The problem the curvature comes from: the step's problem or its per-example-rows face.
  const Problem<Scalar>& curvature_problem() const { return *curvature_; }

 private:
  void resize(Index n);
  GaussNewtonDescent<Scalar>& solver_for(const Problem<Scalar>& problem, Index n);
  Problem<Scalar>& curvature_problem_for(Problem<Scalar>& problem);
  void update_damping_diagonal();

  DampedGaussNewtonOptions options_;
  std::string owner_;
  std::vector<std::pair<Index, std::unique_ptr<GaussNewtonDescent<Scalar>>>> solvers_;
  GaussNewtonDescent<Scalar>* solver_ = nullptr;  // this step's, from solvers_
  Problem<Scalar>* curvature_ = nullptr;
  std::unique_ptr<CurvatureRowsProblem<Scalar>> rows_problem_;
  const Problem<Scalar>* rows_inner_ = nullptr;
  std::uint64_t draws_ = 0;  // points prepared with sampled curvature
  Index n_ = 0;
  Vector<Scalar> d_, d_trial_, neg_grad_, s_;
};

extern template class DampedGaussNewtonDescent<float>;
extern template class DampedGaussNewtonDescent<double>;

}  // namespace curvopt

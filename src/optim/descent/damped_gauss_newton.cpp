#include "curvopt/optim/descent/damped_gauss_newton.h"

#include <algorithm>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {
constexpr std::size_t kCachedSolvers = 4;
}  // namespace

template <class Scalar>
DampedGaussNewtonDescent<Scalar>::DampedGaussNewtonDescent(const DampedGaussNewtonOptions& options,
                                                           std::string owner)
    : options_(options), owner_(std::move(owner)) {}

template <class Scalar>
OracleSet DampedGaussNewtonDescent<Scalar>::required_oracles() const {
  if (options_.curvature == LmCurvature::kEmpiricalFisher ||
      options_.curvature == LmCurvature::kRootLoss)
    return Oracle::kPerExampleGradients;
  if (options_.curvature == LmCurvature::kSampledGaussNewton) return Oracle::kSampledGaussNewton;
  // The explicit forms need J or the JᵀJ oracle (parameter space), or J or the Gram with
  // products (data space): solver_for() checks which once the form is known.
  return options_.form == GaussNewtonForm::kConjugateGradient ? OracleSet(Oracle::kGgnProduct)
                                                              : OracleSet();
}

template <class Scalar>
std::string_view DampedGaussNewtonDescent<Scalar>::begin(Problem<Scalar>& problem, Index n) {
  resize(n);
  curvature_ = &curvature_problem_for(problem);
  solver_ = &solver_for(*curvature_, n);
  solver_->times() = {};
  return to_string(solver_->form());
}

template <class Scalar>
void DampedGaussNewtonDescent<Scalar>::resize(Index n) {
  if (n_ == n) return;
  n_ = n;
  for (Vector<Scalar>* v : {&s_, &neg_grad_, &d_trial_}) v->resize(n);
  d_.setConstant(n, static_cast<Scalar>(options_.initial_diagonal));
}

template <class Scalar>
GaussNewtonDescent<Scalar>& DampedGaussNewtonDescent<Scalar>::solver_for(
    const Problem<Scalar>& problem, Index n) {
  const Index m = problem.num_residuals();
  for (auto& [rows, solver] : solvers_)
    if (rows == m) return *solver;
  const OracleSet oracles = problem.oracles();
  const bool matrix_only =
      oracles.contains(Oracle::kGaussNewtonMatrix) && !oracles.contains(Oracle::kJacobian);
  GaussNewtonForm form = options_.form;
  if (form == GaussNewtonForm::kAuto && matrix_only) {
    // Only JᵀJ: the n × n form when it fits, else matrix-free.
    const double matrices = 3 * static_cast<double>(n) * static_cast<double>(n) * sizeof(Scalar);
    form = matrices <= options_.memory_budget_bytes ? GaussNewtonForm::kParameterSpace
                                                    : GaussNewtonForm::kConjugateGradient;
  } else if (form == GaussNewtonForm::kAuto) {
    // With the JᵀJ oracle the parameter-space form holds no block of J: as if J came in
    // rows of one.
    const Index blocks = oracles.contains(Oracle::kGaussNewtonMatrix)
                             ? std::max<Index>(m, 1)
                             : problem.num_jacobian_blocks();
    form = choose_gauss_newton_form(m, n, sizeof(Scalar), options_.memory_budget_bytes, blocks);
  }
  if (form == GaussNewtonForm::kConjugateGradient &&
      options_.damping_matrix != DampingMatrix::kIdentity)
    throw ConfigError(owner_ +
                      ": damping_matrix = " + std::string(to_string(options_.damping_matrix)) +
                      " needs diag(JᵀJ), which the matrix-free CG form cannot give; use identity "
                      "damping or raise memory_budget_bytes so that J fits");
  // Identity damping needs no diag(JᵀJ): the data-space form can then take JJᵀ from the
  // problem's Gram oracle (cheap identities for Dense layers) without forming J.
  const OracleSet gram_path = Oracle::kGram | Oracle::kJvp | Oracle::kVjp;
  const bool use_gram_oracle =
      options_.damping_matrix == DampingMatrix::kIdentity && oracles.contains(gram_path);
  const bool needs_jacobian = form == GaussNewtonForm::kDataSpace ? !use_gram_oracle
                              : form == GaussNewtonForm::kParameterSpace
                                  ? !oracles.contains(Oracle::kGaussNewtonMatrix)
                                  : false;
  if (needs_jacobian) problem.require(Oracle::kJacobian, owner_);
  if (form == GaussNewtonForm::kConjugateGradient) problem.require(Oracle::kGgnProduct, owner_);
  if (solvers_.size() == kCachedSolvers) solvers_.erase(solvers_.begin());
  solvers_.emplace_back(
      m, make_gauss_newton_descent<Scalar>(form, options_.cg_max_iterations, options_.cg_tolerance,
                                           options_.memory_budget_bytes, use_gram_oracle));
  return *solvers_.back().second;
}

template <class Scalar>
Problem<Scalar>& DampedGaussNewtonDescent<Scalar>::curvature_problem_for(Problem<Scalar>& problem) {
  if (options_.curvature == LmCurvature::kGaussNewton) return problem;
  if (!rows_problem_ || rows_inner_ != &problem) {
    const CurvatureRows rows =
        options_.curvature == LmCurvature::kEmpiricalFisher ? CurvatureRows::kEmpiricalFisher
        : options_.curvature == LmCurvature::kRootLoss      ? CurvatureRows::kRootLoss
                                                            : CurvatureRows::kSampledGaussNewton;
    rows_problem_ = std::make_unique<CurvatureRowsProblem<Scalar>>(problem, rows, options_.seed);
    rows_inner_ = &problem;
  }
  return *rows_problem_;
}

// J, JᵀJ or the Gram (timed as curvature), then the damping diagonal of this point's trials.
template <class Scalar>
bool DampedGaussNewtonDescent<Scalar>::prepare(const DescentPoint<Scalar>& point,
                                               StepReport& report) {
  bool prepared;
  if (options_.curvature == LmCurvature::kSampledGaussNewton) rows_problem_->set_draw(draws_++);
  {
    detail::PhaseTimer timer(report.times.curvature_seconds);
    prepared = solver_->prepare(*curvature_, point.params);
  }
  if (!prepared) {
    report.status = StepStatus::kNumericalIssue;
    report.message = "non-finite Jacobian; parameters unchanged";
    return false;
  }
  update_damping_diagonal();
  neg_grad_ = -point.gradient;
  return true;
}

template <class Scalar>
void DampedGaussNewtonDescent<Scalar>::update_damping_diagonal() {
  const auto floor = static_cast<Scalar>(options_.min_diagonal);
  const Vector<Scalar>* diagonal = solver_->jtj_diagonal();
  switch (options_.damping_matrix) {
    case DampingMatrix::kIdentity:
      d_trial_.setOnes();
      break;
    case DampingMatrix::kMarquardt:
      d_trial_ = diagonal->cwiseMax(floor);
      break;
    case DampingMatrix::kMaxDiagonal:
      d_trial_ = d_.cwiseMax(*diagonal).cwiseMax(floor);
      break;
  }
}

template <class Scalar>
DescentResult DampedGaussNewtonDescent<Scalar>::step(double lambda, VectorRef<Scalar> step) {
  DescentResult result;
  result.ok = solver_->solve(lambda, d_trial_, neg_grad_, s_, result.iterations);
  step = s_;
  return result;
}

template <class Scalar>
void DampedGaussNewtonDescent<Scalar>::report_times(StepTimes& times) const {
  const StepTimes& phases = solver_->times();
  times.jacobian_seconds = phases.jacobian_seconds;
  times.matrix_seconds = phases.matrix_seconds;
  times.factorization_seconds = phases.factorization_seconds;
}

template <class Scalar>
void DampedGaussNewtonDescent<Scalar>::reset() {
  n_ = 0;
  draws_ = 0;
  solvers_.clear();
  solver_ = nullptr;
}

template <class Scalar>
void DampedGaussNewtonDescent<Scalar>::save(OptimizerState& state) const {
  if (n_ > 0) state.put("damping_diagonal", d_);
  if (options_.curvature == LmCurvature::kSampledGaussNewton)
    state.put("curvature_draws", static_cast<double>(draws_));
}

template <class Scalar>
void DampedGaussNewtonDescent<Scalar>::load(const OptimizerState& state, Index n) {
  reset();
  if (n == 0) return;
  resize(n);
  state.get_into("damping_diagonal", d_);
  if (options_.curvature == LmCurvature::kSampledGaussNewton)
    draws_ = static_cast<std::uint64_t>(state.get_scalar("curvature_draws"));
}

template class DampedGaussNewtonDescent<float>;
template class DampedGaussNewtonDescent<double>;

}  // namespace curvopt

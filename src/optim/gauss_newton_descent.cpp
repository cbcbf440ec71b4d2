#include "curvopt/optim/gauss_newton_descent.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "curvopt/core/enum_names.h"
#include "curvopt/core/errors.h"
#include "curvopt/linalg/conjugate_gradient.h"
#include "curvopt/linalg/gram_solve.h"

namespace curvopt {
namespace {

/// n × n: JᵀJ once per point, a Cholesky per λ (linalg's NormalEquationsSolver). J is kept whole
/// when it fits in the memory budget beside the n × n matrices; otherwise JᵀJ is accumulated over
/// the problem's Jacobian blocks and products with J go through jvp. A problem that lists the
/// gauss_newton_matrix oracle (a decorator reducing JᵀJ over processes) gives JᵀJ itself; J is
/// then never seen and ‖Js‖² = sᵀ(JᵀJ)s.
template <class Scalar>
class ParameterSpaceDescent final : public GaussNewtonDescent<Scalar> {
 public:
  explicit ParameterSpaceDescent(double memory_budget_bytes)
      : memory_budget_bytes_(memory_budget_bytes) {}
  GaussNewtonForm form() const override { return GaussNewtonForm::kParameterSpace; }
  bool prepare(Problem<Scalar>& problem, ConstVectorRef<Scalar> params) override {
    const Index m = problem.num_residuals(), n = params.size();
    if (normal_.size() != n) normal_.resize(n);
    normal_.clear();  // a new point: the cached factorization is stale
    source_ = problem.oracles().contains(Oracle::kGaussNewtonMatrix) ? Source::kOracle
              : sliced(problem, m, n)                                ? Source::kBlocks
                                                                     : Source::kWhole;
    problem_ = &problem;
    bool finite = true;
    switch (source_) {
      case Source::kOracle:
        finite = prepare_from_oracle(problem, params);
        break;
      case Source::kBlocks:
        finite = prepare_from_blocks(problem, params, m, n);
        break;
      case Source::kWhole:
        finite = prepare_from_whole(problem, params, m, n);
        break;
    }
    if (!finite) return false;
    diagonal_ = normal_.diagonal();
    return true;
  }
  const Vector<Scalar>* jtj_diagonal() const override { return &diagonal_; }
  bool solve(double lambda, ConstVectorRef<Scalar> d, ConstVectorRef<Scalar> b, VectorRef<Scalar> s,
             int& iterations) override {
    iterations = 0;
    FactorStatus status;
    {
      detail::PhaseTimer timer(this->times_.factorization_seconds);
      status = normal_.factorize(lambda, d);  // cached while λ and d are unchanged
    }
    return status != FactorStatus::kNotPositiveDefinite && normal_.solve(b, s);
  }
  double jacobian_norm_squared(ConstVectorRef<Scalar> s) override {
    switch (source_) {
      case Source::kOracle:
        js_.resize(s.size());
        js_.noalias() = normal_.lower_triangle().template selfadjointView<Eigen::Lower>() * s;
        return static_cast<double>(s.dot(js_));
      case Source::kBlocks:
        js_.resize(problem_->num_residuals());
        problem_->jvp(params_, s, js_);
        break;
      case Source::kWhole:
        js_.noalias() = J_ * s;
        break;
    }
    return static_cast<double>(js_.squaredNorm());
  }

 private:
  enum class Source { kWhole, kBlocks, kOracle };

  /// J does not fit beside the n × n matrices and the problem can give it in row blocks.
  bool sliced(const Problem<Scalar>& problem, Index m, Index n) const {
    const double s = sizeof(Scalar), matrices = 3 * static_cast<double>(n) * static_cast<double>(n);
    return (static_cast<double>(m) * static_cast<double>(n) + matrices) * s >
               memory_budget_bytes_ &&
           problem.num_jacobian_blocks() > 1;
  }
  bool prepare_from_oracle(Problem<Scalar>& problem, ConstVectorRef<Scalar> params) {
    detail::PhaseTimer timer(this->times_.matrix_seconds);
    Matrix<Scalar>& jtj = normal_.normal_matrix();
    problem.gauss_newton_matrix(params, jtj);
    for (Index j = 0; j < jtj.cols(); ++j)
      if (!jtj.col(j).tail(jtj.rows() - j).allFinite()) return false;
    return true;
  }
  // JᵀJ = Σ_k J_kᵀJ_k over row blocks: only one block of J is alive at a time.
  bool prepare_from_blocks(Problem<Scalar>& problem, ConstVectorRef<Scalar> params, Index m,
                           Index n) {
    params_ = params;
    const Index blocks = problem.num_jacobian_blocks();
    J_.resize(m / blocks, n);
    for (Index k = 0; k < blocks; ++k) {
      {
        detail::PhaseTimer timer(this->times_.jacobian_seconds);
        problem.jacobian_block(params, k, J_);
      }
      if (!J_.allFinite()) return false;
      detail::PhaseTimer timer(this->times_.matrix_seconds);
      normal_.accumulate(J_);
    }
    return true;
  }
  bool prepare_from_whole(Problem<Scalar>& problem, ConstVectorRef<Scalar> params, Index m,
                          Index n) {
    if (J_.rows() != m || J_.cols() != n) J_.resize(m, n);
    {
      detail::PhaseTimer timer(this->times_.jacobian_seconds);
      problem.jacobian(params, J_);
    }
    if (!J_.allFinite()) return false;
    detail::PhaseTimer timer(this->times_.matrix_seconds);
    normal_.accumulate(J_);  // symmetric rank-k update (BLAS syrk) of the lower triangle
    return true;
  }

  double memory_budget_bytes_;
  Source source_ = Source::kWhole;
  Problem<Scalar>* problem_ = nullptr;
  Matrix<Scalar> J_;
  Vector<Scalar> diagonal_, js_, params_;
  NormalEquationsSolver<Scalar> normal_;
};

/// m × m: K = J D⁻¹ Jᵀ + λI; s = (λD)⁻¹(b − Jᵀ K⁻¹ J D⁻¹ b) (the gradient-only form, any b), by
/// linalg's GramSolver. With identity damping and a problem whose Gram oracle has cheap
/// identities (Dense layers: JJᵀ from activations and cotangents, without J), K = JJᵀ + λI comes
/// from that oracle and the products with J from jvp/vjp, so J is never formed.
template <class Scalar>
class DataSpaceDescent final : public GaussNewtonDescent<Scalar> {
 public:
  explicit DataSpaceDescent(bool use_gram_oracle) : use_gram_oracle_(use_gram_oracle) {}
  GaussNewtonForm form() const override { return GaussNewtonForm::kDataSpace; }
  bool prepare(Problem<Scalar>& problem, ConstVectorRef<Scalar> params) override {
    const Index m = problem.num_residuals(), n = params.size();
    if (gram_.rows() != m) gram_.resize(m, n);
    if (use_gram_oracle_) {
      problem_ = &problem;
      params_ = params;
      Matrix<Scalar>& G = gram_.gram();  // marks the factorization stale
      {
        detail::PhaseTimer timer(this->times_.matrix_seconds);
        problem.gram(params, G);
      }
      return G.allFinite();
    }
    if (J_.rows() != m || J_.cols() != n) J_.resize(m, n);
    {
      detail::PhaseTimer timer(this->times_.jacobian_seconds);
      problem.jacobian(params, J_);
    }
    if (!J_.allFinite()) return false;
    diagonal_ = J_.colwise().squaredNorm().transpose();
    gram_stale_ = true;  // a new J: K is rebuilt on the next solve
    return true;
  }
  const Vector<Scalar>* jtj_diagonal() const override {
    return use_gram_oracle_ ? nullptr : &diagonal_;
  }
  bool solve(double lambda, ConstVectorRef<Scalar> d, ConstVectorRef<Scalar> b, VectorRef<Scalar> s,
             int& iterations) override {
    iterations = 0;
    if (use_gram_oracle_) {
      if ((d.array() != Scalar(1)).any())
        throw Error("DataSpaceDescent: the Gram-oracle path needs identity damping");
      if (!factorize(lambda)) return false;
      return gram_.solve_damped([this](ConstVectorRef<Scalar> v,
                                       VectorRef<Scalar> out) { problem_->jvp(params_, v, out); },
                                [this](ConstVectorRef<Scalar> u, VectorRef<Scalar> out) {
                                  problem_->vjp(params_, u, out);
                                },
                                b, s);
    }
    const bool same_d =
        !gram_stale_ && d.size() == d_.size() &&
        std::memcmp(d.data(), d_.data(), sizeof(Scalar) * static_cast<std::size_t>(d.size())) == 0;
    if (!same_d) {
      detail::PhaseTimer timer(this->times_.matrix_seconds);
      gram_stale_ = false;
      d_ = d;
      gram_.set_gram(J_, d);  // J D⁻¹ Jᵀ, by a rank-k update of J D^(-1/2)
    }
    return factorize(lambda) && gram_.solve_damped(J_, b, s);
  }
  double jacobian_norm_squared(ConstVectorRef<Scalar> s) override {
    t_.resize(gram_.rows());
    if (use_gram_oracle_) {
      problem_->jvp(params_, s, t_);
    } else {
      t_.noalias() = J_ * s;
    }
    return static_cast<double>(t_.squaredNorm());
  }

 private:
  /// Cholesky of the Gram + λI, redone only when λ or the Gram changed.
  bool factorize(double lambda) {
    detail::PhaseTimer timer(this->times_.factorization_seconds);
    return gram_.factorize(lambda) == FactorStatus::kPositiveDefinite;
  }

  bool use_gram_oracle_;
  Problem<Scalar>* problem_ = nullptr;
  Vector<Scalar> params_;
  Matrix<Scalar> J_;
  Vector<Scalar> diagonal_, d_, t_;
  bool gram_stale_ = true;
  GramSolver<Scalar> gram_;
};

/// Matrix-free: CG (linalg's ConjugateGradient, from zero, unpreconditioned) on
/// (JᵀJ + λ·diag(d)) s = b with Gauss-Newton products JᵀJv.
template <class Scalar>
class ConjugateGradientDescent final : public GaussNewtonDescent<Scalar> {
 public:
  ConjugateGradientDescent(int max_iterations, double tolerance)
      : cg_({.max_iterations = max_iterations, .tolerance = tolerance}) {}
  GaussNewtonForm form() const override { return GaussNewtonForm::kConjugateGradient; }
  bool prepare(Problem<Scalar>& problem, ConstVectorRef<Scalar> params) override {
    problem_ = &problem;
    params_ = params;
    products_ = 0;
    return true;
  }
  const Vector<Scalar>* jtj_diagonal() const override { return nullptr; }
  bool solve(double lambda, ConstVectorRef<Scalar> d, ConstVectorRef<Scalar> b, VectorRef<Scalar> s,
             int& iterations) override {
    const auto damping = static_cast<Scalar>(lambda);
    const CgResult result = cg_.solve(
        [&](ConstVectorRef<Scalar> v, VectorRef<Scalar> out) {
          problem_->ggn_vector_product(params_, v, out);
          ++products_;
          out += damping * d.cwiseProduct(v);
        },
        b, s);
    iterations = result.iterations;
    return s.allFinite();
  }
  double jacobian_norm_squared(ConstVectorRef<Scalar> s) override {
    ap_.resize(s.size());
    problem_->ggn_vector_product(params_, s, ap_);
    ++products_;
    return static_cast<double>(s.dot(ap_));
  }
  int curvature_products() const override { return products_; }

 private:
  ConjugateGradient<Scalar> cg_;
  Problem<Scalar>* problem_ = nullptr;
  Vector<Scalar> params_, ap_;
  int products_ = 0;
};

}  // namespace

CURVOPT_ENUM_NAMES(GaussNewtonForm, {GaussNewtonForm::kAuto, "auto"},
                   {GaussNewtonForm::kParameterSpace, "parameter-space"},
                   {GaussNewtonForm::kDataSpace, "data-space"},
                   {GaussNewtonForm::kConjugateGradient, "cg"})

GaussNewtonForm choose_gauss_newton_form(Index m, Index n, std::size_t scalar_bytes, double budget,
                                         Index jacobian_blocks) {
  const double s = static_cast<double>(scalar_bytes), dm = static_cast<double>(m),
               dn = static_cast<double>(n);
  const double jacobian = dm * dn * s;
  const double block = jacobian / static_cast<double>(std::max<Index>(1, jacobian_blocks));
  // Parameter space keeps JᵀJ, the system and its factor, and at least one block of J; data
  // space J, J D^(-1/2), the Gram, the system and its factor.
  if (m >= n && block + 3 * dn * dn * s <= budget) return GaussNewtonForm::kParameterSpace;
  if (m < n && 2 * jacobian + 3 * dm * dm * s <= budget) return GaussNewtonForm::kDataSpace;
  if (m >= n && 2 * jacobian + 3 * dm * dm * s <= budget) return GaussNewtonForm::kDataSpace;
  return GaussNewtonForm::kConjugateGradient;
}

template <class Scalar>
std::unique_ptr<GaussNewtonDescent<Scalar>> make_gauss_newton_descent(GaussNewtonForm form,
                                                                      int cg_max_iterations,
                                                                      double cg_tolerance,
                                                                      double memory_budget_bytes,
                                                                      bool use_gram_oracle) {
  switch (form) {
    case GaussNewtonForm::kParameterSpace:
      return std::make_unique<ParameterSpaceDescent<Scalar>>(memory_budget_bytes);
    case GaussNewtonForm::kDataSpace:
      return std::make_unique<DataSpaceDescent<Scalar>>(use_gram_oracle);
    case GaussNewtonForm::kConjugateGradient:
      return std::make_unique<ConjugateGradientDescent<Scalar>>(cg_max_iterations, cg_tolerance);
    case GaussNewtonForm::kAuto:
      break;
  }
  throw ConfigError("make_gauss_newton_descent: resolve kAuto with choose_gauss_newton_form");
}

template std::unique_ptr<GaussNewtonDescent<float>> make_gauss_newton_descent<float>(
    GaussNewtonForm, int, double, double, bool);
template std::unique_ptr<GaussNewtonDescent<double>> make_gauss_newton_descent<double>(
    GaussNewtonForm, int, double, double, bool);

}  // namespace curvopt

#include "curvopt/optim/gauss_newton_descent.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "curvopt/core/enum_names.h"
#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

/// n × n: JᵀJ once per point, a Cholesky per λ. J is kept whole when it fits in the memory
/// budget beside the n × n matrices; otherwise JᵀJ is accumulated over the problem's Jacobian
/// blocks and products with J go through jvp.
template <class Scalar>
class ParameterSpaceDescent final : public GaussNewtonDescent<Scalar> {
 public:
  explicit ParameterSpaceDescent(double memory_budget_bytes)
      : memory_budget_bytes_(memory_budget_bytes) {}
  GaussNewtonForm form() const override { return GaussNewtonForm::kParameterSpace; }
  bool prepare(Problem<Scalar>& problem, ConstVectorRef<Scalar> params) override {
    const Index m = problem.num_residuals(), n = params.size();
    const double s = sizeof(Scalar), matrices = 3 * static_cast<double>(n) * static_cast<double>(n);
    sliced_ =
        (static_cast<double>(m) * static_cast<double>(n) + matrices) * s > memory_budget_bytes_ &&
        problem.num_jacobian_blocks() > 1;
    if (jtj_.rows() != n) jtj_.resize(n, n);
    jtj_.template triangularView<Eigen::Lower>().setZero();
    if (sliced_) {
      // JᵀJ = Σ_k J_kᵀJ_k over row blocks: only one block of J is alive at a time.
      problem_ = &problem;
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
        jtj_.template selfadjointView<Eigen::Lower>().rankUpdate(J_.transpose());
      }
    } else {
      if (J_.rows() != m || J_.cols() != n) J_.resize(m, n);
      {
        detail::PhaseTimer timer(this->times_.jacobian_seconds);
        problem.jacobian(params, J_);
      }
      if (!J_.allFinite()) return false;
      // Symmetric rank-k update (BLAS syrk): only the lower triangle is formed.
      detail::PhaseTimer timer(this->times_.matrix_seconds);
      jtj_.template selfadjointView<Eigen::Lower>().rankUpdate(J_.transpose());
    }
    diagonal_ = jtj_.diagonal();
    lambda_ = -1;  // a new point: the cached factorization is stale
    return true;
  }
  const Vector<Scalar>* jtj_diagonal() const override { return &diagonal_; }
  bool solve(double lambda, ConstVectorRef<Scalar> d, ConstVectorRef<Scalar> b, VectorRef<Scalar> s,
             int& iterations) override {
    iterations = 0;
    if (!(lambda == lambda_ && d.size() == d_.size() &&
          std::memcmp(d.data(), d_.data(), sizeof(Scalar) * static_cast<std::size_t>(d.size())) ==
              0)) {
      detail::PhaseTimer timer(this->times_.factorization_seconds);
      lambda_ = lambda;
      d_ = d;
      system_ = jtj_;
      system_.diagonal() += static_cast<Scalar>(lambda) * d;
      llt_.compute(system_);  // reads the lower triangle
      use_ldlt_ = llt_.info() != Eigen::Success;
      if (use_ldlt_) {
        // Positive definite in exact arithmetic; LDLT survives float round-off near singular.
        ldlt_.compute(system_.template selfadjointView<Eigen::Lower>());
        if (ldlt_.info() != Eigen::Success) return false;
      }
    }
    s = b;
    if (use_ldlt_) {
      ldlt_.solveInPlace(s);
    } else {
      llt_.solveInPlace(s);
    }
    return s.allFinite();
  }
  double jacobian_norm_squared(ConstVectorRef<Scalar> s) override {
    if (sliced_) {
      js_.resize(problem_->num_residuals());
      problem_->jvp(params_, s, js_);
    } else {
      js_.noalias() = J_ * s;
    }
    return static_cast<double>(js_.squaredNorm());
  }

 private:
  double memory_budget_bytes_;
  bool sliced_ = false;
  Problem<Scalar>* problem_ = nullptr;
  Matrix<Scalar> J_, jtj_, system_;
  Vector<Scalar> diagonal_, d_, js_, params_;
  double lambda_ = -1;
  Eigen::LLT<Matrix<Scalar>> llt_;
  Eigen::LDLT<Matrix<Scalar>> ldlt_;
  bool use_ldlt_ = false;
};

/// m × m: K = J D⁻¹ Jᵀ + λI; s = (λD)⁻¹(b − Jᵀ K⁻¹ J D⁻¹ b) (the gradient-only form, any b).
/// With identity damping and a problem whose Gram oracle has cheap identities (Dense layers:
/// JJᵀ from activations and cotangents, without J), K = JJᵀ + λI comes from that oracle and the
/// products with J from jvp/vjp, so J is never formed.
template <class Scalar>
class DataSpaceDescent final : public GaussNewtonDescent<Scalar> {
 public:
  explicit DataSpaceDescent(bool use_gram_oracle) : use_gram_oracle_(use_gram_oracle) {}
  GaussNewtonForm form() const override { return GaussNewtonForm::kDataSpace; }
  bool prepare(Problem<Scalar>& problem, ConstVectorRef<Scalar> params) override {
    const Index m = problem.num_residuals(), n = params.size();
    if (use_gram_oracle_) {
      problem_ = &problem;
      params_ = params;
      gram_.resize(m, m);
      {
        detail::PhaseTimer timer(this->times_.matrix_seconds);
        problem.gram(params, gram_);
      }
      if (!gram_.allFinite()) return false;
      lambda_ = -1;
      return true;
    }
    if (J_.rows() != m || J_.cols() != n) J_.resize(m, n);
    {
      detail::PhaseTimer timer(this->times_.jacobian_seconds);
      problem.jacobian(params, J_);
    }
    if (!J_.allFinite()) return false;
    diagonal_ = J_.colwise().squaredNorm().transpose();
    gram_stale_ = true;  // a new J: K is rebuilt on the next solve (without freeing d_)
    return true;
  }
  const Vector<Scalar>* jtj_diagonal() const override {
    return use_gram_oracle_ ? nullptr : &diagonal_;
  }
  bool solve(double lambda, ConstVectorRef<Scalar> d, ConstVectorRef<Scalar> b, VectorRef<Scalar> s,
             int& iterations) override {
    iterations = 0;
    if (use_gram_oracle_) return solve_with_gram_oracle(lambda, d, b, s);
    const Index m = J_.rows();
    const bool same_d =
        !gram_stale_ && d.size() == d_.size() &&
        std::memcmp(d.data(), d_.data(), sizeof(Scalar) * static_cast<std::size_t>(d.size())) == 0;
    if (!same_d) {
      gram_stale_ = false;
      detail::PhaseTimer timer(this->times_.matrix_seconds);
      d_ = d;
      inverse_d_ = d.cwiseInverse();
      scaled_ = J_ * inverse_d_.cwiseSqrt().asDiagonal();  // J D^(-1/2)
      gram_.resize(m, m);
      gram_.template triangularView<Eigen::Lower>().setZero();
      gram_.template selfadjointView<Eigen::Lower>().rankUpdate(scaled_);
      lambda_ = -1;
    }
    if (!factorize(lambda)) return false;
    db_ = inverse_d_.cwiseProduct(b);
    t_.noalias() = J_ * db_;
    llt_.solveInPlace(t_);
    jt_.noalias() = J_.transpose() * t_;
    s = (b - jt_).cwiseProduct(inverse_d_) / static_cast<Scalar>(lambda);
    return s.allFinite();
  }
  double jacobian_norm_squared(ConstVectorRef<Scalar> s) override {
    if (use_gram_oracle_) {
      t_.resize(gram_.rows());
      problem_->jvp(params_, s, t_);
    } else {
      t_.noalias() = J_ * s;
    }
    return static_cast<double>(t_.squaredNorm());
  }

 private:
  /// Identity damping (d = 1, checked): s = (b − Jᵀ(JJᵀ + λI)⁻¹ J b)/λ.
  bool solve_with_gram_oracle(double lambda, ConstVectorRef<Scalar> d, ConstVectorRef<Scalar> b,
                              VectorRef<Scalar> s) {
    if ((d.array() != Scalar(1)).any())
      throw Error("DataSpaceDescent: the Gram-oracle path needs identity damping");
    if (!factorize(lambda)) return false;
    t_.resize(gram_.rows());
    problem_->jvp(params_, b, t_);
    llt_.solveInPlace(t_);
    jt_.resize(b.size());
    problem_->vjp(params_, t_, jt_);
    s = (b - jt_) / static_cast<Scalar>(lambda);
    return s.allFinite();
  }

  /// Cholesky of the Gram + λI, redone only when λ (or the Gram, which resets lambda_) changed.
  bool factorize(double lambda) {
    if (lambda == lambda_) return true;
    detail::PhaseTimer timer(this->times_.factorization_seconds);
    lambda_ = lambda;
    system_ = gram_;
    system_.diagonal().array() += static_cast<Scalar>(lambda);
    llt_.compute(system_);
    if (llt_.info() == Eigen::Success) return true;
    lambda_ = -1;  // a failed factorization is not reused
    return false;
  }

  bool use_gram_oracle_;
  Problem<Scalar>* problem_ = nullptr;
  Vector<Scalar> params_;
  Matrix<Scalar> J_, scaled_, gram_, system_;
  Vector<Scalar> diagonal_, d_, inverse_d_, t_, db_, jt_;
  bool gram_stale_ = true;
  double lambda_ = -1;
  Eigen::LLT<Matrix<Scalar>> llt_;
};

/// Matrix-free: CG on (JᵀJ + λ·diag(d)) s = b with Gauss-Newton products JᵀJv.
template <class Scalar>
class ConjugateGradientDescent final : public GaussNewtonDescent<Scalar> {
 public:
  ConjugateGradientDescent(int max_iterations, double tolerance)
      : max_iterations_(max_iterations), tolerance_(tolerance) {}
  GaussNewtonForm form() const override { return GaussNewtonForm::kConjugateGradient; }
  bool prepare(Problem<Scalar>& problem, ConstVectorRef<Scalar> params) override {
    problem_ = &problem;
    params_ = params;
    return true;
  }
  const Vector<Scalar>* jtj_diagonal() const override { return nullptr; }
  bool solve(double lambda, ConstVectorRef<Scalar> d, ConstVectorRef<Scalar> b, VectorRef<Scalar> s,
             int& iterations) override {
    const Index n = b.size();
    r_ = b;
    s.setZero();
    p_ = r_;
    double rr = static_cast<double>(r_.squaredNorm());
    const double stop = tolerance_ * tolerance_ * rr;
    ap_.resize(n);
    for (iterations = 0; iterations < max_iterations_ && rr > stop; ++iterations) {
      problem_->ggn_vector_product(params_, p_, ap_);
      ap_ += static_cast<Scalar>(lambda) * d.cwiseProduct(p_);
      const double curvature = static_cast<double>(p_.dot(ap_));
      if (!(curvature > 0)) break;  // cannot happen for λ > 0 in exact arithmetic
      const double alpha = rr / curvature;
      s += static_cast<Scalar>(alpha) * p_;
      r_ -= static_cast<Scalar>(alpha) * ap_;
      const double rr_next = static_cast<double>(r_.squaredNorm());
      p_ = r_ + static_cast<Scalar>(rr_next / rr) * p_;
      rr = rr_next;
    }
    return s.allFinite();
  }
  double jacobian_norm_squared(ConstVectorRef<Scalar> s) override {
    ap_.resize(s.size());
    problem_->ggn_vector_product(params_, s, ap_);
    return static_cast<double>(s.dot(ap_));
  }

 private:
  int max_iterations_;
  double tolerance_;
  Problem<Scalar>* problem_ = nullptr;
  Vector<Scalar> params_, r_, p_, ap_;
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

#pragma once
/// A problem's curvature presented as a least-squares problem with one Jacobian row per
/// example: the empirical Fisher (Pooladzandi & Zhou 2022, eq. 7), a Monte-Carlo Gauss-Newton
/// matrix (one sampled output direction per example, the sampled Fisher of Martens & Grosse
/// 2015) or the Gauss-Newton matrix of one residual √(2f_s) per example (the √loss residuals of
/// minibatch LM trainers). Each turns the c·b-row system of a c-output network into a b-row one.

#include <cstdint>

#include "curvopt/core/random.h"
#include "curvopt/problem/problem.h"

namespace curvopt {

/// Which b rows stand for the curvature.
enum class CurvatureRows {
  /// Ĵ = √b·[g₁ᵀ; …; g_bᵀ] from the per-example gradients gₛ (Σₛ gₛ = ∇f), so ĴᵀĴ = b·Σₛ gₛgₛᵀ,
  /// for a mean loss (1/b)Σₛ∇ℓₛ∇ℓₛᵀ, the empirical Fisher; r̂ = (1/√b)·1 gives Ĵᵀr̂ = ∇f.
  kEmpiricalFisher,
  /// Ĵ = the problem's sampled Gauss-Newton rows, E[ĴᵀĴ] = JᵀJ, one draw per point. There is no
  /// residual vector: the damped solves use ∇f (Ĵᵀr̂ = ∇f has no solution in general).
  kSampledGaussNewton,
  /// One true residual per example, r̂ₛ = √(2fₛ) (fₛ the example's share of f, so ½‖r̂‖² = f),
  /// and its gradient Ĵₛ = gₛ/r̂ₛ: Ĵᵀr̂ = ∇f exactly and ĴᵀĴ = Σₛ gₛgₛᵀ/(2fₛ), the Gauss-Newton
  /// matrix of f written as a sum of squares over examples. An example with fₛ = 0 gets a zero
  /// row.
  kRootLoss,
};

/// Every Gauss-Newton form applies to the rows with m = b. value() and gradient() are the
/// wrapped problem's; Ĵ is formed once per (θ, data, draw) and reused by jvp, vjp, gram and GGN
/// products. The wrapped problem must outlive this adapter and provide the oracle its rows come
/// from (per-example gradients, or sampled Gauss-Newton rows).
/// @tparam Scalar float or double
template <class Scalar>
class CurvatureRowsProblem final : public Problem<Scalar> {
 public:
  /// Throws curvopt::Error when `inner` lacks the oracle the rows come from. `seed` seeds the
  /// sampled rows: draw t uses a generator seeded by (seed, t).
  CurvatureRowsProblem(Problem<Scalar>& inner, CurvatureRows rows, std::uint64_t seed = 0);

  CurvatureRows rows() const { return rows_; }
  /// Selects draw t of the sampled rows (a fresh Ĵ at the next use); no effect on the
  /// empirical Fisher. The caller counts draws (and checkpoints the count).
  void set_draw(std::uint64_t draw);

  Index num_parameters() const override { return inner_->num_parameters(); }
  OracleSet oracles() const override;
  Scalar value(ConstVectorRef<Scalar> params) override;
  Scalar gradient(ConstVectorRef<Scalar> params, VectorRef<Scalar> grad) override;
  Index num_residuals() const override;
  Index batch_size() const override { return inner_->batch_size(); }
  double loss_terms() const override { return inner_->loss_terms(); }
  void residuals(ConstVectorRef<Scalar> params, VectorRef<Scalar> r) override;
  void jacobian(ConstVectorRef<Scalar> params, MatrixRef<Scalar> J) override;
  void jvp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v, VectorRef<Scalar> out) override;
  void vjp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> u, VectorRef<Scalar> out) override;
  void gram(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) override;
  void ggn_vector_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                          VectorRef<Scalar> out) override;
  void per_example_gradients(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) override;
  void per_example_losses(ConstVectorRef<Scalar> params, VectorRef<Scalar> out) override;

 private:
  /// Ĵ at params, recomputed only when θ, the wrapped problem's data or the draw changed.
  const Matrix<Scalar>& row_jacobian(ConstVectorRef<Scalar> params);
  /// Mirrors the wrapped problem's data version into this one's.
  void sync();
  /// r̂ₛ = √(2fₛ) of the per-example losses at params into r.
  void root_loss_residuals(ConstVectorRef<Scalar> params, VectorRef<Scalar> r);

  Problem<Scalar>* inner_;
  CurvatureRows rows_;
  std::uint64_t seed_;
  std::uint64_t draw_ = 0;
  Rng rng_;
  Matrix<Scalar> jacobian_;
  Vector<Scalar> cached_params_, product_;
  /// r̂ at cached_params_ (kRootLoss), and the per-example losses of a residuals() call.
  Vector<Scalar> root_residuals_, example_losses_;
  std::uint64_t inner_version_ = 0;
  bool cached_ = false;
};

extern template class CurvatureRowsProblem<float>;
extern template class CurvatureRowsProblem<double>;

}  // namespace curvopt

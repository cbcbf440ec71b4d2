#pragma once
/// The curvature mini-batch: curvature oracles on a subset of the bound batch, as Hessian-free
/// (Martens 2010), K-FAC (Martens & Grosse 2015) and sampled quasi-Newton methods estimate
/// curvature on fewer examples than the gradient.

#include <cstdint>
#include <memory>
#include <vector>

#include "curvopt/problem/objective.h"

namespace curvopt {

/// A network objective seen through two batches: value, gradient and per-example gradients are
/// those of the whole bound batch; every curvature oracle (residuals, Jacobian, jvp, vjp, Gram,
/// Gauss-Newton and Hessian products, K-FAC statistics) is that of the mean loss over its first
/// `count` examples (all of them when the batch is smaller). A trainer's batches are shuffled, so
/// the first examples are a random subset; as a mean over the subset, the curvature estimates the
/// full batch's without bias. The subset follows the wrapped objective's batch (its
/// data_version()). Curvature runs on a private copy of the model, so the gradient's cached
/// forward pass survives curvature products. RReLU noise of the subset is drawn by its own
/// generator, seeded with set_noise_seed() (a trainer passes each batch's seed, so that a resumed
/// run draws what an uninterrupted one draws).
/// @tparam Scalar float or double
template <class Scalar>
class CurvatureSubset final : public Problem<Scalar> {
 public:
  /// `count` ≥ 1 examples. References are kept and must outlive this.
  CurvatureSubset(Objective<Scalar>& full, Index count);

  Index num_parameters() const override { return full_.num_parameters(); }
  OracleSet oracles() const override { return full_.oracles(); }
  std::uint64_t data_version() const override { return full_.data_version(); }
  /// Seeds the subset's noise generator (RReLU slopes), drawn anew when the batch changes.
  void set_noise_seed(std::uint64_t seed) { model_.set_noise_seed(seed); }
  /// Examples the curvature oracles use for the bound batch.
  Index curvature_examples() const;

  Scalar value(ConstVectorRef<Scalar> params) override { return full_.value(params); }
  Scalar gradient(ConstVectorRef<Scalar> params, VectorRef<Scalar> grad) override {
    return full_.gradient(params, grad);
  }
  Index batch_size() const override { return full_.batch_size(); }
  void per_example_gradients(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) override {
    full_.per_example_gradients(params, G);
  }
  void per_example_losses(ConstVectorRef<Scalar> params, VectorRef<Scalar> out) override {
    full_.per_example_losses(params, out);
  }
  void empirical_fisher_diagonal(ConstVectorRef<Scalar> params, VectorRef<Scalar> out) override {
    full_.empirical_fisher_diagonal(params, out);
  }

  Index num_residuals() const override;
  void residuals(ConstVectorRef<Scalar> params, VectorRef<Scalar> r) override;
  void jacobian(ConstVectorRef<Scalar> params, MatrixRef<Scalar> J) override;
  Index num_jacobian_blocks() const override;
  void jacobian_block(ConstVectorRef<Scalar> params, Index block,
                      MatrixRef<Scalar> J_block) override;
  void jvp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v, VectorRef<Scalar> out) override;
  void vjp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> u, VectorRef<Scalar> out) override;
  void gram(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) override;
  void gram_factors(ConstVectorRef<Scalar> params, std::vector<Matrix<Scalar>>& factors) override {
    subset().gram_factors(params, factors);
  }
  void gram_from_factors(const std::vector<Matrix<Scalar>>& factors, MatrixRef<Scalar> G) override {
    subset().gram_from_factors(factors, G);
  }
  void ggn_vector_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                          VectorRef<Scalar> out) override;
  void structurally_damped_ggn_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                                       Scalar weight, VectorRef<Scalar> out) override;
  void hessian_vector_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                              VectorRef<Scalar> out) override;
  void hessian_matrix_product(ConstVectorRef<Scalar> params, ConstMatrixRef<Scalar> V,
                              MatrixRef<Scalar> out) override;
  void ggn_matrix_product(ConstVectorRef<Scalar> params, ConstMatrixRef<Scalar> V,
                          MatrixRef<Scalar> out) override;
  void gauss_newton_matrix(ConstVectorRef<Scalar> params, MatrixRef<Scalar> JtJ) override;
  void kfac_statistics(ConstVectorRef<Scalar> params, KfacTargets targets, Rng& rng,
                       std::vector<KfacFactors<Scalar>>& out) override;
  Index num_sampled_gauss_newton_rows() const override { return curvature_examples(); }
  void sampled_gauss_newton_rows(ConstVectorRef<Scalar> params, Rng& rng,
                                 MatrixRef<Scalar> rows) override;
  /// The subset's: its curvature is a mean over the subset.
  double loss_terms() const override;

 private:
  /// Binds the subset when the wrapped objective's batch changed.
  Objective<Scalar>& subset();

  Objective<Scalar>& full_;
  Index count_;
  Sequential<Scalar> model_;
  /// Its own loss: the loss's scratch is sized per batch, and the subset's is smaller.
  std::unique_ptr<Loss<Scalar>> loss_;
  Objective<Scalar> subset_;
  std::uint64_t bound_version_ = 0;
  bool bound_ = false;
};

extern template class CurvatureSubset<float>;
extern template class CurvatureSubset<double>;

}  // namespace curvopt

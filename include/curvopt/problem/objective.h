#pragma once
/// Objective = model + loss + batch: every oracle the optimizers consume.

#include <cstdint>
#include <vector>

#include "curvopt/loss/loss.h"
#include "curvopt/nn/sequential.h"
#include "curvopt/problem/problem.h"

namespace curvopt {

/// The training objective on one batch (a Problem), as a function of a flat parameter vector θ.
///
/// Residual face: m = b·c rows (c = model outputs), ordered output-major, row k·b + s belongs to
/// output k of example s. r̂ and J = Qᵀ ∂z/∂θ come from the loss's factor (Loss), so that the
/// Gauss-Newton matrix JᵀJ equals the generalized Gauss-Newton matrix Σ_s J_sᵀ H_s J_s and
/// Jᵀr̂ equals the gradient for every loss; for squared error r̂ is the residual and
/// loss = ½‖r̂‖².
///
/// The forward pass is cached: consecutive oracles at bit-identical θ on the same batch run it
/// once. Oracles write into caller-provided outputs and allocate nothing after their first call
/// at a given batch size. The model and loss are referenced, not owned, and must outlive this.
/// @tparam Scalar float or double
template <class Scalar>
class Objective final : public Problem<Scalar> {
 public:
  using Vec = Vector<Scalar>;
  using Mat = Matrix<Scalar>;

  Objective(Sequential<Scalar>& model, const Loss<Scalar>& loss);

  /// Sets the batch: inputs (model input size × b) and targets (as the loss expects). Both are
  /// referenced and must stay alive while oracles run. Validates shapes, finiteness and target
  /// domains (throwing errors that name the layer or loss), and draws the stochastic layers'
  /// noise for this batch, which stays fixed until the next set_batch().
  void set_batch(ConstMatrixRef<Scalar> inputs, ConstMatrixRef<Scalar> targets);
  /// The bound batch (what set_batch() was given).
  ConstMatrixRef<Scalar> batch_inputs() const;
  ConstMatrixRef<Scalar> batch_targets() const { return targets(); }
  /// Switches the model between training and evaluation behaviour (RReLU).
  void set_training(bool training);

  Index batch_size() const override { return batch_; }
  Index num_parameters() const override { return model_.num_parameters(); }
  /// Every oracle of Problem.
  OracleSet oracles() const override;
  void gram_factors(ConstVectorRef<Scalar> params, std::vector<Matrix<Scalar>>& factors) override;
  void gram_from_factors(const std::vector<Matrix<Scalar>>& factors, MatrixRef<Scalar> G) override;
  Index num_outputs() const { return model_.output_size(); }
  /// m = batch_size() · num_outputs().
  Index num_residuals() const override { return batch_ * num_outputs(); }
  Sequential<Scalar>& model() { return model_; }
  const Loss<Scalar>& loss() const { return loss_; }

  /// f(θ).
  Scalar value(ConstVectorRef<Scalar> params) override;
  /// ∇f(θ) into grad; returns f(θ).
  Scalar gradient(ConstVectorRef<Scalar> params, VectorRef<Scalar> grad) override;
  /// r̂(θ) (m).
  void residuals(ConstVectorRef<Scalar> params, VectorRef<Scalar> r) override;
  /// J (m × n).
  void jacobian(ConstVectorRef<Scalar> params, MatrixRef<Scalar> J) override;
  /// One block per network output: block k holds the b rows of residual component k.
  Index num_jacobian_blocks() const override { return num_outputs(); }
  void jacobian_block(ConstVectorRef<Scalar> params, Index block,
                      MatrixRef<Scalar> J_block) override;
  /// J v (m).
  void jvp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v, VectorRef<Scalar> out) override;
  /// Jᵀ u (n).
  void vjp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> u, VectorRef<Scalar> out) override;
  /// J Jᵀ (m × m, both triangles), from the layers' Gram identities where they exist.
  void gram(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) override;
  /// G v = Jᵀ J v: the generalized Gauss-Newton product (one JVP, one loss-Hessian product, one
  /// VJP; J never formed).
  void ggn_vector_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                          VectorRef<Scalar> out) override;
  /// (G + weight·D_S) v in the passes of one G v: the backward pass adds weight/b times each
  /// hidden state's tangent to that state's cotangent.
  void structurally_damped_ggn_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                                       Scalar weight, VectorRef<Scalar> out) override;
  /// ∇²f v, exact (Pearlmutter's R-backprop).
  void hessian_vector_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                              VectorRef<Scalar> out) override;
  /// ∇²f V for the k columns of V in one multi-column pass: the forward pass and the gradient's
  /// backward pass are shared, and each layer's k products are one GEMM-shaped product.
  void hessian_matrix_product(ConstVectorRef<Scalar> params, ConstMatrixRef<Scalar> V,
                              MatrixRef<Scalar> out) override;
  /// G V = JᵀJ V for the k columns of V in one multi-column pass, as above.
  void ggn_matrix_product(ConstVectorRef<Scalar> params, ConstMatrixRef<Scalar> V,
                          MatrixRef<Scalar> out) override;
  /// Row s = the gradient of example s's term of f (b × n); rows sum to ∇f.
  void per_example_gradients(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) override;
  void per_example_losses(ConstVectorRef<Scalar> params, VectorRef<Scalar> out) override;
  /// Without the b × n per-example gradients: the squared rows are summed layer by layer
  /// (Dense by one GEMM), so memory stays O(n) beyond the network's own buffers.
  void empirical_fisher_diagonal(ConstVectorRef<Scalar> params, VectorRef<Scalar> out) override;
  /// K-FAC factors of every Dense and Conv2d layer. The output-side statistics use per-example
  /// gradients of the unreduced per-example loss ℓ_s at sampled or data targets.
  void kfac_statistics(ConstVectorRef<Scalar> params, KfacTargets targets, Rng& rng,
                       std::vector<KfacFactors<Scalar>>& out) override;
  /// Rows U_sᵀJ_s with U_s from Loss::sample_gauss_newton_cotangents (b × n).
  void sampled_gauss_newton_rows(ConstVectorRef<Scalar> params, Rng& rng,
                                 MatrixRef<Scalar> rows) override;
  /// 1/scale of the loss for the bound batch.
  double loss_terms() const override;

 private:
  /// Runs the forward pass unless the cached one was at bit-identical parameters.
  void ensure_forward(ConstVectorRef<Scalar> params);
  void check_size(const char* oracle, const char* what, Index received, Index expected) const;
  /// ShapeError unless `rows` is batch × n, one row per example (per-example-row oracles).
  void check_example_rows(const char* oracle, ConstMatrixRef<Scalar> rows) const;
  /// (G + weight·D_S) v for ggn_vector_product (weight 0) and structurally_damped_ggn_product,
  /// with `oracle` naming the caller in size errors.
  void damped_ggn_product(const char* oracle, ConstVectorRef<Scalar> params,
                          ConstVectorRef<Scalar> v, Scalar weight, VectorRef<Scalar> out);
  ConstMatrixRef<Scalar> targets() const;
  /// Fills ublocks_ with the factor columns of every output (c × m).
  void factor_cotangents();

  Sequential<Scalar>& model_;
  const Loss<Scalar>& loss_;
  const Scalar* inputs_ = nullptr;
  Index input_stride_ = 0;
  const Scalar* targets_ = nullptr;
  Index target_rows_ = 0;
  Index target_stride_ = 0;
  Index batch_ = 0;

  bool forward_valid_ = false;
  Vec cached_params_;
  Mat dz_, rz_, out_, ublocks_, sampled_;
  Mat column_rz_;  // the loss's curvature applied to k output tangents (k blocks of b)
  Vec scratch_;
};

extern template class Objective<float>;
extern template class Objective<double>;

}  // namespace curvopt

#pragma once
/// Fully connected layer Y = W X + b.

#include <vector>

#include "curvopt/core/workspace.h"
#include "curvopt/nn/layer.h"

namespace curvopt {

/// Dense (fully connected) layer with `units` outputs: Y = W X + b 1ᵀ.
///
/// Parameters, in order: W (units × fan_in, column-major), then b (units). Per-sample Jacobian
/// rows are δ ⊗ x̄ (x̄ = [x; 1]); their Gram matrix is the cheap identity (ΔᵀΔ) ∘ (X̄ᵀX̄).
/// K-FAC factors: A = (1/b) Σ x̄x̄ᵀ, G = (1/b) Σ δδᵀ.
/// @tparam Scalar float or double
template <class Scalar>
class Dense final : public Layer<Scalar> {
 public:
  using typename Layer<Scalar>::Mat;
  using typename Layer<Scalar>::ConstRef;
  using typename Layer<Scalar>::Ref;

  explicit Dense(Index units);

  std::string type() const override { return "Dense"; }
  std::unique_ptr<Layer<Scalar>> clone() const override { return std::make_unique<Dense>(*this); }
  std::string config() const override;
  Index num_parameters() const override { return units_ * fan_in_ + units_; }
  void initialize(Scalar* params, Initializer init, Rng& rng) const override;

  void forward(ConstRef X, Ref Y) override;
  void backward(ConstRef X, ConstRef Y, ConstRef dY, Mat* dX, Scalar* grad) override;
  void jvp(ConstRef X, ConstRef Y, const Mat* dX, const Scalar* v, Ref dY) override;
  void hvp_backward(ConstRef X, ConstRef Y, ConstRef dY, const Mat* RX, ConstRef RdY,
                    const Scalar* v, Mat* RdX, Scalar* Rgrad) override;
  void jvp_columns(ConstRef X, ConstRef Y, const Mat* dX, const Scalar* v, Index v_stride,
                   Ref dY) override;
  void hvp_backward_columns(ConstRef X, ConstRef Y, ConstRef dY, const Mat* RX, ConstRef RdY,
                            const Scalar* v, Index v_stride, Mat* RdX, Scalar* Rgrad,
                            Index grad_stride) override;
  void per_sample_gradients(ConstRef X, ConstRef dY, Ref rows) override;
  void accumulate_gram(ConstRef X, ConstRef dY, Ref G) override;
  bool has_gram_identity() const override { return true; }
  /// Row j's weight gradient is dY_j X_jᵀ, so Σ_j of its squares is (dY∘dY)(X∘X)ᵀ summed over
  /// the row blocks: one GEMM per block.
  void accumulate_squared_gradients(ConstRef X, ConstRef dY, VectorRef<Scalar> squares) override;
  bool kfac_factors(ConstRef X, ConstRef dY, KfacFactors<Scalar>& out) override;
  Index kfac_block_count() const override { return 1; }

  Index units() const { return units_; }

 protected:
  Shape do_configure(const Shape& input) override;

 private:
  /// The Gram of one row per example (m = b), tile by tile: see accumulate_gram.
  void accumulate_gram_tiled(ConstRef X, ConstRef dY, Ref G);
  ConstMatrixMap<Scalar> weight(const Scalar* p) const {
    return ConstMatrixMap<Scalar>(p, units_, fan_in_);
  }
  ConstVectorMap<Scalar> bias(const Scalar* p) const {
    return ConstVectorMap<Scalar>(p + units_ * fan_in_, units_);
  }

  Index units_;
  Index fan_in_ = 0;
  Mat xt_;                       // Xᵀ, so per-sample products stream over contiguous columns
  Workspace<Scalar> dyt_;        // dYᵀ, m × units for varying row counts m
  Mat x_gram_;                   // X̄ᵀX̄
  Mat d_gram_;                   // ΔᵀΔ
  std::vector<Mat> gram_tiles_;  // per thread: a tile of ΔᵀΔ and one of X̄ᵀX̄ (one-output Gram)
  Mat squared_input_;            // X∘X
  Workspace<Scalar> squared_cotangent_;  // dY∘dY for varying row counts
  // The column passes' stacked operands: k weight tangents, k blocks as rows, the products.
  Workspace<Scalar> stacked_weights_;
  Workspace<Scalar> stacked_rows_;
  Workspace<Scalar> stacked_tangent_rows_;
  Workspace<Scalar> stacked_product_;
  Workspace<Scalar> stacked_second_product_;
};

extern template class Dense<float>;
extern template class Dense<double>;

}  // namespace curvopt

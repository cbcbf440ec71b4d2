#pragma once
/// The Layer interface: every derivative pass a curvature-aware optimizer needs.
///
/// Data layout: a batch is a matrix with one example per column (features × batch), features in
/// channel-major order (c, h, w) for images. A layer's parameters are a slice of the model's flat
/// parameter vector (Sequential owns it); the layer only holds a pointer to its slice.
///
/// Contract: every pass after forward(X) is given the same X and Y (the output forward wrote);
/// layers may keep what forward computed (max-pool winners, RReLU slopes, im2col patches).
/// Optional outputs are pointers; nullptr means "not needed" (e.g. no input gradient for the
/// first layer). Parameter-space vectors (gradients, tangents) are raw pointers to the layer's
/// slice of a flat vector of the model's size.

#include <memory>
#include <string>

#include "curvopt/core/random.h"
#include "curvopt/core/shape.h"
#include "curvopt/core/types.h"
#include "curvopt/nn/initializer.h"

namespace curvopt {

/// K-FAC Kronecker factors of one layer: F_layer ≈ A ⊗ G (Martens & Grosse 2015), with the bias
/// as the homogeneous coordinate (last row/column of A).
template <class Scalar>
struct KfacFactors {
  Index layer = 0;   ///< index of the layer inside its Sequential
  Index offset = 0;  ///< where the layer's parameters start in θ: W (fan_out × fan_in,
                     ///< column-major) then the bias, i.e. [W b] column-major
  Matrix<Scalar> A;  ///< input-side factor, (fan_in + 1)²: (1/b) Σ ā āᵀ (conv: Σ over positions);
                     ///< with diagonal_A its diagonal as one column
  /// A is diagonal (an Embedding table: its inputs are one-hot, so A = diag(entry frequencies)).
  bool diagonal_A = false;
  /// EKFAC (George et al. 2018), an input: the eigenbases of the layer's averaged factors, Q_A
  /// ((fan_in + 1)²) and Q_G (fan_out²), eigenvectors as columns. When both are set (Dense and
  /// Conv2d) the layer also writes `scaling` = (1/b) Σₛ (Q_Gᵀ ∇Wₛ Q_A)∘² (fan_out × (fan_in + 1)):
  /// the second moments, in that basis, of the per-example gradients ∇Wₛ = Σ over positions of
  /// g āᵀ (summed over the cotangent blocks, as G is).
  Matrix<Scalar> basis_A, basis_G, scaling;
  Matrix<Scalar> projected_inputs, projected_outputs, example;  ///< scratch of `scaling`
  Matrix<Scalar> G;  ///< output-side factor, fan_out²: (1/b) Σ g gᵀ (conv: also / positions)
};

template <class Scalar>
class Layer {
 public:
  using Mat = Matrix<Scalar>;
  using ConstRef = ConstMatrixRef<Scalar>;
  using Ref = MatrixRef<Scalar>;

  virtual ~Layer() = default;

  /// The kind of layer ("Dense", "Conv2d", ...).
  virtual std::string type() const = 0;
  virtual std::unique_ptr<Layer> clone() const = 0;
  /// The constructor arguments as "key=value" words ("units=64"), empty for layers without
  /// any: with type(), what make_layer() needs to rebuild the layer (model files, model specs).
  virtual std::string config() const { return ""; }

  /// Instance name used in messages ("dense_0"); Sequential assigns one when empty.
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  /// "Dense 'dense_0'": how messages name this layer.
  std::string label() const { return type() + " '" + name_ + "'"; }

  /// Fixes the per-example input shape (throws ShapeError naming the layer when it does not fit)
  /// and returns the output shape.
  Shape configure(const Shape& input);
  const Shape& input_shape() const { return input_; }
  const Shape& output_shape() const { return output_; }
  Index input_size() const { return input_.size(); }
  Index output_size() const { return output_.size(); }

  virtual Index num_parameters() const { return 0; }
  /// Points the layer at its parameter slice (num_parameters() scalars).
  void bind_parameters(const Scalar* params) { params_ = params; }
  /// Writes initial values into the layer's slice `params`.
  virtual void initialize(Scalar* /*params*/, Initializer /*init*/, Rng& /*rng*/) const {}

  /// Training mode turns on stochastic behaviour (RReLU's random slopes).
  virtual void set_training(bool training) { training_ = training; }
  bool training() const { return training_; }
  /// Draws fresh random state for a batch; stochastic layers keep it fixed until the next call,
  /// so that every evaluation inside one optimizer step sees the same function.
  virtual void resample_noise(Index /*batch_size*/, Rng& /*rng*/) {}
  /// True when the layer's function depends on that random state (in its current mode).
  virtual bool stochastic() const { return false; }

  /// Y = f(X; θ). Y is pre-sized output_size() × batch.
  virtual void forward(ConstRef X, Ref Y) = 0;

  /// Reverse mode (VJP) with output cotangent dY: dX = (∂Y/∂X)ᵀ dY and grad = (∂Y/∂θ)ᵀ dY summed
  /// over the batch (overwrites the slice).
  virtual void backward(ConstRef X, ConstRef Y, ConstRef dY, Mat* dX, Scalar* grad) = 0;

  /// Forward mode (JVP / R-operator): dY = (∂Y/∂X) dX + (∂Y/∂θ) v. A null dX or v is zero.
  virtual void jvp(ConstRef X, ConstRef Y, const Mat* dX, const Scalar* v, Ref dY) = 0;

  /// R-backprop for exact Hessian-vector products: the directional derivative of backward()'s
  /// outputs (dX, grad) along (X, θ, dY) → (RX, v, RdY). A null RX or v is zero.
  virtual void hvp_backward(ConstRef X, ConstRef Y, ConstRef dY, const Mat* RX, ConstRef RdY,
                            const Scalar* v, Mat* RdX, Scalar* Rgrad) = 0;

  /// jvp() for k parameter tangents in one pass (the batched curvature products): dX and dY hold
  /// k blocks of b = X.cols() columns, block j for tangent j, whose slice of this layer's
  /// parameters starts at v + j·v_stride. k = dY.cols() / b. A null dX or v is zero. The
  /// default runs jvp() block by block; Dense, Conv2d and the element-wise layers override it
  /// with one GEMM-shaped pass, which is what makes k products cost less than k single ones.
  virtual void jvp_columns(ConstRef X, ConstRef Y, const Mat* dX, const Scalar* v, Index v_stride,
                           Ref dY);
  /// hvp_backward() for k tangents at once, blocks as in jvp_columns() (k = RdY.cols() / b):
  /// slice j of the parameter output starts at Rgrad + j·grad_stride, RdX gets k blocks. dY (the
  /// primal cotangent, b columns) is read only where RX or v is given: with both null this is a
  /// plain reverse pass over k cotangents, which the Gauss-Newton products use.
  virtual void hvp_backward_columns(ConstRef X, ConstRef Y, ConstRef dY, const Mat* RX,
                                    ConstRef RdY, const Scalar* v, Index v_stride, Mat* RdX,
                                    Scalar* Rgrad, Index grad_stride);

  /// Per-sample parameter gradients. dY holds cotangents for `dY.cols()` rows, a multiple of the
  /// batch size b = X.cols(): column j belongs to example j mod b. Writes row j of `rows`
  /// (dY.cols() × num_parameters()). Only called on layers with parameters.
  virtual void per_sample_gradients(ConstRef X, ConstRef dY, Ref rows);

  /// Adds this layer's share of the Gram matrix J Jᵀ for the rows described by dY (as in
  /// per_sample_gradients) to the lower triangle of G. The default forms the rows explicitly;
  /// layers with a cheap identity (Dense, Embedding) override it.
  virtual void accumulate_gram(ConstRef X, ConstRef dY, Ref G);
  /// Whether accumulate_gram() has a cheap identity (it does not form the rows).
  virtual bool has_gram_identity() const { return false; }

  /// Adds the element-wise squares of those rows, summed over the rows, to `squares` (length
  /// num_parameters()): the diagonal of JᵀJ, from which the empirical Fisher's diagonal comes
  /// without a b × n matrix. The default forms the rows explicitly; Dense overrides it with one
  /// GEMM of the squared inputs and squared cotangents.
  virtual void accumulate_squared_gradients(ConstRef X, ConstRef dY, VectorRef<Scalar> squares);

  /// K-FAC statistics from the layer input X (b columns) and per-example output gradients dY:
  /// b columns, or m·b (m blocks of b, one cotangent per example each, summed into G: the m
  /// columns of a Gauss-Newton factor). Returns false for layers K-FAC does not cover.
  virtual bool kfac_factors(ConstRef /*X*/, ConstRef /*dY*/, KfacFactors<Scalar>& /*out*/) {
    return false;
  }
  /// K-FAC blocks of the layer: 1 for a layer with kfac_factors(), one per table for Embedding.
  virtual Index kfac_block_count() const { return 0; }
  /// Block `block`'s factors, `out.offset` relative to the layer's parameters; by default
  /// kfac_factors() for the one block.
  virtual bool kfac_block(ConstRef X, ConstRef dY, Index /*block*/, KfacFactors<Scalar>& out) {
    return kfac_factors(X, dY, out);
  }

 protected:
  /// Validates the input shape and returns the output shape (called by configure()).
  virtual Shape do_configure(const Shape& input) = 0;
  /// Throws ShapeError "<label>: <what> is <received>, expected <expected>".
  [[noreturn]] void shape_error(const std::string& what, const std::string& received,
                                const std::string& expected) const;

  const Scalar* params_ = nullptr;
  bool training_ = true;

 private:
  std::string name_;
  Shape input_;
  Shape output_;
  Mat gram_rows_;  // scratch for the default accumulate_gram and accumulate_squared_gradients
  // Scratch for the default column passes: one block's input tangent and R-cotangent.
  Mat column_tangent_;
  Mat column_cotangent_;
};

extern template class Layer<float>;
extern template class Layer<double>;

}  // namespace curvopt

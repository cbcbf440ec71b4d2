#pragma once
/// A chain of layers with one flat parameter vector and every derivative pass over the chain.

#include <cstdint>
#include <memory>
#include <vector>

#include "curvopt/core/workspace.h"
#include "curvopt/nn/layer.h"

namespace curvopt {

/// Sequential model. Owns its layers and a flat parameter vector; each layer sees a slice
/// (layer order, each layer's own order within). Passes can run on the owned vector or on any
/// other vector of the same size bound with bind_parameters() (what optimizers do, so that trying
/// a step never copies the model).
///
/// Passes keep per-layer buffers, sized on first use for a batch size and reused afterwards, so
/// repeated passes at the same batch size do not allocate. Usage order: forward(); then any of
/// backward(), jvp(), hvp_backward() (after backward() and jvp() with the same v),
/// row_cotangents() followed by jacobian_rows(), accumulate_gram() or kfac_factors().
/// @tparam Scalar float or double
template <class Scalar>
class Sequential {
 public:
  using Mat = Matrix<Scalar>;

  explicit Sequential(Shape input_shape);
  Sequential(const Sequential& other);
  Sequential& operator=(const Sequential& other);
  Sequential(Sequential&&) noexcept = default;
  Sequential& operator=(Sequential&&) noexcept = default;
  ~Sequential() = default;

  /// Appends a layer: configures it for the current output shape (throws ShapeError naming the
  /// layer if it does not fit), names it "<type>_<position>" unless named, grows the parameter
  /// vector (new entries zero until initialize()).
  Layer<Scalar>& add(std::unique_ptr<Layer<Scalar>> layer);
  template <template <class> class L, class... Args>
  L<Scalar>& add(Args&&... args) {
    return static_cast<L<Scalar>&>(add(std::make_unique<L<Scalar>>(std::forward<Args>(args)...)));
  }

  Index num_layers() const { return static_cast<Index>(layers_.size()); }
  Layer<Scalar>& layer(Index i) { return *layers_.at(static_cast<std::size_t>(i)); }
  const Layer<Scalar>& layer(Index i) const { return *layers_.at(static_cast<std::size_t>(i)); }
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const;
  Index input_size() const { return input_shape_.size(); }
  Index output_size() const { return output_shape().size(); }

  Index num_parameters() const { return offsets_.back(); }
  /// Start of layer i's slice in the flat parameter vector.
  Index parameter_offset(Index i) const { return offsets_.at(static_cast<std::size_t>(i)); }
  Vector<Scalar>& parameters() { return params_; }
  const Vector<Scalar>& parameters() const { return params_; }

  /// Draws every layer's initial parameters into the owned vector from a seeded generator.
  void initialize(Initializer init, std::uint64_t seed);
  void set_training(bool training);
  bool training() const { return training_; }
  /// Draws fresh random state (RReLU slopes) for a batch of `batch_size` examples from the
  /// model's noise generator (seeded by set_noise_seed, default 0).
  void resample_noise(Index batch_size);
  void set_noise_seed(std::uint64_t seed) { noise_rng_.reseed(seed); }
  /// True when some layer draws random state in the current mode (RReLU while training).
  bool stochastic() const;

  /// Runs the passes on `params` (size num_parameters(), must stay alive while passes use it)
  /// instead of the owned vector. Throws ShapeError on a size mismatch.
  void bind_parameters(const Scalar* params, Index size);
  /// Back to the owned vector.
  void bind_own_parameters();

  /// Throws ShapeError/ValueError naming the first layer unless X is input_size × b (b >= 1)
  /// with finite values.
  void check_input(ConstMatrixRef<Scalar> X) const;
  /// Forward pass over a batch X (input_size × b). Validates the shape and that X is finite;
  /// X must stay alive (and unchanged) while later passes use it. Returns the output.
  const Mat& forward(ConstMatrixRef<Scalar> X);
  const Mat& output() const;
  Index batch_size() const { return batch_; }

  /// Reverse pass with output cotangent dZ; writes the summed parameter gradient into grad
  /// (num_parameters()), keeps every layer's output cotangent for hvp_backward().
  void backward(ConstMatrixRef<Scalar> dZ, Scalar* grad);
  /// backward() after jvp(v), adding weight times each hidden state's tangent to its cotangent
  /// (the hidden states: the inputs of every parameterized layer but the first). With dZ the
  /// loss's Gauss-Newton product of the tangent this writes (G + weight·Σ_h J_hᵀJ_h) v: the
  /// structural damping of Martens & Sutskever (2011).
  void backward_with_hidden_damping(ConstMatrixRef<Scalar> dZ, Scalar* grad, Scalar weight);
  /// Forward-mode pass with parameter tangent v (input tangent zero); returns the output tangent.
  const Mat& jvp(const Scalar* v);
  /// R-backprop: after forward(), backward(dZ) and jvp(v), given RdZ = R{dZ} (the loss Hessian
  /// applied to the output tangent), writes R{grad} = H v into Rgrad.
  void hvp_backward(const Scalar* v, ConstMatrixRef<Scalar> RdZ, Scalar* Rgrad);

  /// jvp() for k parameter tangents in one pass: tangent j starts at V + j·v_stride. Returns the
  /// output tangents as k blocks of b columns (block j for tangent j).
  const Mat& jvp_columns(const Scalar* V, Index v_stride, Index k);
  /// hvp_backward() for the k tangents of the last jvp_columns() (after forward() and
  /// backward(dZ)): RdZ holds k blocks of b columns; writes H vⱼ to Rgrad + j·grad_stride.
  void hvp_backward_columns(const Scalar* V, Index v_stride, ConstMatrixRef<Scalar> RdZ,
                            Scalar* Rgrad, Index grad_stride);
  /// Reverse pass over k output cotangents (k blocks of b columns): writes the summed gradient
  /// of block j to grad + j·grad_stride. The batched Gauss-Newton products use it.
  void backward_columns(ConstMatrixRef<Scalar> dZ, Scalar* grad, Index grad_stride);

  /// Back-propagates output cotangents U (output_size × m, m a multiple of the batch size b;
  /// column j belongs to example j mod b), keeping each parameterized layer's output cotangents.
  /// Each column defines one row of a Jacobian: row j = (∂z_{j mod b}/∂θ)ᵀ u_j.
  void row_cotangents(ConstMatrixRef<Scalar> U);
  /// Writes the m rows defined by row_cotangents() into J (m × num_parameters()).
  void jacobian_rows(MatrixRef<Scalar> J);
  /// Adds the Gram matrix of those rows (m × m) to the lower triangle of G.
  void accumulate_gram(MatrixRef<Scalar> G);
  /// Every layer with parameters has a cheap Gram identity (Dense, Embedding).
  bool gram_has_identities() const;
  /// After row_cotangents(): each parameterized layer's inputs, then its row cotangents, into
  /// factors (see Problem::gram_factors).
  void gram_factors(std::vector<Matrix<Scalar>>& factors);
  /// Adds the Gram of factors laid out as gram_factors() gives them (any example count) to the
  /// lower triangle of G.
  void accumulate_gram_from(const std::vector<Matrix<Scalar>>& factors, MatrixRef<Scalar> G);
  /// The element-wise squares of those rows summed over the rows (the diagonal of JᵀJ) into
  /// `squares` (length num_parameters()), without forming the rows of Dense layers.
  void squared_row_sums(VectorRef<Scalar> squares);
  /// K-FAC factors of every Dense and Conv2d layer from the cotangents given to
  /// row_cotangents() (one per example: m = b).
  void kfac_factors(std::vector<KfacFactors<Scalar>>& out);

 private:
  using InputMap = Eigen::Map<const Mat, 0, Eigen::OuterStride<>>;
  InputMap input_of(Index layer) const;
  bool has_parameters(Index layer) const { return layer_parameters(layer) > 0; }
  Index layer_parameters(Index layer) const {
    return offsets_[static_cast<std::size_t>(layer) + 1] -
           offsets_[static_cast<std::size_t>(layer)];
  }
  void require_forward(const char* pass) const;
  void backward_pass(ConstMatrixRef<Scalar> dZ, Scalar* grad, Scalar hidden_tangent_weight);

  Shape input_shape_;
  std::vector<std::unique_ptr<Layer<Scalar>>> layers_;
  std::vector<Index> offsets_{0};
  Index first_parameterized_ = -1;  // first layer with parameters (-1: none)
  Vector<Scalar> params_;
  const Scalar* bound_ = nullptr;  // nullptr: the owned vector
  bool training_ = true;
  Rng noise_rng_{0};

  // The batch of the last forward().
  const Scalar* input_data_ = nullptr;
  Index input_stride_ = 0;
  Index batch_ = 0;
  // Per-layer buffers, index = layer whose output they describe.
  std::vector<Mat> acts_;             // outputs
  std::vector<Mat> grads_;            // output cotangents
  std::vector<Mat> tangents_;         // output tangents (forward mode)
  std::vector<Mat> rgrads_;           // R{output cotangents}
  std::vector<Mat> column_tangents_;  // tangents_ and rgrads_ of the k-column passes
  std::vector<Mat> column_rgrads_;
  Mat no_cotangent_;                         // the dY backward_columns() does not need
  std::vector<Workspace<Scalar>> row_cots_;  // per-row output cotangents, parameterized layers
  MatrixMap<Scalar> row_cotangents_of(Index layer) {
    return row_cots_[layer].matrix(layers_[layer]->output_size(), num_rows_);
  }
  Index num_rows_ = 0;
};

extern template class Sequential<float>;
extern template class Sequential<double>;

}  // namespace curvopt

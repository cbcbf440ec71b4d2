#pragma once
/// 2-D convolution (cross-correlation, as in PyTorch) by im2col + GEMM.

#include <vector>

#include "curvopt/core/workspace.h"
#include "curvopt/nn/layer.h"

namespace curvopt {

struct Conv2dOptions {
  Index out_channels = 1;  ///< number of filters, >= 1
  Index kernel_h = 3;      ///< kernel height, >= 1
  Index kernel_w = 3;      ///< kernel width, >= 1
  Index stride = 1;        ///< stride in both directions, >= 1
  Index padding = 0;       ///< zero padding on every side, >= 0
};

/// Conv2d over inputs of shape C × H × W (channel-major), output out_channels × OH × OW with
/// OH = (H + 2·padding − kernel_h)/stride + 1.
///
/// Parameters: W (out_channels × C·kh·kw, column-major; column index (c·kh + i)·kw + j), then the
/// bias (out_channels). Patches are unfolded (im2col) for up to a fixed memory budget of examples
/// at a time, so large batches do not need batch-sized patch matrices. K-FAC factors follow KFC
/// (Grosse & Martens 2016): A = (1/b) Σ_examples Σ_positions p̄p̄ᵀ over patches p̄ = [p; 1],
/// G = (1/(b·|T|)) Σ Σ δ_t δ_tᵀ.
template <class Scalar>
class Conv2d final : public Layer<Scalar> {
 public:
  using typename Layer<Scalar>::Mat;
  using typename Layer<Scalar>::ConstRef;
  using typename Layer<Scalar>::Ref;

  explicit Conv2d(const Conv2dOptions& options);
  /// Square kernel shorthand.
  Conv2d(Index out_channels, Index kernel, Index stride = 1, Index padding = 0);

  std::string type() const override { return "Conv2d"; }
  std::unique_ptr<Layer<Scalar>> clone() const override { return std::make_unique<Conv2d>(*this); }
  std::string config() const override;
  Index num_parameters() const override { return opt_.out_channels * (patch_size_ + 1); }
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
  bool kfac_factors(ConstRef X, ConstRef dY, KfacFactors<Scalar>& out) override;
  /// EKFAC's scaling: adds the squared projections of the `count` examples' gradients, from
  /// their patches `cols` and position-major cotangents `pos`, to out.scaling.
  void accumulate_scaling(ConstRef cols, ConstRef pos, Index count, KfacFactors<Scalar>& out) const;
  Index kfac_block_count() const override { return 1; }

  const Conv2dOptions& options() const { return opt_; }

 protected:
  Shape do_configure(const Shape& input) override;

 private:
  using Block = Eigen::Block<Mat>;
  ConstMatrixMap<Scalar> weight(const Scalar* p) const {
    return ConstMatrixMap<Scalar>(p, opt_.out_channels, patch_size_);
  }
  ConstVectorMap<Scalar> bias(const Scalar* p) const {
    return ConstVectorMap<Scalar>(p + opt_.out_channels * patch_size_, opt_.out_channels);
  }
  /// Examples per im2col chunk for a batch of b.
  Index chunk_size(Index b) const;
  /// Unfolds examples [first, first + count) of X into dst (count·P × K).
  void im2col(ConstRef X, Index first, Index count, Ref dst) const;
  /// A count·P × K patch matrix / count·P × out_channels position matrix in `buffer`.
  MatrixMap<Scalar> patches(Workspace<Scalar>& buffer, Index count) const;
  MatrixMap<Scalar> positions(Workspace<Scalar>& buffer, Index count) const;
  /// Scratch of one thread working on one chunk at a time: patches, output positions, the
  /// patch-space gradient, and the thread's share of the parameter gradient.
  struct ChunkScratch {
    Workspace<Scalar> cols, pos, dcols;
    Vector<Scalar> grad;
  };
  /// Threads for `chunks` chunks (1 when there is only one), with a scratch for each.
  int prepare_threads(Index chunks);
  /// body(first, count, scratch) for every chunk of a batch of b, on `threads` threads.
  template <class Body>
  void for_each_chunk(Index b, Index chunk, int threads, Body body);
  /// Patches of X's chunk in w.cols, recomputed unless forward() left the whole batch there.
  MatrixMap<Scalar> primal_patches(ConstRef X, Index first, Index count, ChunkScratch& w);
  /// The scratch of the passes that run on the calling thread alone.
  ChunkScratch& serial_scratch();
  /// Folds src (count·P × K) back, adding into examples [first, first + count) of dX.
  void col2im(ConstRef src, Index first, Index count, Mat& dX) const;
  /// dst(s·P + p, o) = Y(o·P + p, first + s): one example's output map as rows of positions.
  void gather_positions(ConstRef Y, Index first, Index count, Ref dst) const;
  /// Y(o·P + p, first + s) = src(s·P + p, o) + bias(o).
  void scatter_positions(ConstRef src, const Scalar* bias_or_null, Index first, Index count,
                         Ref Y) const;

  Conv2dOptions opt_;
  Index in_c_ = 0, in_h_ = 0, in_w_ = 0, out_h_ = 0, out_w_ = 0;
  Index positions_ = 0;   // P = OH·OW
  Index patch_size_ = 0;  // K = C·kh·kw
  // Grow-only scratch, so that a last, smaller chunk does not reallocate on every pass. forward()
  // and backward() work on chunks in parallel, one ChunkScratch per thread; the other passes use
  // scratch_[0] on the calling thread.
  std::vector<ChunkScratch> scratch_;
  Workspace<Scalar> tcols_;   // im2col of a tangent input
  Workspace<Scalar> rpos_;    // a second position matrix for R-passes
  bool cols_cached_ = false;  // scratch_[0].cols holds the whole batch's patches from forward()
  // The column passes' (conv2d_columns.cpp) stacked operands for k tangents at once.
  Workspace<Scalar> stacked_weights_;    // the k weight tangents, side by side
  Workspace<Scalar> stacked_positions_;  // k position matrices, side by side
  Workspace<Scalar> stacked_rows_;       // k position or patch matrices, one above the other
  Workspace<Scalar> stacked_product_;
  Workspace<Scalar> stacked_second_product_;
  /// Examples per chunk when k tangents share it: k patch matrices within one chunk's budget.
  Index column_chunk_size(Index b, Index k) const;
};

extern template class Conv2d<float>;
extern template class Conv2d<double>;

}  // namespace curvopt

// Conv2d's k-tangent passes (the batched curvature products). Each of the k products of a pass
// becomes one GEMM over all k tangents: tangents whose patches multiply the layer's own weights
// are stacked as rows (one tall patch matrix against W), and weight tangents that multiply the
// primal patches are stacked side by side (the patches against [V_1ᵀ … V_kᵀ]). The batch is cut
// into chunks as in the single passes, with the patch budget of a chunk shared by the k tangents.
#include "curvopt/nn/conv2d.h"

namespace curvopt {

template <class Scalar>
void Conv2d<Scalar>::jvp_columns(ConstRef X, ConstRef, const Mat* dX, const Scalar* v,
                                 Index v_stride, Ref dY) {
  const Index b = X.cols(), k = dY.cols() / b;
  if (!dX && !v) {
    dY.setZero();
    return;
  }
  const Index oc = opt_.out_channels, K = patch_size_, P = positions_;
  const Index chunk = column_chunk_size(b, k);
  auto weights = stacked_weights_.matrix(K, k * oc);
  if (v)
    for (Index j = 0; j < k; ++j)
      weights.middleCols(j * oc, oc) = weight(v + j * v_stride).transpose();
  ChunkScratch& w = serial_scratch();
  for (Index first = 0; first < b; first += chunk) {
    const Index count = std::min(chunk, b - first), rows = count * P;
    // Column block j: the output positions of tangent j.
    auto pos = stacked_positions_.matrix(rows, k * oc);
    if (v)
      pos.noalias() = primal_patches(X, first, count, w) * weights;
    else
      pos.setZero();
    if (dX) {
      auto tangent_patches = stacked_rows_.matrix(k * rows, K);
      for (Index j = 0; j < k; ++j)
        im2col(*dX, j * b + first, count, tangent_patches.middleRows(j * rows, rows));
      auto product = stacked_product_.matrix(k * rows, oc);
      product.noalias() = tangent_patches * weight(this->params_).transpose();
      for (Index j = 0; j < k; ++j)
        pos.middleCols(j * oc, oc) += product.middleRows(j * rows, rows);
    }
    for (Index j = 0; j < k; ++j)
      scatter_positions(pos.middleCols(j * oc, oc), v ? v + j * v_stride + oc * K : nullptr, first,
                        count, dY.middleCols(j * b, b));
  }
}

template <class Scalar>
void Conv2d<Scalar>::hvp_backward_columns(ConstRef X, ConstRef, ConstRef dY, const Mat* RX,
                                          ConstRef RdY, const Scalar* v, Index v_stride, Mat* RdX,
                                          Scalar* Rgrad, Index grad_stride) {
  // As hvp_backward(): backward() is bilinear in (weights, patches of X, dY).
  const Index b = X.cols(), k = RdY.cols() / b;
  const Index oc = opt_.out_channels, K = patch_size_, P = positions_;
  const Index chunk = column_chunk_size(b, k);
  if (Rgrad)
    for (Index j = 0; j < k; ++j)
      VectorMap<Scalar>(Rgrad + j * grad_stride, oc * (K + 1)).setZero();
  if (RdX) {
    RdX->resize(this->input_size(), k * b);
    RdX->setZero();
  }
  auto weights = stacked_weights_.matrix(oc, k * K);
  if (RdX && v)
    for (Index j = 0; j < k; ++j) weights.middleCols(j * K, K) = weight(v + j * v_stride);
  ChunkScratch& w = serial_scratch();
  for (Index first = 0; first < b; first += chunk) {
    const Index count = std::min(chunk, b - first), rows = count * P;
    // Column block j: the positions of R-cotangent j.
    auto rpos = stacked_positions_.matrix(rows, k * oc);
    for (Index j = 0; j < k; ++j)
      gather_positions(RdY.middleCols(j * b, b), first, count, rpos.middleCols(j * oc, oc));
    auto pos = positions(w.pos, count);
    if ((Rgrad && RX) || (RdX && v)) gather_positions(dY, first, count, pos);
    if (Rgrad) {
      // Row block j of rposᵀ · patches(X) is tangent j's R{grad_W} from RdY.
      auto product = stacked_product_.matrix(k * oc, K);
      product.noalias() = rpos.transpose() * primal_patches(X, first, count, w);
      for (Index j = 0; j < k; ++j) {
        Scalar* out = Rgrad + j * grad_stride;
        MatrixMap<Scalar>(out, oc, K) += product.middleRows(j * oc, oc);
        VectorMap<Scalar>(out + oc * K, oc) +=
            rpos.middleCols(j * oc, oc).colwise().sum().transpose();
      }
      if (RX) {
        // Column block j of posᵀ · [patches(RX_1) … patches(RX_k)] is dY's term for tangent j.
        auto tangent_patches = tcols_.matrix(rows, k * K);
        for (Index j = 0; j < k; ++j)
          im2col(*RX, j * b + first, count, tangent_patches.middleCols(j * K, K));
        auto second = stacked_second_product_.matrix(oc, k * K);
        second.noalias() = pos.transpose() * tangent_patches;
        for (Index j = 0; j < k; ++j)
          MatrixMap<Scalar>(Rgrad + j * grad_stride, oc, K) += second.middleCols(j * K, K);
      }
    }
    if (RdX) {
      // Patch cotangent of tangent j: rpos_j W + pos V_j, folded back into RdX's block j.
      auto rpos_rows = stacked_rows_.matrix(k * rows, oc);
      for (Index j = 0; j < k; ++j)
        rpos_rows.middleRows(j * rows, rows) = rpos.middleCols(j * oc, oc);
      auto patch_cotangents = stacked_product_.matrix(k * rows, K);
      patch_cotangents.noalias() = rpos_rows * weight(this->params_);
      if (v) {
        auto second = stacked_second_product_.matrix(rows, k * K);
        second.noalias() = pos * weights;
        for (Index j = 0; j < k; ++j)
          patch_cotangents.middleRows(j * rows, rows) += second.middleCols(j * K, K);
      }
      for (Index j = 0; j < k; ++j)
        col2im(patch_cotangents.middleRows(j * rows, rows), j * b + first, count, *RdX);
    }
  }
}

// The members of this file only: the class itself is instantiated in conv2d.cpp.
#define CURVOPT_CONV2D_COLUMNS(Scalar)                                                            \
  template void Conv2d<Scalar>::jvp_columns(ConstRef, ConstRef, const Mat*, const Scalar*, Index, \
                                            Ref);                                                 \
  template void Conv2d<Scalar>::hvp_backward_columns(ConstRef, ConstRef, ConstRef, const Mat*,    \
                                                     ConstRef, const Scalar*, Index, Mat*,        \
                                                     Scalar*, Index);
CURVOPT_CONV2D_COLUMNS(float)
CURVOPT_CONV2D_COLUMNS(double)
#undef CURVOPT_CONV2D_COLUMNS

}  // namespace curvopt

#include "curvopt/nn/conv2d.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/parallel_for.h"
#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

// Patch matrices of at most this many scalars per chunk (1 MiB in float): a chunk's patches stay
// in a core's L2 cache from im2col to the GEMM that reads them, and memory stays bounded on large
// batches. On the benchmark CNN (batch 64) this beats one batch-sized patch matrix by 5-10 % of
// the whole step, although backward then unfolds the patches again (2^17 to 2^19 measure alike).
constexpr Index kMaxPatchScalars = Index(1) << 18;

void check_option(bool ok, const char* field, Index value, const char* rule) {
  if (!ok)
    throw ConfigError(std::string("Conv2dOptions::") + field + " = " + std::to_string(value) +
                      ": must be " + rule);
}

/// The output columns [lo, hi) whose input column ow·stride + offset lies inside [0, width).
std::pair<Index, Index> valid_range(Index offset, Index stride, Index width, Index out_width) {
  const Index lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  const Index last = width - 1 - offset;  // largest ow·stride allowed
  const Index hi = last < 0 ? 0 : std::min(out_width, last / stride + 1);
  return {std::min(lo, hi), hi};
}

}  // namespace

template <class Scalar>
Conv2d<Scalar>::Conv2d(const Conv2dOptions& options) : opt_(options) {
  check_option(opt_.out_channels >= 1, "out_channels", opt_.out_channels, ">= 1");
  check_option(opt_.kernel_h >= 1, "kernel_h", opt_.kernel_h, ">= 1");
  check_option(opt_.kernel_w >= 1, "kernel_w", opt_.kernel_w, ">= 1");
  check_option(opt_.stride >= 1, "stride", opt_.stride, ">= 1");
  check_option(opt_.padding >= 0, "padding", opt_.padding, ">= 0");
}

template <class Scalar>
Conv2d<Scalar>::Conv2d(Index out_channels, Index kernel, Index stride, Index padding)
    : Conv2d(Conv2dOptions{out_channels, kernel, kernel, stride, padding}) {}

template <class Scalar>
Shape Conv2d<Scalar>::do_configure(const Shape& input) {
  in_c_ = input.channels;
  in_h_ = input.height;
  in_w_ = input.width;
  const Index span_h = in_h_ + 2 * opt_.padding - opt_.kernel_h;
  const Index span_w = in_w_ + 2 * opt_.padding - opt_.kernel_w;
  if (span_h < 0 || span_w < 0)
    this->shape_error("input shape", to_string(input),
                      "at least the kernel " + std::to_string(opt_.kernel_h) + "x" +
                          std::to_string(opt_.kernel_w) + " after padding");
  out_h_ = span_h / opt_.stride + 1;
  out_w_ = span_w / opt_.stride + 1;
  positions_ = out_h_ * out_w_;
  patch_size_ = in_c_ * opt_.kernel_h * opt_.kernel_w;
  return Shape::image(opt_.out_channels, out_h_, out_w_);
}

template <class Scalar>
void Conv2d<Scalar>::initialize(Scalar* params, Initializer init, Rng& rng) const {
  VectorMap<Scalar> all(params, num_parameters());
  const Index nw = opt_.out_channels * patch_size_;
  const Index fan_out = opt_.out_channels * opt_.kernel_h * opt_.kernel_w;
  initialize_weights<Scalar>(init, patch_size_, fan_out, all.head(nw), all.tail(opt_.out_channels),
                             rng);
}

template <class Scalar>
Index Conv2d<Scalar>::chunk_size(Index b) const {
  return std::clamp<Index>(kMaxPatchScalars / std::max<Index>(1, positions_ * patch_size_), 1, b);
}

template <class Scalar>
Index Conv2d<Scalar>::column_chunk_size(Index b, Index k) const {
  const Index per_example = std::max<Index>(1, positions_ * patch_size_ * std::max<Index>(k, 1));
  return std::clamp<Index>(kMaxPatchScalars / per_example, 1, b);
}

template <class Scalar>
void Conv2d<Scalar>::im2col(ConstRef X, Index first, Index count, Ref dst) const {
  const Index kh = opt_.kernel_h, kw = opt_.kernel_w, st = opt_.stride, pad = opt_.padding;
  for (Index c = 0; c < in_c_; ++c) {
    for (Index ki = 0; ki < kh; ++ki) {
      for (Index kj = 0; kj < kw; ++kj) {
        Scalar* out = dst.col((c * kh + ki) * kw + kj).data();
        const Index offset = kj - pad;
        // Not a structured binding: lambdas below use lo and hi, and Clang before 16 cannot
        // capture bindings.
        const std::pair<Index, Index> range = valid_range(offset, st, in_w_, out_w_);
        const Index lo = range.first, hi = range.second;
        for (Index s = 0; s < count; ++s) {
          const Scalar* image = X.col(first + s).data() + c * in_h_ * in_w_;
          for (Index oh = 0; oh < out_h_; ++oh, out += out_w_) {
            const Index ih = oh * st + ki - pad;
            if (ih < 0 || ih >= in_h_) {
              std::fill(out, out + out_w_, Scalar(0));
              continue;
            }
            // Branch-free interior; zeros only where the kernel overhangs the padding.
            const Scalar* row = image + ih * in_w_;
            for (Index ow = 0; ow < lo; ++ow) out[ow] = Scalar(0);
            if (st == 1) {
              // Rows are short (the output width); an inline loop beats a memmove call each.
              const Scalar* source = row + lo + offset;
              Scalar* target = out + lo;
#pragma omp simd
              for (Index k = 0; k < hi - lo; ++k) target[k] = source[k];
            } else {
              for (Index ow = lo; ow < hi; ++ow) out[ow] = row[ow * st + offset];
            }
            for (Index ow = hi; ow < out_w_; ++ow) out[ow] = Scalar(0);
          }
        }
      }
    }
  }
}

template <class Scalar>
MatrixMap<Scalar> Conv2d<Scalar>::patches(Workspace<Scalar>& buffer, Index count) const {
  return buffer.matrix(count * positions_, patch_size_);
}

template <class Scalar>
MatrixMap<Scalar> Conv2d<Scalar>::positions(Workspace<Scalar>& buffer, Index count) const {
  return buffer.matrix(count * positions_, opt_.out_channels);
}

template <class Scalar>
int Conv2d<Scalar>::prepare_threads(Index chunks) {
  const int threads = detail::threads_for(chunks, kMaxPatchScalars);
  if (scratch_.size() < static_cast<std::size_t>(threads))
    scratch_.resize(static_cast<std::size_t>(threads));
  return threads;
}

template <class Scalar>
template <class Body>
void Conv2d<Scalar>::for_each_chunk(Index b, Index chunk, int threads, Body body) {
  detail::parallel_for((b + chunk - 1) / chunk, threads, [&](Index k, int thread) {
    body(k * chunk, std::min(chunk, b - k * chunk), scratch_[static_cast<std::size_t>(thread)]);
  });
}

template <class Scalar>
typename Conv2d<Scalar>::ChunkScratch& Conv2d<Scalar>::serial_scratch() {
  if (scratch_.empty()) scratch_.resize(1);
  return scratch_.front();
}

template <class Scalar>
MatrixMap<Scalar> Conv2d<Scalar>::primal_patches(ConstRef X, Index first, Index count,
                                                 ChunkScratch& w) {
  auto cols = patches(w.cols, count);
  // Only a single-chunk forward() caches, and it runs on scratch_[0].
  // Only the thread on scratch_[0] reads or writes the flag (backward() runs this in parallel).
  const bool front = &w == &scratch_.front();
  const bool cached = front && cols_cached_ && first == 0 && count == X.cols();
  if (!cached) {
    im2col(X, first, count, cols);
    // A smaller chunk (the column passes cut finer) overwrites the whole batch's patches.
    if (front && cols_cached_) cols_cached_ = false;
  }
  return cols;
}

template <class Scalar>
void Conv2d<Scalar>::col2im(ConstRef src, Index first, Index count, Mat& dX) const {
  const Index kh = opt_.kernel_h, kw = opt_.kernel_w, st = opt_.stride, pad = opt_.padding;
  for (Index c = 0; c < in_c_; ++c) {
    for (Index ki = 0; ki < kh; ++ki) {
      for (Index kj = 0; kj < kw; ++kj) {
        const Scalar* in = src.col((c * kh + ki) * kw + kj).data();
        const Index offset = kj - pad;
        // Not a structured binding: lambdas below use lo and hi, and Clang before 16 cannot
        // capture bindings.
        const std::pair<Index, Index> range = valid_range(offset, st, in_w_, out_w_);
        const Index lo = range.first, hi = range.second;
        for (Index s = 0; s < count; ++s) {
          Scalar* image = dX.col(first + s).data() + c * in_h_ * in_w_;
          for (Index oh = 0; oh < out_h_; ++oh, in += out_w_) {
            const Index ih = oh * st + ki - pad;
            if (ih < 0 || ih >= in_h_) continue;
            Scalar* row = image + ih * in_w_;
            if (st == 1) {
              Scalar* shifted = row + lo + offset;
              const Scalar* source = in + lo;
#pragma omp simd
              for (Index k = 0; k < hi - lo; ++k) shifted[k] += source[k];
            } else {
              for (Index ow = lo; ow < hi; ++ow) row[ow * st + offset] += in[ow];
            }
          }
        }
      }
    }
  }
}

template <class Scalar>
void Conv2d<Scalar>::gather_positions(ConstRef Y, Index first, Index count, Ref dst) const {
  const Index oc = opt_.out_channels, P = positions_;
  for (Index o = 0; o < oc; ++o)
    for (Index s = 0; s < count; ++s)
      dst.col(o).segment(s * P, P) = Y.col(first + s).segment(o * P, P);
}

template <class Scalar>
void Conv2d<Scalar>::scatter_positions(ConstRef src, const Scalar* bias_or_null, Index first,
                                       Index count, Ref Y) const {
  const Index oc = opt_.out_channels, P = positions_;
  for (Index o = 0; o < oc; ++o) {
    const Scalar b = bias_or_null ? bias_or_null[o] : Scalar(0);
    for (Index s = 0; s < count; ++s)
      Y.col(first + s).segment(o * P, P) = src.col(o).segment(s * P, P).array() + b;
  }
}

// forward() and backward() split the batch's chunks across OpenMP threads: each unfolds and
// multiplies its own chunks (OpenBLAS runs single-threaded inside a parallel region), and the
// examples' outputs and input gradients are disjoint columns. Only the weight gradient is a sum
// over chunks; each thread keeps its share and the shares are added in thread order, so results
// depend on the thread count only through that order. im2col, col2im and the position shuffles,
// which are a third of the step at one thread, then scale with the threads as well.
template <class Scalar>
void Conv2d<Scalar>::forward(ConstRef X, Ref Y) {
  const Index b = X.cols(), chunk = chunk_size(b), chunks = (b + chunk - 1) / chunk;
  const int threads = prepare_threads(chunks);
  const Scalar* bias_ptr = this->params_ + opt_.out_channels * patch_size_;
  cols_cached_ = false;
  for_each_chunk(b, chunk, threads, [&](Index first, Index count, ChunkScratch& w) {
    auto cols = patches(w.cols, count);
    auto pos = positions(w.pos, count);
    im2col(X, first, count, cols);
    pos.noalias() = cols * weight(this->params_).transpose();
    scatter_positions(pos, bias_ptr, first, count, Y);
  });
  cols_cached_ = chunks == 1;
}

template <class Scalar>
void Conv2d<Scalar>::backward(ConstRef X, ConstRef, ConstRef dY, Mat* dX, Scalar* grad) {
  const Index b = X.cols(), chunk = chunk_size(b), chunks = (b + chunk - 1) / chunk;
  const Index oc = opt_.out_channels, np = num_parameters();
  const int threads = prepare_threads(chunks);
  if (grad)
    for (int t = 0; t < threads; ++t) scratch_[static_cast<std::size_t>(t)].grad.setZero(np);
  if (dX) dX->resize(this->input_size(), b);  // zeroed chunk by chunk below
  for_each_chunk(b, chunk, threads, [&](Index first, Index count, ChunkScratch& w) {
    auto pos = positions(w.pos, count);
    gather_positions(dY, first, count, pos);
    if (grad) {
      MatrixMap<Scalar>(w.grad.data(), oc, patch_size_).noalias() +=
          pos.transpose() * primal_patches(X, first, count, w);
      w.grad.tail(oc) += pos.colwise().sum().transpose();
    }
    if (dX) {
      dX->middleCols(first, count).setZero();
      auto dcols = patches(w.dcols, count);
      dcols.noalias() = pos * weight(this->params_);
      col2im(dcols, first, count, *dX);
    }
  });
  if (grad) {
    VectorMap<Scalar> g(grad, np);
    g = scratch_.front().grad;
    for (int t = 1; t < threads; ++t) g += scratch_[static_cast<std::size_t>(t)].grad;
  }
}

template <class Scalar>
void Conv2d<Scalar>::jvp(ConstRef X, ConstRef, const Mat* dX, const Scalar* v, Ref dY) {
  const Index b = X.cols(), chunk = chunk_size(b);
  if (!dX && !v) {
    dY.setZero();
    return;
  }
  const Scalar* bias_ptr = v ? v + opt_.out_channels * patch_size_ : nullptr;
  ChunkScratch& w = serial_scratch();
  for (Index first = 0; first < b; first += chunk) {
    const Index count = std::min(chunk, b - first);
    auto pos = positions(w.pos, count);
    pos.setZero();
    if (v) pos.noalias() += primal_patches(X, first, count, w) * weight(v).transpose();
    if (dX) {
      auto tcols = patches(tcols_, count);
      im2col(*dX, first, count, tcols);
      pos.noalias() += tcols * weight(this->params_).transpose();
    }
    scatter_positions(pos, bias_ptr, first, count, dY);
  }
}

template <class Scalar>
void Conv2d<Scalar>::hvp_backward(ConstRef X, ConstRef, ConstRef dY, const Mat* RX, ConstRef RdY,
                                  const Scalar* v, Mat* RdX, Scalar* Rgrad) {
  // backward() is bilinear in (weights, patches of X, dY); differentiate each factor in turn.
  const Index b = X.cols(), chunk = chunk_size(b), oc = opt_.out_channels;
  MatrixMap<Scalar> gW(Rgrad, Rgrad ? oc : 0, Rgrad ? patch_size_ : 0);
  if (Rgrad) VectorMap<Scalar>(Rgrad, num_parameters()).setZero();
  if (RdX) {
    RdX->resize(this->input_size(), b);
    RdX->setZero();
  }
  ChunkScratch& w = serial_scratch();
  for (Index first = 0; first < b; first += chunk) {
    const Index count = std::min(chunk, b - first);
    auto rpos = positions(rpos_, count);
    auto pos = positions(w.pos, count);
    gather_positions(RdY, first, count, rpos);
    // dY enters only the second-order terms (it may be empty when RX and v are null).
    if ((Rgrad && RX) || (RdX && v)) gather_positions(dY, first, count, pos);
    if (Rgrad) {
      gW.noalias() += rpos.transpose() * primal_patches(X, first, count, w);
      if (RX) {
        auto tcols = patches(tcols_, count);
        im2col(*RX, first, count, tcols);
        gW.noalias() += pos.transpose() * tcols;
      }
      VectorMap<Scalar>(Rgrad + oc * patch_size_, oc) += rpos.colwise().sum().transpose();
    }
    if (RdX) {
      auto dcols = patches(w.dcols, count);
      dcols.noalias() = rpos * weight(this->params_);
      if (v) dcols.noalias() += pos * weight(v);
      col2im(dcols, first, count, *RdX);
    }
  }
}

template <class Scalar>
void Conv2d<Scalar>::per_sample_gradients(ConstRef X, ConstRef dY, Ref rows) {
  // Row j = k·b + s of the column-major J is written a tile of up to 16 consecutive examples at
  // a time. Written one by one, every entry of a row would land on a cache line of its own (the
  // column stride is J's m rows); 16 rows of one column fill a line instead. The benchmark CNN's
  // 640 × 62 346 J (BM_CnnJacobian) went from 282 to 157 ms; its 640 small GEMMs are most of
  // the rest.
  constexpr Index kTile = 16;
  const Index b = X.cols(), oc = opt_.out_channels, P = positions_, K = patch_size_;
  const Index blocks = dY.cols() / b, tile = std::min(kTile, b);
  ChunkScratch& w = serial_scratch();
  // One example's gradient per column (weights as oc × K, then the bias): the tile's rows of J.
  auto tile_rows = w.dcols.matrix(oc * K + oc, tile);
  for (Index first = 0; first < b; first += tile) {
    const Index count = std::min(tile, b - first);
    const auto cols = primal_patches(X, first, count, w);
    for (Index k = 0; k < blocks; ++k) {
      for (Index s = 0; s < count; ++s) {
        // One example's output cotangent, channel-major, is a P × out_channels matrix.
        ConstMatrixMap<Scalar> delta(dY.col(k * b + first + s).data(), P, oc);
        MatrixMap<Scalar>(tile_rows.col(s).data(), oc, K).noalias() =
            delta.transpose() * cols.middleRows(s * P, P);
        tile_rows.col(s).tail(oc) = delta.colwise().sum().transpose();
      }
      rows.middleRows(k * b + first, count) = tile_rows.leftCols(count).transpose();
    }
  }
}

template <class Scalar>
bool Conv2d<Scalar>::kfac_factors(ConstRef X, ConstRef dY, KfacFactors<Scalar>& out) {
  const Index b = X.cols(), chunk = chunk_size(b), K = patch_size_;
  out.A.setZero(K + 1, K + 1);
  out.G.setZero(opt_.out_channels, opt_.out_channels);
  const bool ekfac = out.basis_A.rows() == K + 1 && out.basis_G.rows() == opt_.out_channels;
  if (ekfac) out.scaling.setZero(opt_.out_channels, K + 1);
  ChunkScratch& w = serial_scratch();
  for (Index first = 0; first < b; first += chunk) {
    const Index count = std::min(chunk, b - first);
    const auto cols = primal_patches(X, first, count, w);
    out.A.topLeftCorner(K, K).template selfadjointView<Eigen::Lower>().rankUpdate(cols.transpose());
    out.A.col(K).head(K) += cols.colwise().sum().transpose();
    auto pos = positions(w.pos, count);
    // dY may hold several cotangents per example (blocks of b columns: the exact Gauss-Newton
    // factor's columns); G sums them all.
    for (Index block = 0; block < dY.cols(); block += b) {
      gather_positions(dY, block + first, count, pos);
      out.G.template selfadjointView<Eigen::Lower>().rankUpdate(pos.transpose());
      if (ekfac) accumulate_scaling(cols, pos, count, out);
    }
  }
  out.A.topLeftCorner(K, K).template triangularView<Eigen::StrictlyUpper>() =
      out.A.topLeftCorner(K, K).transpose();
  out.A.row(K).head(K) = out.A.col(K).head(K).transpose();
  out.A(K, K) = static_cast<Scalar>(b * positions_);
  out.A /= static_cast<Scalar>(b);
  out.G.template triangularView<Eigen::StrictlyUpper>() = out.G.transpose();
  out.G /= static_cast<Scalar>(b * positions_);
  if (ekfac) out.scaling /= static_cast<Scalar>(b);
  return true;
}

template <class Scalar>
void Conv2d<Scalar>::accumulate_scaling(ConstRef cols, ConstRef pos, Index count,
                                        KfacFactors<Scalar>& out) const {
  // Example s's gradient sums its positions: ∇Wₛ = Dₛᵀ [Cₛ 1] with Cₛ its P × K patches and Dₛ
  // its P × out_channels cotangents; EKFAC needs the squares of Q_Gᵀ ∇Wₛ Q_A, example by example.
  const Index P = positions_, K = patch_size_, oc = opt_.out_channels;
  out.example.resize(oc, K + 1);
  out.projected_outputs.resize(oc, K + 1);
  for (Index s = 0; s < count; ++s) {
    const auto D = pos.middleRows(s * P, P);
    out.example.leftCols(K).noalias() = D.transpose() * cols.middleRows(s * P, P);
    out.example.col(K) = D.colwise().sum().transpose();
    out.projected_outputs.noalias() = out.basis_G.transpose() * out.example;
    out.example.noalias() = out.projected_outputs * out.basis_A;
    out.scaling += out.example.array().square().matrix();
  }
}

template class Conv2d<float>;
template class Conv2d<double>;

}  // namespace curvopt

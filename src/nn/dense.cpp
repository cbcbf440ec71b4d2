#include "curvopt/nn/dense.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

#if defined(__AVX__)
#include <immintrin.h>
#endif

#include "core/parallel_for.h"
#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

// Jacobians larger than this are written with non-temporal stores: they are far larger than the
// caches, and streaming them skips the read-for-ownership that ordinary stores pay.
constexpr std::size_t kStreamingBytes = std::size_t(4) << 20;

/// out[i] = d[i]·x[i]; with `stream`, through non-temporal stores where the target supports them.
template <class Scalar>
void hadamard(Scalar* out, const Scalar* d, const Scalar* x, Index n, bool stream) {
  Index i = 0;
#if defined(__AVX__)
  if (stream) {
    constexpr Index width = 32 / sizeof(Scalar);
    for (; i < n && (reinterpret_cast<std::uintptr_t>(out + i) & 31) != 0; ++i)
      out[i] = d[i] * x[i];
    for (; i + width <= n; i += width) {
      if constexpr (std::is_same_v<Scalar, float>)
        _mm256_stream_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(d + i), _mm256_loadu_ps(x + i)));
      else
        _mm256_stream_pd(out + i, _mm256_mul_pd(_mm256_loadu_pd(d + i), _mm256_loadu_pd(x + i)));
    }
  }
#else
  (void)stream;
#endif
#pragma omp simd
  for (Index k = i; k < n; ++k) out[k] = d[k] * x[k];
}

void stream_fence() {
#if defined(__AVX__)
  _mm_sfence();  // order the non-temporal stores before anyone reads the rows
#endif
}

}  // namespace

template <class Scalar>
Dense<Scalar>::Dense(Index units) : units_(units) {
  if (units < 1) throw ConfigError("Dense::units = " + std::to_string(units) + ": must be >= 1");
}

template <class Scalar>
Shape Dense<Scalar>::do_configure(const Shape& input) {
  fan_in_ = input.size();
  return Shape::flat(units_);
}

template <class Scalar>
void Dense<Scalar>::initialize(Scalar* params, Initializer init, Rng& rng) const {
  VectorMap<Scalar> all(params, num_parameters());
  initialize_weights<Scalar>(init, fan_in_, units_, all.head(units_ * fan_in_), all.tail(units_),
                             rng);
}

template <class Scalar>
void Dense<Scalar>::forward(ConstRef X, Ref Y) {
  // Bias first, then accumulate: BLAS adds into Y, saving Eigen's zero-fill and a bias pass.
  Y.colwise() = bias(this->params_);
  Y.noalias() += weight(this->params_) * X;
}

template <class Scalar>
void Dense<Scalar>::backward(ConstRef X, ConstRef, ConstRef dY, Mat* dX, Scalar* grad) {
  if (grad) {
    MatrixMap<Scalar> gW(grad, units_, fan_in_);
    gW.noalias() = dY * X.transpose();
    VectorMap<Scalar>(grad + units_ * fan_in_, units_) = dY.rowwise().sum();
  }
  if (dX) {
    dX->resize(fan_in_, dY.cols());
    dX->noalias() = weight(this->params_).transpose() * dY;
  }
}

template <class Scalar>
void Dense<Scalar>::jvp(ConstRef X, ConstRef, const Mat* dX, const Scalar* v, Ref dY) {
  if (dX)
    dY.noalias() = weight(this->params_) * (*dX);
  else
    dY.setZero();
  if (v) {
    dY.noalias() += weight(v) * X;
    dY.colwise() += bias(v);
  }
}

template <class Scalar>
void Dense<Scalar>::hvp_backward(ConstRef X, ConstRef, ConstRef dY, const Mat* RX, ConstRef RdY,
                                 const Scalar* v, Mat* RdX, Scalar* Rgrad) {
  // backward() is bilinear: grad_W = dY Xᵀ, grad_b = dY 1, dX = Wᵀ dY.
  if (Rgrad) {
    MatrixMap<Scalar> gW(Rgrad, units_, fan_in_);
    gW.noalias() = RdY * X.transpose();
    if (RX) gW.noalias() += dY * RX->transpose();
    VectorMap<Scalar>(Rgrad + units_ * fan_in_, units_) = RdY.rowwise().sum();
  }
  if (RdX) {
    RdX->resize(fan_in_, dY.cols());
    RdX->noalias() = weight(this->params_).transpose() * RdY;
    if (v) RdX->noalias() += weight(v).transpose() * dY;
  }
}

// The column passes make each k-fold product one GEMM: the k weight tangents are stacked as rows
// of one (k·units × fan_in) matrix against X, and the k blocks of a cotangent as rows of one
// (k·units × b) matrix against Xᵀ. The copies cost k·(n_layer + units·b) scalars; the GEMMs they
// replace are k times as many calls of 1/k the size, which on small layers are mostly call
// overhead.
template <class Scalar>
void Dense<Scalar>::jvp_columns(ConstRef X, ConstRef, const Mat* dX, const Scalar* v,
                                Index v_stride, Ref dY) {
  const Index b = X.cols(), k = dY.cols() / b;
  if (dX)
    dY.noalias() = weight(this->params_) * (*dX);
  else
    dY.setZero();
  if (!v) return;
  auto weights = stacked_weights_.matrix(k * units_, fan_in_);
  for (Index j = 0; j < k; ++j) weights.middleRows(j * units_, units_) = weight(v + j * v_stride);
  auto product = stacked_product_.matrix(k * units_, b);
  product.noalias() = weights * X;
  for (Index j = 0; j < k; ++j) {
    auto block = dY.middleCols(j * b, b);
    block += product.middleRows(j * units_, units_);
    block.colwise() += bias(v + j * v_stride);
  }
}

template <class Scalar>
void Dense<Scalar>::hvp_backward_columns(ConstRef X, ConstRef, ConstRef dY, const Mat* RX,
                                         ConstRef RdY, const Scalar* v, Index v_stride, Mat* RdX,
                                         Scalar* Rgrad, Index grad_stride) {
  const Index b = X.cols(), k = RdY.cols() / b;
  if (Rgrad) {
    // R{grad_W}_j = RdY_j Xᵀ + dY RX_jᵀ, R{grad_b}_j = RdY_j 1.
    auto rows = stacked_rows_.matrix(k * units_, b);
    for (Index j = 0; j < k; ++j) rows.middleRows(j * units_, units_) = RdY.middleCols(j * b, b);
    auto product = stacked_product_.matrix(k * units_, fan_in_);
    product.noalias() = rows * X.transpose();
    for (Index j = 0; j < k; ++j) {
      Scalar* out = Rgrad + j * grad_stride;
      MatrixMap<Scalar>(out, units_, fan_in_) = product.middleRows(j * units_, units_);
      VectorMap<Scalar>(out + units_ * fan_in_, units_) =
          rows.middleRows(j * units_, units_).rowwise().sum();
    }
    if (RX) {
      auto tangent_rows = stacked_tangent_rows_.matrix(k * fan_in_, b);
      for (Index j = 0; j < k; ++j)
        tangent_rows.middleRows(j * fan_in_, fan_in_) = RX->middleCols(j * b, b);
      // Column block j of dY [RX_1; …; RX_k]ᵀ is dY RX_jᵀ.
      auto second = stacked_second_product_.matrix(units_, k * fan_in_);
      second.noalias() = dY * tangent_rows.transpose();
      for (Index j = 0; j < k; ++j)
        MatrixMap<Scalar>(Rgrad + j * grad_stride, units_, fan_in_) +=
            second.middleCols(j * fan_in_, fan_in_);
    }
  }
  if (RdX) {
    RdX->resize(fan_in_, k * b);
    RdX->noalias() = weight(this->params_).transpose() * RdY;
    if (v) {
      auto weights = stacked_weights_.matrix(units_, k * fan_in_);
      for (Index j = 0; j < k; ++j)
        weights.middleCols(j * fan_in_, fan_in_) = weight(v + j * v_stride);
      // Row block j of [V_1 … V_k]ᵀ dY is V_jᵀ dY.
      auto product = stacked_product_.matrix(k * fan_in_, b);
      product.noalias() = weights.transpose() * dY;
      for (Index j = 0; j < k; ++j)
        RdX->middleCols(j * b, b) += product.middleRows(j * fan_in_, fan_in_);
    }
  }
}

template <class Scalar>
void Dense<Scalar>::per_sample_gradients(ConstRef X, ConstRef dY, Ref rows) {
  const Index b = X.cols();
  const Index blocks = dY.cols() / b;
  xt_ = X.transpose();
  auto dyt = dyt_.matrix(dY.cols(), units_);
  dyt = dY.transpose();
  // Row j, weight (o, i): dY(o, j) · X(i, j mod b). Column-major rows: each (o, i) column is a
  // contiguous Hadamard product of two contiguous columns, which streams at memory speed.
  const bool stream = static_cast<std::size_t>(rows.size()) * sizeof(Scalar) >= kStreamingBytes;
  for (Index i = 0; i < fan_in_; ++i) {
    const Scalar* x = xt_.col(i).data();
    for (Index o = 0; o < units_; ++o) {
      Scalar* out = rows.col(o + units_ * i).data();
      const Scalar* d = dyt.col(o).data();
      for (Index k = 0; k < blocks; ++k) hadamard(out + k * b, d + k * b, x, b, stream);
    }
  }
  if (stream) stream_fence();
  rows.middleCols(units_ * fan_in_, units_) = dyt;
}

template <class Scalar>
void Dense<Scalar>::accumulate_squared_gradients(ConstRef X, ConstRef dY,
                                                 VectorRef<Scalar> squares) {
  const Index b = X.cols();
  squared_input_ = X.array().square().matrix();
  auto d2 = squared_cotangent_.matrix(units_, dY.cols());
  d2 = dY.array().square().matrix();
  Eigen::Map<Mat> weights(squares.data(), units_, fan_in_);
  for (Index k = 0; k < dY.cols() / b; ++k)
    weights.noalias() += d2.middleCols(k * b, b) * squared_input_.transpose();
  squares.segment(units_ * fan_in_, units_) += d2.rowwise().sum();
}

// One row per example: G's lower triangle tile by tile, (ΔᵢᵀΔⱼ)∘(X̄ᵢᵀX̄ⱼ) with both factors in
// cache. The whole-matrix form writes two m × m temporaries and reads them back for the
// Hadamard product, and with few inputs (a 1-input layer's XᵀX is an outer product) that
// traffic, not the multiplications, sets its time. Tiles are independent, so the threads share
// them without changing a bit.
template <class Scalar>
void Dense<Scalar>::accumulate_gram_tiled(ConstRef X, ConstRef dY, Ref G) {
  constexpr Index kTile = 128;
  const Index m = dY.cols();
  const Index tiles = (m + kTile - 1) / kTile;
  const Index pairs = tiles * (tiles + 1) / 2;
  const int threads = detail::threads_for(pairs, kTile * kTile * (units_ + fan_in_ + 1));
  if (gram_tiles_.size() < 2 * static_cast<std::size_t>(threads))
    gram_tiles_.resize(2 * static_cast<std::size_t>(threads), Mat(kTile, kTile));
  detail::parallel_for(pairs, threads, [&](Index p, int thread) {
    // Pair p of the lower triangle, row by row: tile row i holds pairs i(i+1)/2 … i(i+1)/2 + i.
    auto i = static_cast<Index>((std::sqrt(8.0 * static_cast<double>(p) + 1) - 1) / 2);
    while (i * (i + 1) / 2 > p) --i;
    while ((i + 1) * (i + 2) / 2 <= p) ++i;
    const Index j = p - i * (i + 1) / 2;
    const Index r0 = i * kTile, c0 = j * kTile;
    const Index rows = std::min(kTile, m - r0), cols = std::min(kTile, m - c0);
    auto d = gram_tiles_[2 * static_cast<std::size_t>(thread)].topLeftCorner(rows, cols);
    auto x = gram_tiles_[2 * static_cast<std::size_t>(thread) + 1].topLeftCorner(rows, cols);
    d.noalias() = dY.middleCols(r0, rows).transpose() * dY.middleCols(c0, cols);
    x.noalias() = X.middleCols(r0, rows).transpose() * X.middleCols(c0, cols);
    auto target = G.block(r0, c0, rows, cols);
    if (i == j) {
      for (Index c = 0; c < cols; ++c)
        target.col(c).tail(rows - c).array() +=
            d.col(c).tail(rows - c).array() * (x.col(c).tail(rows - c).array() + Scalar(1));
    } else {
      target.array() += d.array() * (x.array() + Scalar(1));
    }
  });
}

template <class Scalar>
void Dense<Scalar>::accumulate_gram(ConstRef X, ConstRef dY, Ref G) {
  const Index b = X.cols();
  const Index m = dY.cols();
  const Index blocks = m / b;
  if (blocks == 1) {
    accumulate_gram_tiled(X, dY, G);
    return;
  }
  // (J Jᵀ)_{jl} = (δ_j · δ_l)(x̄_j · x̄_l), x̄ = [x; 1].
  x_gram_.noalias() = X.transpose() * X;
  x_gram_.array() += Scalar(1);
  d_gram_.resize(m, m);
  d_gram_.setZero();
  d_gram_.template selfadjointView<Eigen::Lower>().rankUpdate(dY.transpose());
  for (Index kc = 0; kc < blocks; ++kc) {
    for (Index kr = kc; kr < blocks; ++kr) {
      auto target = G.block(kr * b, kc * b, b, b);
      auto d = d_gram_.block(kr * b, kc * b, b, b);
      if (kr == kc) {
        // Diagonal blocks: only the lower triangle of d is filled (and of G is wanted).
        for (Index c = 0; c < b; ++c)
          target.col(c).tail(b - c) +=
              d.col(c).tail(b - c).cwiseProduct(x_gram_.col(c).tail(b - c));
      } else {
        target += d.cwiseProduct(x_gram_);
      }
    }
  }
}

template <class Scalar>
bool Dense<Scalar>::kfac_factors(ConstRef X, ConstRef dY, KfacFactors<Scalar>& out) {
  const Index b = X.cols();
  const Scalar inv_b = Scalar(1) / static_cast<Scalar>(b);
  out.A.resize(fan_in_ + 1, fan_in_ + 1);
  out.A.topLeftCorner(fan_in_, fan_in_).noalias() = inv_b * X * X.transpose();
  out.A.col(fan_in_).head(fan_in_) = inv_b * X.rowwise().sum();
  out.A.row(fan_in_).head(fan_in_) = out.A.col(fan_in_).head(fan_in_).transpose();
  out.A(fan_in_, fan_in_) = Scalar(1);
  out.G.noalias() = inv_b * dY * dY.transpose();
  if (out.basis_A.rows() == fan_in_ + 1 && out.basis_G.rows() == dY.rows()) {
    // ∇Wₛ = gₛāₛᵀ projects to (Q_Gᵀgₛ)(Q_Aᵀāₛ)ᵀ, whose squares are (Q_Gᵀgₛ)∘²((Q_Aᵀāₛ)∘²)ᵀ: the
    // mean over examples is one GEMM of the squared projections. Block k of dY pairs with X.
    out.projected_inputs.noalias() = out.basis_A.topRows(fan_in_).transpose() * X;
    out.projected_inputs.colwise() += out.basis_A.row(fan_in_).transpose();
    out.projected_inputs = out.projected_inputs.array().square().matrix();
    out.projected_outputs.noalias() = out.basis_G.transpose() * dY;
    out.projected_outputs = out.projected_outputs.array().square().matrix();
    out.scaling.setZero(dY.rows(), fan_in_ + 1);
    for (Index k = 0; k < dY.cols(); k += b)
      out.scaling.noalias() +=
          inv_b * out.projected_outputs.middleCols(k, b) * out.projected_inputs.transpose();
  }
  return true;
}

template class Dense<float>;
template class Dense<double>;

}  // namespace curvopt

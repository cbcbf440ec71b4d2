#include "curvopt/nn/activation.h"

#include <cmath>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

namespace {

// Branch-free element-wise selection: a ternary whose arms do arithmetic is not if-converted
// (so not vectorized) by GCC under the default -ftrapping-math, but mask arithmetic is.
template <class Scalar>
Scalar positive(Scalar x) {
  return static_cast<Scalar>(x > Scalar(0));
}
/// mask·a + (1 − mask)·b for mask ∈ {0, 1}; both arms must be finite.
template <class Scalar>
Scalar blend(Scalar mask, Scalar a, Scalar b) {
  return b + mask * (a - b);
}

/// Out(i, j) = f(X(i, j), A(i, j), B(i, j)) column by column over raw pointers, so that the
/// branchy element-wise derivatives vectorize (Eigen 3.4's select() does not).
template <class Scalar, class Ref, class ConstRef, class F>
void map_elements(ConstRef X, ConstRef A, ConstRef B, Ref Out, F f) {
  const Index rows = X.rows();
  for (Index c = 0; c < X.cols(); ++c) {
    const Scalar* x = X.col(c).data();
    const Scalar* a = A.col(c).data();
    const Scalar* b = B.col(c).data();
    Scalar* o = Out.col(c).data();
#pragma omp simd
    for (Index i = 0; i < rows; ++i) o[i] = f(x[i], a[i], b[i]);
  }
}

}  // namespace

// ---- Shared passes -----------------------------------------------------------------------------

template <class Scalar>
void Activation<Scalar>::forward(ConstRef X, Ref Y) {
  apply(X, Y);
}

template <class Scalar>
void Activation<Scalar>::backward(ConstRef X, ConstRef Y, ConstRef dY, Mat* dX, Scalar*) {
  if (!dX) return;
  dX->resize(X.rows(), X.cols());
  derivative_product(X, Y, dY, *dX);
}

template <class Scalar>
void Activation<Scalar>::jvp(ConstRef X, ConstRef Y, const Mat* dX, const Scalar*, Ref dY) {
  if (dX)
    derivative_product(X, Y, *dX, dY);
  else
    dY.setZero();
}

template <class Scalar>
void Activation<Scalar>::hvp_backward(ConstRef X, ConstRef Y, ConstRef dY, const Mat* RX,
                                      ConstRef RdY, const Scalar*, Mat* RdX, Scalar*) {
  if (!RdX) return;
  // d/dε [φ'(X + ε RX) ⊙ (dY + ε RdY)] = φ'(X) ⊙ RdY + φ''(X) ⊙ RX ⊙ dY.
  RdX->resize(X.rows(), X.cols());
  derivative_product(X, Y, RdY, *RdX);
  if (RX) add_second_derivative_product(X, Y, *RX, dY, *RdX);
}

// The column passes apply the same element-wise factors φ'(X), φ''(X) to each block: no copies.
template <class Scalar>
void Activation<Scalar>::jvp_columns(ConstRef X, ConstRef Y, const Mat* dX, const Scalar*, Index,
                                     Ref dY) {
  if (!dX) {
    dY.setZero();
    return;
  }
  const Index b = X.cols();
  for (Index j = 0; j < dY.cols() / b; ++j)
    derivative_product(X, Y, dX->middleCols(j * b, b), dY.middleCols(j * b, b));
}

template <class Scalar>
void Activation<Scalar>::hvp_backward_columns(ConstRef X, ConstRef Y, ConstRef dY, const Mat* RX,
                                              ConstRef RdY, const Scalar*, Index, Mat* RdX, Scalar*,
                                              Index) {
  if (!RdX) return;
  const Index b = X.cols(), k = RdY.cols() / b;
  RdX->resize(X.rows(), k * b);
  for (Index j = 0; j < k; ++j) {
    auto out = RdX->middleCols(j * b, b);
    derivative_product(X, Y, RdY.middleCols(j * b, b), out);
    if (RX) add_second_derivative_product(X, Y, RX->middleCols(j * b, b), dY, out);
  }
}

// ---- ReLU family -------------------------------------------------------------------------------

template <class Scalar>
void Relu<Scalar>::apply(ConstRef X, Ref Y) const {
  Y = X.cwiseMax(Scalar(0));
}

template <class Scalar>
void Relu<Scalar>::derivative_product(ConstRef X, ConstRef, ConstRef V, Ref Out) const {
  map_elements<Scalar, Ref, ConstRef>(
      X, V, V, Out, [](Scalar x, Scalar v, Scalar) { return x > Scalar(0) ? v : Scalar(0); });
}

template <class Scalar>
LeakyRelu<Scalar>::LeakyRelu(double negative_slope) : slope_(negative_slope) {
  if (!std::isfinite(negative_slope))
    throw ConfigError("LeakyReLU::negative_slope = " + std::to_string(negative_slope) +
                      ": must be finite");
}

template <class Scalar>
void LeakyRelu<Scalar>::apply(ConstRef X, Ref Y) const {
  const Scalar a = static_cast<Scalar>(slope_);
  Y = X.array().max(Scalar(0)) + a * X.array().min(Scalar(0));
}

template <class Scalar>
void LeakyRelu<Scalar>::derivative_product(ConstRef X, ConstRef, ConstRef V, Ref Out) const {
  const Scalar a = static_cast<Scalar>(slope_);
  map_elements<Scalar, Ref, ConstRef>(
      X, V, V, Out, [a](Scalar x, Scalar v, Scalar) { return blend(positive(x), v, a * v); });
}

template <class Scalar>
Rrelu<Scalar>::Rrelu(double lower, double upper) : lower_(lower), upper_(upper) {
  if (!(lower >= 0.0 && lower <= upper && std::isfinite(upper)))
    throw ConfigError("RReLU::lower = " + std::to_string(lower) + ", upper = " +
                      std::to_string(upper) + ": must satisfy 0 <= lower <= upper < inf");
}

template <class Scalar>
void Rrelu<Scalar>::resample_noise(Index batch_size, Rng& rng) {
  slopes_.resize(this->input_size(), batch_size);
  for (Index i = 0; i < slopes_.size(); ++i)
    slopes_.data()[i] = static_cast<Scalar>(rng.uniform(lower_, upper_));
}

template <class Scalar>
void Rrelu<Scalar>::check_slopes(Index batch_size) const {
  if (slopes_.cols() != batch_size || slopes_.rows() != this->input_size())
    throw Error(this->label() + ": training-mode slopes were drawn for a batch of " +
                std::to_string(slopes_.cols()) + " examples, received " +
                std::to_string(batch_size) + "; call resample_noise() for each new batch");
}

template <class Scalar>
void Rrelu<Scalar>::apply(ConstRef X, Ref Y) const {
  if (this->training()) {
    check_slopes(X.cols());
    Y = X.array().max(Scalar(0)) + slopes_.array() * X.array().min(Scalar(0));
  } else {
    const Scalar a = static_cast<Scalar>((lower_ + upper_) / 2);
    Y = X.array().max(Scalar(0)) + a * X.array().min(Scalar(0));
  }
}

template <class Scalar>
void Rrelu<Scalar>::derivative_product(ConstRef X, ConstRef, ConstRef V, Ref Out) const {
  if (this->training()) {
    check_slopes(X.cols());
    map_elements<Scalar, Ref, ConstRef>(X, V, slopes_, Out, [](Scalar x, Scalar v, Scalar a) {
      return blend(positive(x), v, a * v);
    });
  } else {
    const Scalar a = static_cast<Scalar>((lower_ + upper_) / 2);
    map_elements<Scalar, Ref, ConstRef>(
        X, V, V, Out, [a](Scalar x, Scalar v, Scalar) { return blend(positive(x), v, a * v); });
  }
}

// ---- Smooth activations ------------------------------------------------------------------------

template <class Scalar>
Elu<Scalar>::Elu(double alpha) : alpha_(alpha) {
  if (!(alpha > 0.0 && std::isfinite(alpha)))
    throw ConfigError("ELU::alpha = " + std::to_string(alpha) + ": must be > 0 and finite");
}

template <class Scalar>
void Elu<Scalar>::apply(ConstRef X, Ref Y) const {
  const Scalar a = static_cast<Scalar>(alpha_);
  // Branch-free, so Eigen vectorizes exp(): for x > 0 the second term is a(e⁰ − 1) = 0.
  Y = X.array().max(Scalar(0)) + a * (X.array().min(Scalar(0)).exp() - Scalar(1));
}

template <class Scalar>
void Elu<Scalar>::derivative_product(ConstRef X, ConstRef Y, ConstRef V, Ref Out) const {
  // φ'(x) = 1 for x > 0, a·eˣ = y + a otherwise.
  const Scalar a = static_cast<Scalar>(alpha_);
  map_elements<Scalar, Ref, ConstRef>(X, Y, V, Out, [a](Scalar x, Scalar y, Scalar v) {
    return blend(positive(x), v, (y + a) * v);
  });
}

template <class Scalar>
void Elu<Scalar>::add_second_derivative_product(ConstRef X, ConstRef Y, ConstRef V, ConstRef W,
                                                Ref Out) const {
  const Scalar a = static_cast<Scalar>(alpha_);
  Out.array() += (X.array() > Scalar(0)).select(Scalar(0), (Y.array() + a) * V.array() * W.array());
}

template <class Scalar>
void Sigmoid<Scalar>::apply(ConstRef X, Ref Y) const {
  Y = (Scalar(1) + (-X.array()).exp()).inverse();
}

template <class Scalar>
void Sigmoid<Scalar>::derivative_product(ConstRef, ConstRef Y, ConstRef V, Ref Out) const {
  Out = V.array() * Y.array() * (Scalar(1) - Y.array());
}

template <class Scalar>
void Sigmoid<Scalar>::add_second_derivative_product(ConstRef, ConstRef Y, ConstRef V, ConstRef W,
                                                    Ref Out) const {
  Out.array() += Y.array() * (Scalar(1) - Y.array()) * (Scalar(1) - Scalar(2) * Y.array()) *
                 V.array() * W.array();
}

template <class Scalar>
void Tanh<Scalar>::apply(ConstRef X, Ref Y) const {
  Y = X.array().tanh();
}

template <class Scalar>
void Tanh<Scalar>::derivative_product(ConstRef, ConstRef Y, ConstRef V, Ref Out) const {
  Out = V.array() * (Scalar(1) - Y.array().square());
}

template <class Scalar>
void Tanh<Scalar>::add_second_derivative_product(ConstRef, ConstRef Y, ConstRef V, ConstRef W,
                                                 Ref Out) const {
  Out.array() += Scalar(-2) * Y.array() * (Scalar(1) - Y.array().square()) * V.array() * W.array();
}

template <class Scalar>
void Softplus<Scalar>::apply(ConstRef X, Ref Y) const {
  Y = X.array().max(Scalar(0)) + (-X.array().abs()).exp().log1p();
}

template <class Scalar>
void Softplus<Scalar>::derivative_product(ConstRef X, ConstRef, ConstRef V, Ref Out) const {
  Out = V.array() * (Scalar(1) + (-X.array()).exp()).inverse();
}

template <class Scalar>
void Softplus<Scalar>::add_second_derivative_product(ConstRef X, ConstRef, ConstRef V, ConstRef W,
                                                     Ref Out) const {
  const auto sigma = (Scalar(1) + (-X.array()).exp()).inverse();
  Out.array() += sigma * (Scalar(1) - sigma) * V.array() * W.array();
}

#define CURVOPT_INSTANTIATE_ACTIVATIONS(S) \
  template class Activation<S>;            \
  template class Relu<S>;                  \
  template class LeakyRelu<S>;             \
  template class Rrelu<S>;                 \
  template class Elu<S>;                   \
  template class Sigmoid<S>;               \
  template class Tanh<S>;                  \
  template class Softplus<S>;
CURVOPT_INSTANTIATE_ACTIVATIONS(float)
CURVOPT_INSTANTIATE_ACTIVATIONS(double)

}  // namespace curvopt

#include "curvopt/nn/activation.h"

#include <cmath>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

// ---- Shared passes -----------------------------------------------------------------------------

template <class Scalar>
void Activation<Scalar>::forward(ConstRef X, Ref Y) {
  apply(X, Y);
}

template <class Scalar>
void Activation<Scalar>::backward(ConstRef X, ConstRef Y, ConstRef dY, Mat* dX, Scalar*) {
  if (!dX) return;
  dX->resize(X.rows(), X.cols());
  derivative(X, Y, *dX);
  dX->array() *= dY.array();
}

template <class Scalar>
void Activation<Scalar>::jvp(ConstRef X, ConstRef Y, const Mat* dX, const Scalar*, Ref dY) {
  if (!dX) {
    dY.setZero();
    return;
  }
  derivative(X, Y, dY);
  dY.array() *= dX->array();
}

template <class Scalar>
void Activation<Scalar>::hvp_backward(ConstRef X, ConstRef Y, ConstRef dY, const Mat* RX,
                                      ConstRef RdY, const Scalar*, Mat* RdX, Scalar*) {
  if (!RdX) return;
  // d/dε [φ'(X + ε RX) ⊙ (dY + ε RdY)] = φ''(X) ⊙ RX ⊙ dY + φ'(X) ⊙ RdY.
  RdX->resize(X.rows(), X.cols());
  derivative(X, Y, *RdX);
  RdX->array() *= RdY.array();
  if (RX && !is_piecewise_linear()) {
    d2_.resize(X.rows(), X.cols());
    second_derivative(X, Y, d2_);
    RdX->array() += d2_.array() * RX->array() * dY.array();
  }
}

// ---- ReLU family -------------------------------------------------------------------------------

template <class Scalar>
void Relu<Scalar>::apply(ConstRef X, Ref Y) const {
  Y = X.cwiseMax(Scalar(0));
}

template <class Scalar>
void Relu<Scalar>::derivative(ConstRef X, ConstRef, Ref D) const {
  D = (X.array() > Scalar(0)).template cast<Scalar>();
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
  Y = (X.array() > Scalar(0)).select(X, a * X.array());
}

template <class Scalar>
void LeakyRelu<Scalar>::derivative(ConstRef X, ConstRef, Ref D) const {
  const Scalar a = static_cast<Scalar>(slope_);
  D = (X.array() > Scalar(0)).select(Matrix<Scalar>::Ones(X.rows(), X.cols()), a);
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
    Y = (X.array() > Scalar(0)).select(X, slopes_.array() * X.array());
  } else {
    const Scalar a = static_cast<Scalar>((lower_ + upper_) / 2);
    Y = (X.array() > Scalar(0)).select(X, a * X.array());
  }
}

template <class Scalar>
void Rrelu<Scalar>::derivative(ConstRef X, ConstRef, Ref D) const {
  if (this->training()) {
    check_slopes(X.cols());
    D = (X.array() > Scalar(0)).select(Matrix<Scalar>::Ones(X.rows(), X.cols()), slopes_);
  } else {
    const Scalar a = static_cast<Scalar>((lower_ + upper_) / 2);
    D = (X.array() > Scalar(0)).select(Matrix<Scalar>::Ones(X.rows(), X.cols()), a);
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
  // min(x, 0) keeps exp() from overflowing on the branch select() discards.
  Y = (X.array() > Scalar(0)).select(X, a * (X.array().min(Scalar(0)).exp() - Scalar(1)));
}

template <class Scalar>
void Elu<Scalar>::derivative(ConstRef X, ConstRef Y, Ref D) const {
  const Scalar a = static_cast<Scalar>(alpha_);
  D = (X.array() > Scalar(0)).select(Scalar(1), Y.array() + a);
}

template <class Scalar>
void Elu<Scalar>::second_derivative(ConstRef X, ConstRef Y, Ref D2) const {
  const Scalar a = static_cast<Scalar>(alpha_);
  D2 = (X.array() > Scalar(0)).select(Scalar(0), Y.array() + a);
}

template <class Scalar>
void Sigmoid<Scalar>::apply(ConstRef X, Ref Y) const {
  Y = (Scalar(1) + (-X.array()).exp()).inverse();
}

template <class Scalar>
void Sigmoid<Scalar>::derivative(ConstRef, ConstRef Y, Ref D) const {
  D = Y.array() * (Scalar(1) - Y.array());
}

template <class Scalar>
void Sigmoid<Scalar>::second_derivative(ConstRef, ConstRef Y, Ref D2) const {
  D2 = Y.array() * (Scalar(1) - Y.array()) * (Scalar(1) - Scalar(2) * Y.array());
}

template <class Scalar>
void Tanh<Scalar>::apply(ConstRef X, Ref Y) const {
  Y = X.array().tanh();
}

template <class Scalar>
void Tanh<Scalar>::derivative(ConstRef, ConstRef Y, Ref D) const {
  D = Scalar(1) - Y.array().square();
}

template <class Scalar>
void Tanh<Scalar>::second_derivative(ConstRef, ConstRef Y, Ref D2) const {
  D2 = Scalar(-2) * Y.array() * (Scalar(1) - Y.array().square());
}

template <class Scalar>
void Softplus<Scalar>::apply(ConstRef X, Ref Y) const {
  Y = X.array().max(Scalar(0)) + (-X.array().abs()).exp().log1p();
}

template <class Scalar>
void Softplus<Scalar>::derivative(ConstRef X, ConstRef, Ref D) const {
  D = (Scalar(1) + (-X.array()).exp()).inverse();
}

template <class Scalar>
void Softplus<Scalar>::second_derivative(ConstRef X, ConstRef, Ref D2) const {
  derivative(X, X, D2);
  D2 = D2.array() * (Scalar(1) - D2.array());
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

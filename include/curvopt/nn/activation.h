#pragma once
/// Element-wise activation layers. The base class implements every pass from three element-wise
/// functions (φ, φ', φ''), so each activation only states its formulas.

#include "curvopt/nn/layer.h"

namespace curvopt {

template <class Scalar>
class Activation : public Layer<Scalar> {
 public:
  using typename Layer<Scalar>::Mat;
  using typename Layer<Scalar>::ConstRef;
  using typename Layer<Scalar>::Ref;

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

 protected:
  Shape do_configure(const Shape& input) override { return input; }
  /// Y = φ(X).
  virtual void apply(ConstRef X, Ref Y) const = 0;
  /// Out = φ'(X) ⊙ V, fused into one pass (backward, JVP and R-backprop all need it);
  /// Y = φ(X) is given because some derivatives are cheapest from it.
  virtual void derivative_product(ConstRef X, ConstRef Y, ConstRef V, Ref Out) const = 0;
  /// Out += φ''(X) ⊙ V ⊙ W. Piecewise-linear activations keep the default (φ'' = 0).
  virtual void add_second_derivative_product(ConstRef /*X*/, ConstRef /*Y*/, ConstRef /*V*/,
                                             ConstRef /*W*/, Ref /*Out*/) const {}
};

/// max(x, 0).
template <class Scalar>
class Relu final : public Activation<Scalar> {
 public:
  using typename Layer<Scalar>::ConstRef;
  using typename Layer<Scalar>::Ref;
  std::string type() const override { return "ReLU"; }
  std::unique_ptr<Layer<Scalar>> clone() const override { return std::make_unique<Relu>(*this); }

 protected:
  void apply(ConstRef X, Ref Y) const override;
  void derivative_product(ConstRef X, ConstRef Y, ConstRef V, Ref Out) const override;
};

/// x for x > 0, slope·x otherwise (PyTorch default slope 0.01).
template <class Scalar>
class LeakyRelu final : public Activation<Scalar> {
 public:
  using typename Layer<Scalar>::ConstRef;
  using typename Layer<Scalar>::Ref;
  explicit LeakyRelu(double negative_slope = 0.01);
  std::string type() const override { return "LeakyReLU"; }
  std::unique_ptr<Layer<Scalar>> clone() const override {
    return std::make_unique<LeakyRelu>(*this);
  }
  std::string config() const override;
  double negative_slope() const { return slope_; }

 protected:
  void apply(ConstRef X, Ref Y) const override;
  void derivative_product(ConstRef X, ConstRef Y, ConstRef V, Ref Out) const override;

 private:
  double slope_;
};

/// Randomized leaky ReLU (Xu et al. 2015; PyTorch nn.RReLU): in training mode each element of
/// each example gets a slope a ~ U[lower, upper) drawn by resample_noise() and kept fixed until
/// the next draw; in evaluation mode a = (lower + upper)/2. Defaults lower = 1/8, upper = 1/3.
template <class Scalar>
class Rrelu final : public Activation<Scalar> {
 public:
  using typename Layer<Scalar>::Mat;
  using typename Layer<Scalar>::ConstRef;
  using typename Layer<Scalar>::Ref;
  explicit Rrelu(double lower = 1.0 / 8.0, double upper = 1.0 / 3.0);
  std::string type() const override { return "RReLU"; }
  std::unique_ptr<Layer<Scalar>> clone() const override { return std::make_unique<Rrelu>(*this); }
  std::string config() const override;
  void resample_noise(Index batch_size, Rng& rng) override;
  bool stochastic() const override { return this->training(); }
  /// The slopes in force for the last batch (input_size × batch), training mode only.
  const Mat& slopes() const { return slopes_; }

 protected:
  void apply(ConstRef X, Ref Y) const override;
  void derivative_product(ConstRef X, ConstRef Y, ConstRef V, Ref Out) const override;

 private:
  void check_slopes(Index batch_size) const;
  double lower_;
  double upper_;
  Mat slopes_;
};

/// x for x > 0, α(eˣ − 1) otherwise (α = 1).
template <class Scalar>
class Elu final : public Activation<Scalar> {
 public:
  using typename Layer<Scalar>::ConstRef;
  using typename Layer<Scalar>::Ref;
  explicit Elu(double alpha = 1.0);
  std::string type() const override { return "ELU"; }
  std::unique_ptr<Layer<Scalar>> clone() const override { return std::make_unique<Elu>(*this); }
  std::string config() const override;

 protected:
  void apply(ConstRef X, Ref Y) const override;
  void derivative_product(ConstRef X, ConstRef Y, ConstRef V, Ref Out) const override;
  void add_second_derivative_product(ConstRef X, ConstRef Y, ConstRef V, ConstRef W,
                                     Ref Out) const override;

 private:
  double alpha_;
};

/// 1 / (1 + e⁻ˣ).
template <class Scalar>
class Sigmoid final : public Activation<Scalar> {
 public:
  using typename Layer<Scalar>::ConstRef;
  using typename Layer<Scalar>::Ref;
  std::string type() const override { return "Sigmoid"; }
  std::unique_ptr<Layer<Scalar>> clone() const override { return std::make_unique<Sigmoid>(*this); }

 protected:
  void apply(ConstRef X, Ref Y) const override;
  void derivative_product(ConstRef X, ConstRef Y, ConstRef V, Ref Out) const override;
  void add_second_derivative_product(ConstRef X, ConstRef Y, ConstRef V, ConstRef W,
                                     Ref Out) const override;
};

/// tanh x.
template <class Scalar>
class Tanh final : public Activation<Scalar> {
 public:
  using typename Layer<Scalar>::ConstRef;
  using typename Layer<Scalar>::Ref;
  std::string type() const override { return "Tanh"; }
  std::unique_ptr<Layer<Scalar>> clone() const override { return std::make_unique<Tanh>(*this); }

 protected:
  void apply(ConstRef X, Ref Y) const override;
  void derivative_product(ConstRef X, ConstRef Y, ConstRef V, Ref Out) const override;
  void add_second_derivative_product(ConstRef X, ConstRef Y, ConstRef V, ConstRef W,
                                     Ref Out) const override;
};

/// log(1 + eˣ), computed stably.
template <class Scalar>
class Softplus final : public Activation<Scalar> {
 public:
  using typename Layer<Scalar>::ConstRef;
  using typename Layer<Scalar>::Ref;
  std::string type() const override { return "Softplus"; }
  std::unique_ptr<Layer<Scalar>> clone() const override {
    return std::make_unique<Softplus>(*this);
  }

 protected:
  void apply(ConstRef X, Ref Y) const override;
  void derivative_product(ConstRef X, ConstRef Y, ConstRef V, Ref Out) const override;
  void add_second_derivative_product(ConstRef X, ConstRef Y, ConstRef V, ConstRef W,
                                     Ref Out) const override;
};

#define CURVOPT_EXTERN_ACTIVATIONS(S)  \
  extern template class Activation<S>; \
  extern template class Relu<S>;       \
  extern template class LeakyRelu<S>;  \
  extern template class Rrelu<S>;      \
  extern template class Elu<S>;        \
  extern template class Sigmoid<S>;    \
  extern template class Tanh<S>;       \
  extern template class Softplus<S>;
CURVOPT_EXTERN_ACTIVATIONS(float)
CURVOPT_EXTERN_ACTIVATIONS(double)
#undef CURVOPT_EXTERN_ACTIVATIONS

}  // namespace curvopt

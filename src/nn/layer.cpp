#include "curvopt/nn/layer.h"

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
Shape Layer<Scalar>::configure(const Shape& input) {
  if (input.size() <= 0) shape_error("input shape", to_string(input), "a non-empty shape");
  input_ = input;
  output_ = do_configure(input);
  return output_;
}

template <class Scalar>
void Layer<Scalar>::shape_error(const std::string& what, const std::string& received,
                                const std::string& expected) const {
  throw ShapeError(label() + ": " + what + " is " + received + ", expected " + expected);
}

template <class Scalar>
void Layer<Scalar>::per_sample_gradients(ConstRef, ConstRef, Ref) {
  throw Error(label() + ": per_sample_gradients called on a layer without parameters");
}

template <class Scalar>
void Layer<Scalar>::accumulate_gram(ConstRef X, ConstRef dY, Ref G) {
  gram_rows_.resize(dY.cols(), num_parameters());
  per_sample_gradients(X, dY, gram_rows_);
  G.template selfadjointView<Eigen::Lower>().rankUpdate(gram_rows_);
}

template <class Scalar>
void Layer<Scalar>::accumulate_squared_gradients(ConstRef X, ConstRef dY,
                                                 VectorRef<Scalar> squares) {
  gram_rows_.resize(dY.cols(), num_parameters());
  per_sample_gradients(X, dY, gram_rows_);
  squares += gram_rows_.colwise().squaredNorm().transpose();
}

template <class Scalar>
void Layer<Scalar>::jvp_columns(ConstRef X, ConstRef Y, const Mat* dX, const Scalar* v,
                                Index v_stride, Ref dY) {
  const Index b = X.cols();
  for (Index j = 0; j < dY.cols() / b; ++j) {
    if (dX) column_tangent_ = dX->middleCols(j * b, b);
    jvp(X, Y, dX ? &column_tangent_ : nullptr, v ? v + j * v_stride : nullptr,
        dY.middleCols(j * b, b));
  }
}

template <class Scalar>
void Layer<Scalar>::hvp_backward_columns(ConstRef X, ConstRef Y, ConstRef dY, const Mat* RX,
                                         ConstRef RdY, const Scalar* v, Index v_stride, Mat* RdX,
                                         Scalar* Rgrad, Index grad_stride) {
  const Index b = X.cols(), k = RdY.cols() / b;
  if (RdX) RdX->resize(input_size(), k * b);
  for (Index j = 0; j < k; ++j) {
    if (RX) column_tangent_ = RX->middleCols(j * b, b);
    hvp_backward(X, Y, dY, RX ? &column_tangent_ : nullptr, RdY.middleCols(j * b, b),
                 v ? v + j * v_stride : nullptr, RdX ? &column_cotangent_ : nullptr,
                 Rgrad ? Rgrad + j * grad_stride : nullptr);
    if (RdX) RdX->middleCols(j * b, b) = column_cotangent_;
  }
}

template class Layer<float>;
template class Layer<double>;

}  // namespace curvopt

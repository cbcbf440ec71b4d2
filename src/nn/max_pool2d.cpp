#include "curvopt/nn/max_pool2d.h"

#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
MaxPool2d<Scalar>::MaxPool2d(Index kernel, Index stride)
    : kernel_(kernel), stride_(stride == 0 ? kernel : stride) {
  if (kernel < 1)
    throw ConfigError("MaxPool2d::kernel = " + std::to_string(kernel) + ": must be >= 1");
  if (stride < 0)
    throw ConfigError("MaxPool2d::stride = " + std::to_string(stride) +
                      ": must be >= 1 (or 0 for the kernel size)");
}

template <class Scalar>
Shape MaxPool2d<Scalar>::do_configure(const Shape& input) {
  in_h_ = input.height;
  in_w_ = input.width;
  if (in_h_ < kernel_ || in_w_ < kernel_)
    this->shape_error("input shape", to_string(input),
                      "height and width >= the kernel " + std::to_string(kernel_));
  out_h_ = (in_h_ - kernel_) / stride_ + 1;
  out_w_ = (in_w_ - kernel_) / stride_ + 1;
  return Shape::image(input.channels, out_h_, out_w_);
}

template <class Scalar>
void MaxPool2d<Scalar>::forward(ConstRef X, Ref Y) {
  const Index channels = this->input_shape().channels, b = X.cols();
  winners_.resize(Y.rows(), b);
  for (Index s = 0; s < b; ++s) {
    const Scalar* x = X.col(s).data();
    Scalar* y = Y.col(s).data();
    std::int32_t* win = winners_.col(s).data();
    for (Index c = 0; c < channels; ++c) {
      for (Index oh = 0; oh < out_h_; ++oh) {
        const Index top = (c * in_h_ + oh * stride_) * in_w_;
        if (kernel_ == 2 && stride_ == 2) {
          // The common 2×2 window, unrolled: most CNNs pool this way.
          const Scalar* r0 = x + top;
          const Scalar* r1 = r0 + in_w_;
          for (Index ow = 0; ow < out_w_; ++ow) {
            Index best = top + 2 * ow;
            Scalar value = r0[2 * ow];
            if (r0[2 * ow + 1] > value) value = r0[2 * ow + 1], best = top + 2 * ow + 1;
            if (r1[2 * ow] > value) value = r1[2 * ow], best = top + in_w_ + 2 * ow;
            if (r1[2 * ow + 1] > value) value = r1[2 * ow + 1], best = top + in_w_ + 2 * ow + 1;
            *y++ = value;
            *win++ = static_cast<std::int32_t>(best);
          }
          continue;
        }
        for (Index ow = 0; ow < out_w_; ++ow) {
          Index best = top + ow * stride_;
          for (Index i = 0; i < kernel_; ++i) {
            const Index row = top + i * in_w_ + ow * stride_;
            for (Index j = 0; j < kernel_; ++j)
              if (x[row + j] > x[best]) best = row + j;
          }
          *y++ = x[best];
          *win++ = static_cast<std::int32_t>(best);
        }
      }
    }
  }
}

template <class Scalar>
void MaxPool2d<Scalar>::route_back(ConstRef dY, Index batch, Mat& dX) const {
  dX.resize(this->input_size(), batch);
  dX.setZero();
  for (Index s = 0; s < batch; ++s)
    for (Index k = 0; k < dY.rows(); ++k) dX(winners_(k, s), s) += dY(k, s);
}

template <class Scalar>
void MaxPool2d<Scalar>::backward(ConstRef X, ConstRef, ConstRef dY, Mat* dX, Scalar*) {
  if (dX) route_back(dY, X.cols(), *dX);
}

template <class Scalar>
void MaxPool2d<Scalar>::jvp(ConstRef X, ConstRef, const Mat* dX, const Scalar*, Ref dY) {
  if (!dX) {
    dY.setZero();
    return;
  }
  for (Index s = 0; s < X.cols(); ++s)
    for (Index k = 0; k < dY.rows(); ++k) dY(k, s) = (*dX)(winners_(k, s), s);
}

template <class Scalar>
void MaxPool2d<Scalar>::hvp_backward(ConstRef X, ConstRef, ConstRef, const Mat*, ConstRef RdY,
                                     const Scalar*, Mat* RdX, Scalar*) {
  if (RdX) route_back(RdY, X.cols(), *RdX);
}

template class MaxPool2d<float>;
template class MaxPool2d<double>;

}  // namespace curvopt

#include "curvopt/nn/max_pool2d.h"

#include <cstdint>
#include <string>

#include "core/parallel_for.h"
#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

/// One output row of the common 2×2, stride-2 window (most CNNs pool this way): the first
/// maximum in window order (top-left, top-right, bottom-left, bottom-right), as the general path
/// picks it. After a ReLU the winner is data-dependent and unpredictable, and a mispredicted
/// branch per comparison cost more than the rest of the row; so the comparisons become masks
/// (0 or all ones) and the winner's offset is selected with integer arithmetic, which the
/// compiler cannot turn back into branches.
template <class Scalar>
void pool_2x2_row(const Scalar* r0, Index in_w, std::int32_t top, Index out_w, Scalar* y,
                  std::int32_t* win) {
  const Scalar* r1 = r0 + in_w;
  const auto below = static_cast<std::int32_t>(in_w);
  const auto select = [](std::int32_t mask, std::int32_t yes, std::int32_t no) {
    return no ^ ((no ^ yes) & mask);
  };
  for (Index ow = 0; ow < out_w; ++ow) {
    const Scalar a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
    const std::int32_t take_b = -static_cast<std::int32_t>(b > a);
    Scalar value = b > a ? b : a;  // keeps a on ties
    std::int32_t offset = take_b & 1;
    const std::int32_t take_c = -static_cast<std::int32_t>(c > value);
    value = c > value ? c : value;
    offset = select(take_c, below, offset);
    const std::int32_t take_d = -static_cast<std::int32_t>(d > value);
    value = d > value ? d : value;
    offset = select(take_d, below + 1, offset);
    y[ow] = value;
    win[ow] = top + 2 * static_cast<std::int32_t>(ow) + offset;
  }
}

}  // namespace

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
  // Examples are independent: spread them over the threads.
  detail::parallel_for(b, detail::threads_for(b, X.rows()), [&](Index s, int) {
    const Scalar* x = X.col(s).data();
    Scalar* y = Y.col(s).data();
    std::int32_t* win = winners_.col(s).data();
    for (Index c = 0; c < channels; ++c) {
      for (Index oh = 0; oh < out_h_; ++oh) {
        const Index top = (c * in_h_ + oh * stride_) * in_w_;
        if (kernel_ == 2 && stride_ == 2) {
          pool_2x2_row(x + top, in_w_, static_cast<std::int32_t>(top), out_w_, y, win);
          y += out_w_;
          win += out_w_;
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
  });
}

template <class Scalar>
void MaxPool2d<Scalar>::route_back(ConstRef dY, Index batch, Mat& dX) const {
  dX.resize(this->input_size(), batch);
  detail::parallel_for(batch, detail::threads_for(batch, dX.rows()), [&](Index s, int) {
    dX.col(s).setZero();
    for (Index k = 0; k < dY.rows(); ++k) dX(winners_(k, s), s) += dY(k, s);
  });
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

// Column c of a k-block tangent belongs to example c mod b, whose winners route it.
template <class Scalar>
void MaxPool2d<Scalar>::jvp_columns(ConstRef X, ConstRef, const Mat* dX, const Scalar*, Index,
                                    Ref dY) {
  if (!dX) {
    dY.setZero();
    return;
  }
  const Index b = X.cols();
  for (Index c = 0; c < dY.cols(); ++c)
    for (Index k = 0; k < dY.rows(); ++k) dY(k, c) = (*dX)(winners_(k, c % b), c);
}

template <class Scalar>
void MaxPool2d<Scalar>::hvp_backward_columns(ConstRef X, ConstRef, ConstRef, const Mat*,
                                             ConstRef RdY, const Scalar*, Index, Mat* RdX, Scalar*,
                                             Index) {
  if (!RdX) return;
  const Index b = X.cols(), columns = RdY.cols();
  RdX->resize(this->input_size(), columns);
  detail::parallel_for(columns, detail::threads_for(columns, RdX->rows()), [&](Index c, int) {
    RdX->col(c).setZero();
    for (Index k = 0; k < RdY.rows(); ++k) (*RdX)(winners_(k, c % b), c) += RdY(k, c);
  });
}

template class MaxPool2d<float>;
template class MaxPool2d<double>;

}  // namespace curvopt

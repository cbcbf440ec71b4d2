#pragma once
/// 2-D max pooling.

#include <Eigen/Core>

#include "curvopt/nn/layer.h"

namespace curvopt {

/// Max pooling over kernel × kernel windows with the given stride (default: the kernel size),
/// no padding; output floor((H − kernel)/stride) + 1 per side. The winning input of each window
/// is recorded by forward(); every derivative pass routes through those winners (the function is
/// piecewise linear, so its second derivative is zero).
template <class Scalar>
class MaxPool2d final : public Layer<Scalar> {
 public:
  using typename Layer<Scalar>::Mat;
  using typename Layer<Scalar>::ConstRef;
  using typename Layer<Scalar>::Ref;

  explicit MaxPool2d(Index kernel, Index stride = 0);

  std::string type() const override { return "MaxPool2d"; }
  std::unique_ptr<Layer<Scalar>> clone() const override {
    return std::make_unique<MaxPool2d>(*this);
  }
  std::string config() const override;

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
  Shape do_configure(const Shape& input) override;

 private:
  /// dX = 0, then dX(winner) += dY for every output element.
  void route_back(ConstRef dY, Index batch, Mat& dX) const;

  Index kernel_;
  Index stride_;
  Index in_h_ = 0, in_w_ = 0, out_h_ = 0, out_w_ = 0;
  Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic> winners_;  // input row per output
};

extern template class MaxPool2d<float>;
extern template class MaxPool2d<double>;

}  // namespace curvopt

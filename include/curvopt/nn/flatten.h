#pragma once
/// Flatten: reinterprets a C × H × W example as a flat vector (the data layout is unchanged).

#include "curvopt/nn/layer.h"

namespace curvopt {

template <class Scalar>
class Flatten final : public Layer<Scalar> {
 public:
  using typename Layer<Scalar>::Mat;
  using typename Layer<Scalar>::ConstRef;
  using typename Layer<Scalar>::Ref;

  std::string type() const override { return "Flatten"; }
  std::unique_ptr<Layer<Scalar>> clone() const override { return std::make_unique<Flatten>(*this); }

  void forward(ConstRef X, Ref Y) override { Y = X; }
  void backward(ConstRef, ConstRef, ConstRef dY, Mat* dX, Scalar*) override {
    if (dX) *dX = dY;
  }
  void jvp(ConstRef, ConstRef, const Mat* dX, const Scalar*, Ref dY) override {
    if (dX)
      dY = *dX;
    else
      dY.setZero();
  }
  void hvp_backward(ConstRef, ConstRef, ConstRef, const Mat*, ConstRef RdY, const Scalar*, Mat* RdX,
                    Scalar*) override {
    if (RdX) *RdX = RdY;
  }
  void jvp_columns(ConstRef X, ConstRef Y, const Mat* dX, const Scalar* v, Index, Ref dY) override {
    jvp(X, Y, dX, v, dY);
  }
  void hvp_backward_columns(ConstRef, ConstRef, ConstRef, const Mat*, ConstRef RdY, const Scalar*,
                            Index, Mat* RdX, Scalar*, Index) override {
    if (RdX) *RdX = RdY;
  }

 protected:
  Shape do_configure(const Shape& input) override { return Shape::flat(input.size()); }
};

extern template class Flatten<float>;
extern template class Flatten<double>;

}  // namespace curvopt

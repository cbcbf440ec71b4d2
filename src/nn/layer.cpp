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

template class Layer<float>;
template class Layer<double>;

}  // namespace curvopt

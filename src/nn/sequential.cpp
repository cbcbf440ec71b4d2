#include "curvopt/nn/sequential.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
Sequential<Scalar>::Sequential(Shape input_shape) : input_shape_(input_shape) {
  if (input_shape.size() <= 0)
    throw ShapeError("Sequential: input shape " + to_string(input_shape) + " is empty");
}

template <class Scalar>
Sequential<Scalar>::Sequential(const Sequential& other)
    : input_shape_(other.input_shape_),
      offsets_(other.offsets_),
      first_parameterized_(other.first_parameterized_),
      params_(other.params_),
      training_(other.training_),
      noise_rng_(other.noise_rng_) {
  for (const auto& layer : other.layers_) layers_.push_back(layer->clone());
  acts_.resize(layers_.size());
  grads_.resize(layers_.size());
  tangents_.resize(layers_.size());
  rgrads_.resize(layers_.size());
  column_tangents_.resize(layers_.size());
  column_rgrads_.resize(layers_.size());
  row_cots_.resize(layers_.size());
}

template <class Scalar>
Sequential<Scalar>& Sequential<Scalar>::operator=(const Sequential& other) {
  if (this != &other) *this = Sequential(other);
  return *this;
}

template <class Scalar>
Layer<Scalar>& Sequential<Scalar>::add(std::unique_ptr<Layer<Scalar>> layer) {
  if (!layer) throw ConfigError("Sequential::add: null layer");
  const Index position = num_layers();
  if (layer->name().empty()) {
    std::string name = layer->type();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    layer->set_name(name + "_" + std::to_string(position));
  }
  layer->configure(layers_.empty() ? input_shape_ : output_shape());
  layer->set_training(training_);
  const Index n = layer->num_parameters();
  if (n > 0 && first_parameterized_ < 0) first_parameterized_ = position;
  offsets_.push_back(offsets_.back() + n);
  params_.conservativeResize(offsets_.back());
  params_.tail(n).setZero();
  layers_.push_back(std::move(layer));
  acts_.emplace_back();
  grads_.emplace_back();
  tangents_.emplace_back();
  rgrads_.emplace_back();
  column_tangents_.emplace_back();
  column_rgrads_.emplace_back();
  row_cots_.emplace_back();
  return *layers_.back();
}

template <class Scalar>
const Shape& Sequential<Scalar>::output_shape() const {
  return layers_.empty() ? input_shape_ : layers_.back()->output_shape();
}

template <class Scalar>
void Sequential<Scalar>::initialize(Initializer init, std::uint64_t seed) {
  Rng rng(seed);
  for (Index l = 0; l < num_layers(); ++l) {
    Rng layer_rng = rng.split();  // one stream per layer: adding a layer keeps the others' draws
    if (has_parameters(l)) layers_[l]->initialize(params_.data() + offsets_[l], init, layer_rng);
  }
}

template <class Scalar>
void Sequential<Scalar>::set_training(bool training) {
  training_ = training;
  for (auto& layer : layers_) layer->set_training(training);
}

template <class Scalar>
void Sequential<Scalar>::resample_noise(Index batch_size) {
  for (auto& layer : layers_) layer->resample_noise(batch_size, noise_rng_);
}

template <class Scalar>
bool Sequential<Scalar>::stochastic() const {
  for (const auto& layer : layers_)
    if (layer->stochastic()) return true;
  return false;
}

template <class Scalar>
void Sequential<Scalar>::bind_parameters(const Scalar* params, Index size) {
  if (size != num_parameters())
    throw ShapeError("Sequential: parameter vector has " + std::to_string(size) +
                     " entries, expected " + std::to_string(num_parameters()) + " (" +
                     std::to_string(num_layers()) + " layers)");
  bound_ = params;
  // Rebind the layers now, not only in forward(): a caller reusing a cached forward pass at
  // equal values held in another vector must not read weights through the old pointer.
  for (Index l = 0; l < num_layers(); ++l) layers_[l]->bind_parameters(params + offsets_[l]);
}

template <class Scalar>
void Sequential<Scalar>::bind_own_parameters() {
  bound_ = nullptr;
}

template <class Scalar>
typename Sequential<Scalar>::InputMap Sequential<Scalar>::input_of(Index layer) const {
  if (layer == 0)
    return InputMap(input_data_, input_size(), batch_, Eigen::OuterStride<>(input_stride_));
  const Mat& a = acts_[layer - 1];
  return InputMap(a.data(), a.rows(), a.cols(), Eigen::OuterStride<>(a.rows()));
}

template <class Scalar>
void Sequential<Scalar>::require_forward(const char* pass) const {
  if (!input_data_) throw Error(std::string("Sequential::") + pass + " called before forward()");
}

template <class Scalar>
void Sequential<Scalar>::check_input(ConstMatrixRef<Scalar> X) const {
  if (layers_.empty()) throw Error("Sequential: the model has no layers");
  // Messages are built only on failure: forward() calls this on every batch.
  auto first = [this] { return layers_.front()->label(); };
  if (X.rows() != input_size())
    throw ShapeError(first() + ": input has " + std::to_string(X.rows()) +
                     " features per example, expected " + std::to_string(input_size()) +
                     " (shape " + to_string(input_shape_) + ")");
  if (X.cols() < 1) throw ShapeError(first() + ": input batch is empty, expected >= 1 example");
  if (X.allFinite()) return;
  for (Index s = 0; s < X.cols(); ++s)
    for (Index i = 0; i < X.rows(); ++i)
      if (!std::isfinite(static_cast<double>(X(i, s))))
        throw ValueError(first() + ": input value at feature " + std::to_string(i) +
                         " of example " + std::to_string(s) + " is " +
                         std::to_string(static_cast<double>(X(i, s))) +
                         ", expected a finite number");
}

template <class Scalar>
const typename Sequential<Scalar>::Mat& Sequential<Scalar>::forward(ConstMatrixRef<Scalar> X) {
  check_input(X);
  const Scalar* params = bound_ ? bound_ : params_.data();
  for (Index l = 0; l < num_layers(); ++l) layers_[l]->bind_parameters(params + offsets_[l]);
  input_data_ = X.data();
  input_stride_ = X.outerStride();
  batch_ = X.cols();
  for (Index l = 0; l < num_layers(); ++l) {
    acts_[l].resize(layers_[l]->output_size(), batch_);
    layers_[l]->forward(input_of(l), acts_[l]);
  }
  return acts_.back();
}

template <class Scalar>
const typename Sequential<Scalar>::Mat& Sequential<Scalar>::output() const {
  require_forward("output");
  return acts_.back();
}

template <class Scalar>
void Sequential<Scalar>::backward(ConstMatrixRef<Scalar> dZ, Scalar* grad) {
  require_forward("backward");
  backward_pass(dZ, grad, 0);
}

template <class Scalar>
void Sequential<Scalar>::backward_with_hidden_damping(ConstMatrixRef<Scalar> dZ, Scalar* grad,
                                                      Scalar weight) {
  require_forward("backward_with_hidden_damping");
  if (tangents_.back().cols() != batch_ || tangents_.back().rows() != output_size())
    throw ShapeError("Sequential::backward_with_hidden_damping: needs jvp() on the current batch");
  backward_pass(dZ, grad, weight);
}

template <class Scalar>
void Sequential<Scalar>::backward_pass(ConstMatrixRef<Scalar> dZ, Scalar* grad,
                                       Scalar hidden_tangent_weight) {
  if (first_parameterized_ < 0) return;  // nothing to differentiate
  grads_.back() = dZ;
  for (Index l = num_layers() - 1; l >= std::max<Index>(first_parameterized_, 0); --l) {
    // The input of a parameterized layer l + 1 is a hidden state; its tangent from jvp() is
    // tangents_[l] (zero before the first parameterized layer, which is why l starts there).
    if (hidden_tangent_weight != 0 && l + 1 < num_layers() && has_parameters(l + 1))
      grads_[l].noalias() += hidden_tangent_weight * tangents_[l];
    Mat* dX = l > first_parameterized_ ? &grads_[l - 1] : nullptr;
    Scalar* g = has_parameters(l) && grad ? grad + offsets_[l] : nullptr;
    layers_[l]->backward(input_of(l), acts_[l], grads_[l], dX, g);
  }
}

template <class Scalar>
const typename Sequential<Scalar>::Mat& Sequential<Scalar>::jvp(const Scalar* v) {
  require_forward("jvp");
  for (Index l = 0; l < num_layers(); ++l) {
    tangents_[l].resize(layers_[l]->output_size(), batch_);
    // Before the first parameterized layer every tangent is zero.
    const Mat* dX = (l > 0 && l > first_parameterized_) ? &tangents_[l - 1] : nullptr;
    const Scalar* vl = has_parameters(l) ? v + offsets_[l] : nullptr;
    layers_[l]->jvp(input_of(l), acts_[l], dX, vl, tangents_[l]);
  }
  return tangents_.back();
}

template <class Scalar>
void Sequential<Scalar>::hvp_backward(const Scalar* v, ConstMatrixRef<Scalar> RdZ, Scalar* Rgrad) {
  require_forward("hvp_backward");
  if (first_parameterized_ < 0) return;
  rgrads_.back() = RdZ;
  for (Index l = num_layers() - 1; l >= std::max<Index>(first_parameterized_, 0); --l) {
    const bool inner = l > first_parameterized_;
    const Mat* RX = inner ? &tangents_[l - 1] : nullptr;
    Mat* RdX = inner ? &rgrads_[l - 1] : nullptr;
    const Scalar* vl = has_parameters(l) ? v + offsets_[l] : nullptr;
    Scalar* rg = has_parameters(l) ? Rgrad + offsets_[l] : nullptr;
    layers_[l]->hvp_backward(input_of(l), acts_[l], grads_[l], RX, rgrads_[l], vl, RdX, rg);
  }
}

template <class Scalar>
const typename Sequential<Scalar>::Mat& Sequential<Scalar>::jvp_columns(const Scalar* V,
                                                                        Index v_stride, Index k) {
  require_forward("jvp_columns");
  for (Index l = 0; l < num_layers(); ++l) {
    column_tangents_[l].resize(layers_[l]->output_size(), k * batch_);
    const Mat* dX = (l > 0 && l > first_parameterized_) ? &column_tangents_[l - 1] : nullptr;
    const Scalar* vl = has_parameters(l) ? V + offsets_[l] : nullptr;
    layers_[l]->jvp_columns(input_of(l), acts_[l], dX, vl, v_stride, column_tangents_[l]);
  }
  return column_tangents_.back();
}

template <class Scalar>
void Sequential<Scalar>::hvp_backward_columns(const Scalar* V, Index v_stride,
                                              ConstMatrixRef<Scalar> RdZ, Scalar* Rgrad,
                                              Index grad_stride) {
  require_forward("hvp_backward_columns");
  const Index tangent_columns = column_tangents_.empty() ? 0 : column_tangents_.back().cols();
  if (RdZ.rows() != output_size() || RdZ.cols() % batch_ != 0 ||
      (V && RdZ.cols() != tangent_columns))
    throw ShapeError("Sequential::hvp_backward_columns: cotangents are " +
                     std::to_string(RdZ.rows()) + "x" + std::to_string(RdZ.cols()) + ", expected " +
                     std::to_string(output_size()) + " x " +
                     (V ? std::to_string(tangent_columns) + " (the last jvp_columns)"
                        : "(a multiple of the batch " + std::to_string(batch_) + ")"));
  if (first_parameterized_ < 0) return;
  column_rgrads_.back() = RdZ;
  for (Index l = num_layers() - 1; l >= std::max<Index>(first_parameterized_, 0); --l) {
    const bool inner = l > first_parameterized_;
    const Mat* RX = inner && V ? &column_tangents_[l - 1] : nullptr;
    Mat* RdX = inner ? &column_rgrads_[l - 1] : nullptr;
    const Scalar* vl = has_parameters(l) && V ? V + offsets_[l] : nullptr;
    Scalar* rg = has_parameters(l) ? Rgrad + offsets_[l] : nullptr;
    layers_[l]->hvp_backward_columns(input_of(l), acts_[l], V ? grads_[l] : no_cotangent_, RX,
                                     column_rgrads_[l], vl, v_stride, RdX, rg, grad_stride);
  }
}

template <class Scalar>
void Sequential<Scalar>::backward_columns(ConstMatrixRef<Scalar> dZ, Scalar* grad,
                                          Index grad_stride) {
  // R-backprop with no tangent: the second-order terms vanish and what is left is backward()
  // applied to each block.
  hvp_backward_columns(nullptr, 0, dZ, grad, grad_stride);
}

template <class Scalar>
void Sequential<Scalar>::row_cotangents(ConstMatrixRef<Scalar> U) {
  require_forward("row_cotangents");
  if (U.rows() != output_size() || U.cols() % batch_ != 0)
    throw ShapeError("Sequential::row_cotangents: cotangents are " + std::to_string(U.rows()) +
                     "x" + std::to_string(U.cols()) + ", expected " +
                     std::to_string(output_size()) + " x (a multiple of the batch " +
                     std::to_string(batch_) + ")");
  num_rows_ = U.cols();
  const Index blocks = first_parameterized_ < 0 ? 0 : num_rows_ / batch_;
  // Rows are independent across examples, so each block of b rows is one batched backward pass.
  for (Index k = 0; k < blocks; ++k) {
    grads_.back() = U.middleCols(k * batch_, batch_);
    for (Index l = num_layers() - 1; l >= std::max<Index>(first_parameterized_, 0); --l) {
      if (has_parameters(l)) row_cotangents_of(l).middleCols(k * batch_, batch_) = grads_[l];
      if (l > first_parameterized_)
        layers_[l]->backward(input_of(l), acts_[l], grads_[l], &grads_[l - 1], nullptr);
    }
  }
}

template <class Scalar>
void Sequential<Scalar>::jacobian_rows(MatrixRef<Scalar> J) {
  if (J.rows() != num_rows_ || J.cols() != num_parameters())
    throw ShapeError("Sequential::jacobian_rows: output is " + std::to_string(J.rows()) + "x" +
                     std::to_string(J.cols()) + ", expected " + std::to_string(num_rows_) + "x" +
                     std::to_string(num_parameters()));
  for (Index l = 0; l < num_layers(); ++l)
    if (has_parameters(l))
      layers_[l]->per_sample_gradients(input_of(l), row_cotangents_of(l),
                                       J.middleCols(offsets_[l], layer_parameters(l)));
}

template <class Scalar>
void Sequential<Scalar>::accumulate_gram(MatrixRef<Scalar> G) {
  if (G.rows() != num_rows_ || G.cols() != num_rows_)
    throw ShapeError("Sequential::accumulate_gram: output is " + std::to_string(G.rows()) + "x" +
                     std::to_string(G.cols()) + ", expected " + std::to_string(num_rows_) +
                     " square");
  for (Index l = 0; l < num_layers(); ++l)
    if (has_parameters(l)) layers_[l]->accumulate_gram(input_of(l), row_cotangents_of(l), G);
}

template <class Scalar>
bool Sequential<Scalar>::gram_has_identities() const {
  for (Index l = 0; l < num_layers(); ++l)
    if (has_parameters(l) && !layers_[l]->has_gram_identity()) return false;
  return true;
}

template <class Scalar>
void Sequential<Scalar>::gram_factors(std::vector<Matrix<Scalar>>& factors) {
  std::size_t at = 0;
  for (Index l = 0; l < num_layers(); ++l)
    if (has_parameters(l)) at += 2;
  factors.resize(at);
  at = 0;
  for (Index l = 0; l < num_layers(); ++l) {
    if (!has_parameters(l)) continue;
    factors[at++] = input_of(l);
    factors[at++] = row_cotangents_of(l);
  }
}

template <class Scalar>
void Sequential<Scalar>::accumulate_gram_from(const std::vector<Matrix<Scalar>>& factors,
                                              MatrixRef<Scalar> G) {
  std::size_t at = 0;
  for (Index l = 0; l < num_layers(); ++l) {
    if (!has_parameters(l)) continue;
    if (at + 2 > factors.size())
      throw ShapeError("Sequential::accumulate_gram_from: " + std::to_string(factors.size()) +
                       " factors, fewer than two per layer with parameters");
    const Matrix<Scalar>& X = factors[at];
    const Matrix<Scalar>& dY = factors[at + 1];
    if (G.rows() != dY.cols() || G.cols() != dY.cols() || dY.cols() % std::max<Index>(X.cols(), 1))
      throw ShapeError("Sequential::accumulate_gram_from: layer " + std::to_string(l) + ": " +
                       std::to_string(X.cols()) + " examples, " + std::to_string(dY.cols()) +
                       " rows, G " + std::to_string(G.rows()) + " x " + std::to_string(G.cols()));
    layers_[l]->accumulate_gram(X, dY, G);
    at += 2;
  }
}

template <class Scalar>
void Sequential<Scalar>::squared_row_sums(VectorRef<Scalar> squares) {
  if (squares.size() != num_parameters())
    throw ShapeError("Sequential::squared_row_sums: output of length " +
                     std::to_string(squares.size()) + ", expected " +
                     std::to_string(num_parameters()));
  squares.setZero();
  for (Index l = 0; l < num_layers(); ++l)
    if (has_parameters(l))
      layers_[l]->accumulate_squared_gradients(input_of(l), row_cotangents_of(l),
                                               squares.segment(offsets_[l], layer_parameters(l)));
}

template <class Scalar>
void Sequential<Scalar>::kfac_factors(std::vector<KfacFactors<Scalar>>& out) {
  if (num_rows_ == 0 || num_rows_ % batch_ != 0)
    throw ShapeError("Sequential::kfac_factors: needs blocks of one cotangent per example (" +
                     std::to_string(batch_) + "), got " + std::to_string(num_rows_));
  std::size_t used = 0;
  for (Index l = 0; l < num_layers(); ++l) {
    if (!has_parameters(l)) continue;
    for (Index block = 0; block < layers_[l]->kfac_block_count(); ++block) {
      if (used == out.size()) out.emplace_back();
      KfacFactors<Scalar>& f = out[used];
      f.offset = 0;
      f.diagonal_A = false;
      if (layers_[l]->kfac_block(input_of(l), row_cotangents_of(l), block, f)) {
        f.layer = l;
        f.offset += offsets_[static_cast<std::size_t>(l)];
        ++used;
      }
    }
  }
  out.resize(used);
}

template class Sequential<float>;
template class Sequential<double>;

}  // namespace curvopt

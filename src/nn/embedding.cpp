#include "curvopt/nn/embedding.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
Embedding<Scalar>::Embedding(std::vector<Index> vocab_sizes, Index dim)
    : vocab_(std::move(vocab_sizes)), dim_(dim) {
  if (vocab_.empty()) throw ConfigError("Embedding::vocab_sizes: must name at least one field");
  for (std::size_t f = 0; f < vocab_.size(); ++f)
    if (vocab_[f] < 1 || vocab_[f] > INT32_MAX)
      throw ConfigError("Embedding::vocab_sizes[" + std::to_string(f) +
                        "] = " + std::to_string(vocab_[f]) + ": must be in [1, 2^31)");
  if (dim < 1) throw ConfigError("Embedding::dim = " + std::to_string(dim) + ": must be >= 1");
  offsets_.push_back(0);
  for (Index v : vocab_) offsets_.push_back(offsets_.back() + v * dim_);
}

template <class Scalar>
Shape Embedding<Scalar>::do_configure(const Shape& input) {
  const auto fields = static_cast<Index>(vocab_.size());
  if (!input.is_flat() || input.size() != fields)
    this->shape_error("input shape", to_string(input),
                      std::to_string(fields) + " (one index per vocabulary)");
  return Shape::flat(fields * dim_);
}

template <class Scalar>
void Embedding<Scalar>::initialize(Scalar* params, Initializer init, Rng& rng) const {
  VectorMap<Scalar> all(params, num_parameters());
  Vector<Scalar> no_bias;
  switch (init) {
    case Initializer::kPyTorchDefault:
      for (Index i = 0; i < all.size(); ++i) all[i] = static_cast<Scalar>(rng.normal());
      break;
    case Initializer::kGlorotUniform:
      for (Index i = 0; i < all.size(); ++i) all[i] = static_cast<Scalar>(rng.uniform(-0.05, 0.05));
      break;
    default:
      initialize_weights<Scalar>(init, dim_, dim_, all, no_bias, rng);
  }
}

template <class Scalar>
void Embedding<Scalar>::read_indices(ConstRef X) {
  const auto fields = static_cast<Index>(vocab_.size());
  indices_.resize(fields, X.cols());
  for (Index s = 0; s < X.cols(); ++s) {
    for (Index f = 0; f < fields; ++f) {
      const Scalar value = X(f, s);
      if (!(value >= 0 && value < static_cast<Scalar>(vocab_[f]) && std::floor(value) == value))
        throw ValueError(this->label() + ": index " + std::to_string(value) + " of field " +
                         std::to_string(f) + " in example " + std::to_string(s) +
                         " is out of range, expected an integer in [0, " +
                         std::to_string(vocab_[f]) + ")");
      indices_(f, s) = static_cast<std::int32_t>(value);
    }
  }
}

template <class Scalar>
void Embedding<Scalar>::forward(ConstRef X, Ref Y) {
  read_indices(X);
  for (Index s = 0; s < X.cols(); ++s)
    for (std::size_t f = 0; f < vocab_.size(); ++f)
      Y.col(s).segment(f * dim_, dim_) =
          ConstVectorMap<Scalar>(this->params_ + entry(f, indices_(f, s)), dim_);
}

template <class Scalar>
void Embedding<Scalar>::scatter(ConstRef dY, Scalar* grad) const {
  VectorMap<Scalar>(grad, num_parameters()).setZero();
  for (Index s = 0; s < dY.cols(); ++s)
    for (std::size_t f = 0; f < vocab_.size(); ++f)
      VectorMap<Scalar>(grad + entry(f, indices_(f, s)), dim_) += dY.col(s).segment(f * dim_, dim_);
}

template <class Scalar>
void Embedding<Scalar>::backward(ConstRef X, ConstRef, ConstRef dY, Mat* dX, Scalar* grad) {
  if (grad) scatter(dY, grad);
  if (dX) dX->setZero(X.rows(), X.cols());
}

template <class Scalar>
void Embedding<Scalar>::jvp(ConstRef X, ConstRef, const Mat*, const Scalar* v, Ref dY) {
  if (!v) {
    dY.setZero();
    return;
  }
  for (Index s = 0; s < X.cols(); ++s)
    for (std::size_t f = 0; f < vocab_.size(); ++f)
      dY.col(s).segment(f * dim_, dim_) =
          ConstVectorMap<Scalar>(v + entry(f, indices_(f, s)), dim_);
}

template <class Scalar>
void Embedding<Scalar>::hvp_backward(ConstRef X, ConstRef, ConstRef, const Mat*, ConstRef RdY,
                                     const Scalar*, Mat* RdX, Scalar* Rgrad) {
  // backward() is linear in dY and does not depend on the parameters.
  if (Rgrad) scatter(RdY, Rgrad);
  if (RdX) RdX->setZero(X.rows(), X.cols());
}

template <class Scalar>
void Embedding<Scalar>::per_sample_gradients(ConstRef X, ConstRef dY, Ref rows) {
  const Index b = X.cols();
  rows.setZero();
  for (Index j = 0; j < dY.cols(); ++j)
    for (std::size_t f = 0; f < vocab_.size(); ++f)
      rows.row(j).segment(entry(f, indices_(f, j % b)), dim_) =
          dY.col(j).segment(f * dim_, dim_).transpose();
}

template <class Scalar>
bool Embedding<Scalar>::kfac_block(ConstRef X, ConstRef dY, Index table, KfacFactors<Scalar>& out) {
  const Index b = X.cols();
  const auto f = static_cast<std::size_t>(table);
  const Scalar inv_b = Scalar(1) / static_cast<Scalar>(b);
  out.diagonal_A = true;
  out.offset = offsets_[f];
  out.A.setZero(vocab_[f], 1);
  for (Index s = 0; s < b; ++s) out.A(indices_(table, s), 0) += inv_b;
  const auto D = dY.middleRows(table * dim_, dim_);
  out.G.noalias() = inv_b * D * D.transpose();
  return true;
}

template <class Scalar>
void Embedding<Scalar>::accumulate_gram(ConstRef X, ConstRef dY, Ref G) {
  const Index b = X.cols(), m = dY.cols();
  for (std::size_t f = 0; f < vocab_.size(); ++f) {
    groups_.resize(m);
    for (Index j = 0; j < m; ++j) groups_[j] = {indices_(f, j % b), j};
    std::sort(groups_.begin(), groups_.end());
    // Rows that looked up the same entry share their Jacobian columns; others are orthogonal.
    for (std::size_t start = 0; start < groups_.size();) {
      std::size_t end = start + 1;
      while (end < groups_.size() && groups_[end].first == groups_[start].first) ++end;
      for (std::size_t p = start; p < end; ++p) {
        const auto dp = dY.col(groups_[p].second).segment(f * dim_, dim_);
        for (std::size_t q = start; q <= p; ++q)
          G(groups_[p].second, groups_[q].second) +=
              dp.dot(dY.col(groups_[q].second).segment(f * dim_, dim_));
      }
      start = end;
    }
  }
}

template class Embedding<float>;
template class Embedding<double>;

}  // namespace curvopt

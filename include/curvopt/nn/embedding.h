#pragma once
/// Embedding lookup for integer-valued input fields (e.g. user id and item id).

#include <vector>

#include "curvopt/nn/layer.h"

namespace curvopt {

/// Maps each of `vocab_sizes.size()` integer input fields to a learned vector of `dim` values and
/// concatenates them: the input is fields × batch (indices stored as Scalar, checked to be
/// integers in [0, vocabulary)), the output (fields·dim) × batch. A two-tower recommender is
/// Embedding({num_users, num_items}, 32) followed by Dense layers.
///
/// Parameters: one table per field, dim × vocabulary column-major (column = one entry's vector),
/// tables in field order. The Jacobian row of an example has the output cotangent at the rows of
/// the looked-up entries, so the Gram identity is (JJᵀ)_{jl} = Σ_f [i_f(j) = i_f(l)]
/// δ_{j,f}·δ_{l,f}; it is computed by grouping examples that share an entry. Initialization:
/// kPyTorchDefault N(0, 1); kGlorotUniform U(±0.05) (Keras' default); the other schemes use fan_in
/// = dim. Inputs are indices, so the input gradient is zero.
template <class Scalar>
class Embedding final : public Layer<Scalar> {
 public:
  using typename Layer<Scalar>::Mat;
  using typename Layer<Scalar>::ConstRef;
  using typename Layer<Scalar>::Ref;

  Embedding(std::vector<Index> vocab_sizes, Index dim);

  std::string type() const override { return "Embedding"; }
  std::unique_ptr<Layer<Scalar>> clone() const override {
    return std::make_unique<Embedding>(*this);
  }
  std::string config() const override;
  Index num_parameters() const override { return offsets_.back(); }
  void initialize(Scalar* params, Initializer init, Rng& rng) const override;

  void forward(ConstRef X, Ref Y) override;
  void backward(ConstRef X, ConstRef Y, ConstRef dY, Mat* dX, Scalar* grad) override;
  void jvp(ConstRef X, ConstRef Y, const Mat* dX, const Scalar* v, Ref dY) override;
  void hvp_backward(ConstRef X, ConstRef Y, ConstRef dY, const Mat* RX, ConstRef RdY,
                    const Scalar* v, Mat* RdX, Scalar* Rgrad) override;
  void per_sample_gradients(ConstRef X, ConstRef dY, Ref rows) override;
  void accumulate_gram(ConstRef X, ConstRef dY, Ref G) override;
  bool has_gram_identity() const override { return true; }
  /// One K-FAC block per table: A = diag(how often each entry was looked up) / b (the inputs are
  /// one-hot), G = (1/b) Σ gᵢgᵢᵀ over the table's output cotangents; dim × vocabulary.
  Index kfac_block_count() const override { return static_cast<Index>(vocab_.size()); }
  bool kfac_block(ConstRef X, ConstRef dY, Index table, KfacFactors<Scalar>& out) override;

  Index dim() const { return dim_; }
  const std::vector<Index>& vocab_sizes() const { return vocab_; }

 protected:
  Shape do_configure(const Shape& input) override;

 private:
  /// Reads and validates the indices of X into indices_ (throws ValueError naming the example).
  void read_indices(ConstRef X);
  /// Offset in the parameter slice of entry `index` of field f.
  Index entry(Index f, Index index) const { return offsets_[f] + index * dim_; }
  /// grad = scatter-add of dY onto the looked-up entries.
  void scatter(ConstRef dY, Scalar* grad) const;

  std::vector<Index> vocab_;
  Index dim_;
  std::vector<Index> offsets_;                                           // fields + 1 table offsets
  Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic> indices_;  // fields × batch
  std::vector<std::pair<std::int32_t, Index>> groups_;  // (entry, row) sorted, Gram scratch
};

extern template class Embedding<float>;
extern template class Embedding<double>;

}  // namespace curvopt

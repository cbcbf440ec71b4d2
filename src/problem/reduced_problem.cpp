#include "curvopt/problem/reduced_problem.h"

#include <algorithm>
#include <cmath>
#include <span>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

// The oracles the shards provide that can be summed or gathered; JᵀJ also when a shard has it
// through its Jacobian, and the Gram from the gathered Jacobian.
OracleSet reducible(OracleSet shard) {
  OracleSet out = Oracle::kValue | Oracle::kGradient;
  for (Oracle o : {Oracle::kGgnProduct, Oracle::kHessianProduct, Oracle::kStructuralDamping,
                   Oracle::kKfacStatistics, Oracle::kResiduals, Oracle::kJacobian, Oracle::kJvp,
                   Oracle::kVjp, Oracle::kPerExampleGradients, Oracle::kSampledGaussNewton})
    if (shard.contains(o)) out = out | o;
  if (shard.contains(Oracle::kGaussNewtonMatrix) || shard.contains(Oracle::kJacobian))
    out = out | Oracle::kGaussNewtonMatrix;
  if (shard.contains(Oracle::kJacobian)) out = out | Oracle::kGram;
  if (shard.contains(Oracle::kEmpiricalFisherDiagonal) ||
      shard.contains(Oracle::kPerExampleGradients))
    out = out | Oracle::kEmpiricalFisherDiagonal;
  return out;
}

template <class Scalar>
std::span<Scalar> as_span(Scalar* data, Index size) {
  return std::span<Scalar>(data, static_cast<std::size_t>(size));
}

}  // namespace

template <class Scalar>
ReducedProblem<Scalar>::ReducedProblem(Communicator& communicator, Index num_parameters,
                                       OracleSet shard_oracles)
    : communicator_(communicator),
      num_parameters_(num_parameters),
      oracles_(reducible(shard_oracles)),
      shard_oracles_(shard_oracles),
      value_and_gradient_(num_parameters + 1) {}

template <class Scalar>
void ReducedProblem<Scalar>::set_shard(Problem<Scalar>* shard, const ShardWeights& weights,
                                       Index batch_examples, Index curvature_examples) {
  if (shard && shard->num_parameters() != num_parameters_)
    throw ShapeError("ReducedProblem: the shard has " + std::to_string(shard->num_parameters()) +
                     " parameters, the reduced problem " + std::to_string(num_parameters_));
  shard_ = shard;
  batch_weight_ = shard ? weights.batch : 0;
  curvature_weight_ = shard ? weights.curvature : 0;
  fisher_weight_ = shard ? weights.fisher_diagonal : 0;
  batch_examples_ = batch_examples;
  const int k = communicator_.size();
  const Index c = curvature_examples > 0 ? curvature_examples : batch_examples;
  // A rank without examples keeps the blocks it last saw (every rank's shard has the same).
  if (shard && (oracles_.contains(Oracle::kResiduals) || oracles_.contains(Oracle::kJacobian) ||
                oracles_.contains(Oracle::kJvp)))
    residual_blocks_ = shard->num_jacobian_blocks();
  residual_rows_.reset(c, std::max<Index>(residual_blocks_, 1), k);
  curvature_rows_.reset(c, 1, k);
  example_rows_.reset(batch_examples, 1, k);
  loss_terms_ = std::numeric_limits<double>::quiet_NaN();
  this->mark_data_changed();
}

template <class Scalar>
void ReducedProblem<Scalar>::reduce(VectorRef<Scalar> out, double weight) {
  if (weight > 0)
    out *= static_cast<Scalar>(weight);
  else
    out.setZero();
  // A vector reference is contiguous (unit inner stride).
  communicator_.sum(as_span(out.data(), out.size()));
}

template <class Scalar>
void ReducedProblem<Scalar>::reduce(MatrixRef<Scalar> out, double weight) {
  if (weight > 0)
    out *= static_cast<Scalar>(weight);
  else
    out.setZero();
  if (out.outerStride() == out.rows()) {
    communicator_.sum(as_span(out.data(), out.size()));
  } else {
    strided_ = out;
    communicator_.sum(as_span(strided_.data(), strided_.size()));
    out = strided_;
  }
}

template <class Scalar>
Scalar ReducedProblem<Scalar>::value(ConstVectorRef<Scalar> params) {
  Scalar f[1] = {shard_ ? static_cast<Scalar>(batch_weight_) * shard_->value(params) : Scalar(0)};
  communicator_.sum(std::span<Scalar>(f));
  return f[0];
}

template <class Scalar>
Scalar ReducedProblem<Scalar>::gradient(ConstVectorRef<Scalar> params, VectorRef<Scalar> grad) {
  const Index n = num_parameters_;
  if (grad.size() != n)
    throw ShapeError("ReducedProblem::gradient: grad has " + std::to_string(grad.size()) +
                     " entries, the problem " + std::to_string(n) + " parameters");
  auto g = value_and_gradient_.head(n);
  if (shard_) {
    const auto w = static_cast<Scalar>(batch_weight_);
    value_and_gradient_[n] = w * shard_->gradient(params, g);
    g *= w;
  } else {
    value_and_gradient_.setZero();
  }
  communicator_.sum(as_span(value_and_gradient_.data(), n + 1));
  grad = g;
  return value_and_gradient_[n];
}

template <class Scalar>
void ReducedProblem<Scalar>::ggn_vector_product(ConstVectorRef<Scalar> params,
                                                ConstVectorRef<Scalar> v, VectorRef<Scalar> out) {
  this->require(Oracle::kGgnProduct, "ReducedProblem::ggn_vector_product");
  if (curvature_weight_ > 0) shard_->ggn_vector_product(params, v, out);
  reduce(out, curvature_weight_);
}

template <class Scalar>
void ReducedProblem<Scalar>::hessian_vector_product(ConstVectorRef<Scalar> params,
                                                    ConstVectorRef<Scalar> v,
                                                    VectorRef<Scalar> out) {
  this->require(Oracle::kHessianProduct, "ReducedProblem::hessian_vector_product");
  if (curvature_weight_ > 0) shard_->hessian_vector_product(params, v, out);
  reduce(out, curvature_weight_);
}

template <class Scalar>
void ReducedProblem<Scalar>::structurally_damped_ggn_product(ConstVectorRef<Scalar> params,
                                                             ConstVectorRef<Scalar> v,
                                                             Scalar weight, VectorRef<Scalar> out) {
  this->require(Oracle::kStructuralDamping, "ReducedProblem::structurally_damped_ggn_product");
  if (curvature_weight_ > 0) shard_->structurally_damped_ggn_product(params, v, weight, out);
  reduce(out, curvature_weight_);
}

template <class Scalar>
void ReducedProblem<Scalar>::hessian_matrix_product(ConstVectorRef<Scalar> params,
                                                    ConstMatrixRef<Scalar> V,
                                                    MatrixRef<Scalar> out) {
  this->require(Oracle::kHessianProduct, "ReducedProblem::hessian_matrix_product");
  if (curvature_weight_ > 0) shard_->hessian_matrix_product(params, V, out);
  reduce(out, curvature_weight_);
}

template <class Scalar>
void ReducedProblem<Scalar>::ggn_matrix_product(ConstVectorRef<Scalar> params,
                                                ConstMatrixRef<Scalar> V, MatrixRef<Scalar> out) {
  this->require(Oracle::kGgnProduct, "ReducedProblem::ggn_matrix_product");
  if (curvature_weight_ > 0) shard_->ggn_matrix_product(params, V, out);
  reduce(out, curvature_weight_);
}

template <class Scalar>
void ReducedProblem<Scalar>::gauss_newton_matrix(ConstVectorRef<Scalar> params,
                                                 MatrixRef<Scalar> JtJ) {
  this->require(Oracle::kGaussNewtonMatrix, "ReducedProblem::gauss_newton_matrix");
  const Index n = num_parameters_;
  if (JtJ.rows() != n || JtJ.cols() != n)
    throw ShapeError("ReducedProblem::gauss_newton_matrix: JtJ is " + std::to_string(JtJ.rows()) +
                     " x " + std::to_string(JtJ.cols()) + ", the problem has " + std::to_string(n) +
                     " parameters");
  if (curvature_weight_ > 0) shard_->gauss_newton_matrix(params, JtJ);
  // Only the lower triangle is defined (and summed: half the traffic); the strict upper
  // triangle stays as the caller left it.
  lower_.resize(n * (n + 1) / 2);
  const auto w = static_cast<Scalar>(curvature_weight_);
  for (Index j = 0, k = 0; j < n; k += n - j, ++j) {
    if (curvature_weight_ > 0)
      lower_.segment(k, n - j) = w * JtJ.col(j).tail(n - j);
    else
      lower_.segment(k, n - j).setZero();
  }
  communicator_.sum(as_span(lower_.data(), lower_.size()));
  for (Index j = 0, k = 0; j < n; k += n - j, ++j)
    JtJ.col(j).tail(n - j) = lower_.segment(k, n - j);
}

template <class Scalar>
void ReducedProblem<Scalar>::empirical_fisher_diagonal(ConstVectorRef<Scalar> params,
                                                       VectorRef<Scalar> out) {
  this->require(Oracle::kEmpiricalFisherDiagonal, "ReducedProblem::empirical_fisher_diagonal");
  if (shard_) shard_->empirical_fisher_diagonal(params, out);
  reduce(out, fisher_weight_);
}

template <class Scalar>
void ReducedProblem<Scalar>::kfac_statistics(ConstVectorRef<Scalar> params, KfacTargets targets,
                                             Rng& rng, std::vector<KfacFactors<Scalar>>& out) {
  this->require(Oracle::kKfacStatistics, "ReducedProblem::kfac_statistics");
  if (!shard_)
    throw Error("K-FAC over " + std::to_string(communicator_.size()) + " processes: rank " +
                std::to_string(communicator_.rank()) + " holds none of the batch's " +
                std::to_string(batch_examples_) +
                " examples; use batches of at least as many examples as processes");
  // Draws from rng on every rank alike, and only where a single process would draw.
  Rng own = targets == KfacTargets::kSampled ? rank_stream(rng) : Rng(0);
  shard_->kfac_statistics(params, targets, own, out);
  // Pack A, G and the EKFAC scaling of every layer, scaled, into one vector; sum; unpack.
  const auto w = static_cast<Scalar>(curvature_weight_);
  Index total = 0;
  for (const KfacFactors<Scalar>& f : out) total += f.A.size() + f.G.size() + f.scaling.size();
  if (factors_.size() < total) factors_.resize(total);
  Index at = 0;
  auto pack = [&](const Matrix<Scalar>& m) {
    auto part = factors_.segment(at, m.size());
    if (curvature_weight_ > 0)
      part = w * m.reshaped();
    else
      part.setZero();  // a shard without curvature examples: its factors are not used
    at += m.size();
  };
  for (const KfacFactors<Scalar>& f : out) {
    pack(f.A);
    pack(f.G);
    pack(f.scaling);
  }
  communicator_.sum(as_span(factors_.data(), total));
  at = 0;
  auto unpack = [&](Matrix<Scalar>& m) {
    m.reshaped() = factors_.segment(at, m.size());
    at += m.size();
  };
  for (KfacFactors<Scalar>& f : out) {
    unpack(f.A);
    unpack(f.G);
    unpack(f.scaling);
  }
}

template <class Scalar>
double ReducedProblem<Scalar>::loss_terms() const {
  if (std::isnan(loss_terms_)) {
    double terms[1] = {curvature_weight_ > 0 ? shard_->loss_terms() : 0.0};
    communicator_.sum(std::span<double>(terms));
    loss_terms_ = terms[0];
  }
  return loss_terms_;
}

template <class Scalar>
Rng ReducedProblem<Scalar>::rank_stream(Rng& rng) {
  const std::uint64_t seed = rng.next_u64();  // on every rank alike
  return Rng(seed + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(communicator_.rank() + 1));
}

template class ReducedProblem<float>;
template class ReducedProblem<double>;

}  // namespace curvopt

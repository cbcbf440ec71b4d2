#include "curvopt/problem/reduced_problem.h"

#include <algorithm>
#include <cmath>
#include <numeric>
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
const InterleavedRows& ReducedProblem<Scalar>::residual_rows(const char* who) const {
  if (residual_blocks_ == 0)
    throw Error(std::string(who) + " over " + std::to_string(communicator_.size()) +
                " processes: rank " + std::to_string(communicator_.rank()) +
                " has held none of the batch's examples yet and cannot know its rows; use "
                "batches of at least as many examples as processes");
  const Index mine = residual_rows_.rows(communicator_.rank());
  if (curvature_weight_ > 0 && shard_->num_residuals() != mine)
    throw ShapeError(std::string(who) + ": rank " + std::to_string(communicator_.rank()) +
                     "'s shard has " + std::to_string(shard_->num_residuals()) +
                     " residuals, its share of the curvature examples " + std::to_string(mine) +
                     " (are the examples dealt to the ranks in turn?)");
  return residual_rows_;
}

template <class Scalar>
Index ReducedProblem<Scalar>::num_residuals() const {
  if (!oracles_.contains(Oracle::kResiduals) && !oracles_.contains(Oracle::kJacobian) &&
      !oracles_.contains(Oracle::kJvp))
    return 0;
  return residual_rows("ReducedProblem::num_residuals").total();
}

template <class Scalar>
void ReducedProblem<Scalar>::residuals(ConstVectorRef<Scalar> params, VectorRef<Scalar> r) {
  this->require(Oracle::kResiduals, "ReducedProblem::residuals");
  const InterleavedRows& rows = residual_rows("ReducedProblem::residuals");
  local_.resize(rows.rows(communicator_.rank()));
  if (local_.size() > 0) {
    shard_->residuals(params, local_);
    local_ *= static_cast<Scalar>(std::sqrt(curvature_weight_));
  }
  rows.gather(communicator_, local_, r, gathered_);
}

template <class Scalar>
void ReducedProblem<Scalar>::jvp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                                 VectorRef<Scalar> out) {
  this->require(Oracle::kJvp, "ReducedProblem::jvp");
  const InterleavedRows& rows = residual_rows("ReducedProblem::jvp");
  local_.resize(rows.rows(communicator_.rank()));
  if (local_.size() > 0) {
    shard_->jvp(params, v, local_);
    local_ *= static_cast<Scalar>(std::sqrt(curvature_weight_));
  }
  rows.gather(communicator_, local_, out, gathered_);
}

template <class Scalar>
void ReducedProblem<Scalar>::vjp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> u,
                                 VectorRef<Scalar> out) {
  this->require(Oracle::kVjp, "ReducedProblem::vjp");
  const InterleavedRows& rows = residual_rows("ReducedProblem::vjp");
  local_.resize(rows.rows(communicator_.rank()));
  if (local_.size() > 0) {
    rows.take(communicator_.rank(), u, local_);
    shard_->vjp(params, local_, out);
  }
  reduce(out, local_.size() > 0 ? std::sqrt(curvature_weight_) : 0.0);
}

template <class Scalar>
void ReducedProblem<Scalar>::gather_jacobian(ConstVectorRef<Scalar> params, MatrixRef<Scalar> out) {
  const InterleavedRows& rows = residual_rows("ReducedProblem::jacobian");
  local_rows_.resize(rows.rows(communicator_.rank()), num_parameters_);
  if (local_rows_.rows() > 0) {
    shard_->jacobian(params, local_rows_);
    local_rows_ *= static_cast<Scalar>(std::sqrt(curvature_weight_));
  }
  rows.gather_rows(communicator_, local_rows_, out, gathered_);
}

template <class Scalar>
void ReducedProblem<Scalar>::jacobian(ConstVectorRef<Scalar> params, MatrixRef<Scalar> J) {
  this->require(Oracle::kJacobian, "ReducedProblem::jacobian");
  gather_jacobian(params, J);
}

template <class Scalar>
void ReducedProblem<Scalar>::gram(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) {
  this->require(Oracle::kGram, "ReducedProblem::gram");
  const Index m = num_residuals();
  if (G.rows() != m || G.cols() != m)
    throw ShapeError("ReducedProblem::gram: G is " + std::to_string(G.rows()) + " x " +
                     std::to_string(G.cols()) + ", the problem has " + std::to_string(m) +
                     " residuals");
  const int k = communicator_.size(), r = communicator_.rank();
  if (k == 1 && shard_ && shard_->oracles().contains(Oracle::kGram)) {
    // One rank: the shard's own Gram (Dense layers give it without forming J).
    shard_->gram(params, G);
    G *= static_cast<Scalar>(curvature_weight_);
    return;
  }
  const Index c = curvature_rows_.examples();
  if (shard_oracles_.contains(Oracle::kGramFactors) && c >= k) {
    // Every rank holds curvature examples (c ≥ K): gather each layer's inputs (one column per
    // example) and row cotangents (one per residual, scaled as the rows are), then the shard's
    // identities on the whole batch's factors.
    const InterleavedRows& rows = residual_rows("ReducedProblem::gram");
    shard_->gram_factors(params, local_factors_);
    whole_factors_.resize(local_factors_.size());
    const auto root_w = static_cast<Scalar>(std::sqrt(curvature_weight_));
    for (std::size_t i = 0; i + 1 < local_factors_.size(); i += 2) {
      Matrix<Scalar>& inputs = local_factors_[i];
      Matrix<Scalar>& cotangents = local_factors_[i + 1];
      cotangents *= root_w;
      whole_factors_[i].resize(inputs.rows(), c);
      whole_factors_[i + 1].resize(cotangents.rows(), m);
      curvature_rows_.gather_columns(communicator_, inputs, whole_factors_[i], gathered_);
      rows.gather_columns(communicator_, cotangents, whole_factors_[i + 1], gathered_);
    }
    shard_->gram_from_factors(whole_factors_, G);
    return;
  }
  // JJᵀ = Σ_r J_{:,c_r} J_{:,c_r}ᵀ over 1/K of the columns each: the work splits, then the
  // lower triangles are summed and mirrored.
  if (whole_jacobian_.rows() != m || whole_jacobian_.cols() != num_parameters_)
    whole_jacobian_.resize(m, num_parameters_);
  gather_jacobian(params, whole_jacobian_);
  const Index begin = num_parameters_ * r / k, end = num_parameters_ * (r + 1) / k;
  G.template triangularView<Eigen::Lower>().setZero();
  if (end > begin)
    G.template selfadjointView<Eigen::Lower>().rankUpdate(
        whole_jacobian_.middleCols(begin, end - begin));  // BLAS syrk
  // Pack the lower triangle by columns, sum, unpack and mirror.
  lower_.resize(m * (m + 1) / 2);
  for (Index j = 0, at = 0; j < m; at += m - j, ++j)
    lower_.segment(at, m - j) = G.col(j).tail(m - j);
  communicator_.sum(as_span(lower_.data(), lower_.size()));
  for (Index j = 0, at = 0; j < m; at += m - j, ++j)
    G.col(j).tail(m - j) = lower_.segment(at, m - j);
  G.template triangularView<Eigen::StrictlyUpper>() = G.transpose();
}

template <class Scalar>
void ReducedProblem<Scalar>::per_example_gradients(ConstVectorRef<Scalar> params,
                                                   MatrixRef<Scalar> G) {
  this->require(Oracle::kPerExampleGradients, "ReducedProblem::per_example_gradients");
  local_rows_.resize(example_rows_.rows(communicator_.rank()), num_parameters_);
  if (local_rows_.rows() > 0) {
    shard_->per_example_gradients(params, local_rows_);
    local_rows_ *= static_cast<Scalar>(batch_weight_);  // rows that sum to the shard's ∇f_r
  }
  example_rows_.gather_rows(communicator_, local_rows_, G, gathered_);
}

template <class Scalar>
void ReducedProblem<Scalar>::per_example_losses(ConstVectorRef<Scalar> params,
                                                VectorRef<Scalar> out) {
  this->require(Oracle::kPerExampleGradients, "ReducedProblem::per_example_losses");
  local_.resize(example_rows_.rows(communicator_.rank()));
  if (local_.size() > 0) {
    shard_->per_example_losses(params, local_);
    local_ *= static_cast<Scalar>(batch_weight_);
  }
  example_rows_.gather(communicator_, local_, out, gathered_);
}

template <class Scalar>
Rng ReducedProblem<Scalar>::rank_stream(Rng& rng) {
  const std::uint64_t seed = rng.next_u64();  // on every rank alike
  return Rng(seed + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(communicator_.rank() + 1));
}

template <class Scalar>
void ReducedProblem<Scalar>::sampled_gauss_newton_rows(ConstVectorRef<Scalar> params, Rng& rng,
                                                       MatrixRef<Scalar> rows) {
  this->require(Oracle::kSampledGaussNewton, "ReducedProblem::sampled_gauss_newton_rows");
  Rng own = rank_stream(rng);
  local_rows_.resize(curvature_rows_.rows(communicator_.rank()), num_parameters_);
  if (local_rows_.rows() > 0) {
    shard_->sampled_gauss_newton_rows(params, own, local_rows_);
    local_rows_ *= static_cast<Scalar>(std::sqrt(curvature_weight_));
  }
  curvature_rows_.gather_rows(communicator_, local_rows_, rows, gathered_);
}

template <class Scalar>
bool ReducedProblem<Scalar>::share_work(SharedWork& work) {
  const int k = communicator_.size(), me = communicator_.rank();
  if (k == 1) return Problem<Scalar>::share_work(work);
  const Index tasks = work.num_tasks();
  const int parts = work.num_outputs();
  // Longest processing time first: a deterministic, near-balanced split (every rank computes it
  // alike from the same costs).
  task_order_.resize(static_cast<std::size_t>(tasks));
  std::iota(task_order_.begin(), task_order_.end(), Index(0));
  std::stable_sort(task_order_.begin(), task_order_.end(),
                   [&](Index a, Index b) { return work.cost(a) > work.cost(b); });
  rank_load_.assign(static_cast<std::size_t>(k), 0.0);
  task_owner_.resize(static_cast<std::size_t>(tasks));
  for (Index t : task_order_) {
    const auto least = std::min_element(rank_load_.begin(), rank_load_.end()) - rank_load_.begin();
    task_owner_[static_cast<std::size_t>(t)] = static_cast<int>(least);
    rank_load_[static_cast<std::size_t>(least)] += work.cost(t);
  }
  // Per task: a success flag, then its outputs; each rank's tasks in task order.
  auto task_size = [&](Index t) {
    std::size_t size = 1;
    for (int p = 0; p < parts; ++p) size += work.output(t, p).size();
    return size;
  };
  result_counts_.assign(static_cast<std::size_t>(k), 0);
  for (Index t = 0; t < tasks; ++t)
    result_counts_[static_cast<std::size_t>(task_owner_[static_cast<std::size_t>(t)])] +=
        static_cast<std::int64_t>(task_size(t));
  own_results_.clear();
  for (Index t = 0; t < tasks; ++t) {
    if (task_owner_[static_cast<std::size_t>(t)] != me) continue;
    const bool ok = work.run(t);
    own_results_.push_back(ok ? 1.0 : 0.0);
    for (int p = 0; p < parts; ++p) {
      const std::span<double> out = work.output(t, p);
      own_results_.insert(own_results_.end(), out.begin(), out.end());
    }
  }
  std::int64_t total = 0;
  for (std::int64_t c : result_counts_) total += c;
  all_results_.resize(static_cast<std::size_t>(total));
  communicator_.gather(std::span<const double>(own_results_), result_counts_,
                       std::span<double>(all_results_));
  bool all_ok = true;
  std::size_t at = 0;
  for (int r = 0; r < k; ++r)
    for (Index t = 0; t < tasks; ++t) {
      if (task_owner_[static_cast<std::size_t>(t)] != r) continue;
      all_ok = all_results_[at++] != 0.0 && all_ok;
      for (int p = 0; p < parts; ++p) {
        const std::span<double> out = work.output(t, p);
        if (r != me)
          std::copy_n(all_results_.begin() + static_cast<std::ptrdiff_t>(at), out.size(),
                      out.begin());
        at += out.size();
      }
    }
  return all_ok;
}

template class ReducedProblem<float>;
template class ReducedProblem<double>;

}  // namespace curvopt

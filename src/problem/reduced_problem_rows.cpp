// The oracles of ReducedProblem whose rows live on one rank each — gathered in the whole
// batch's row order (InterleavedRows) — the data-space Gram, and shared work. The sums are in
// reduced_problem.cpp.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <span>
#include <string>

#include "curvopt/core/errors.h"
#include "curvopt/problem/reduced_problem.h"

namespace curvopt {

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
template <class Fill>
void ReducedProblem<Scalar>::gather_scaled(const InterleavedRows& layout, double scale,
                                           VectorRef<Scalar> out, Fill fill) {
  local_.resize(layout.rows(communicator_.rank()));
  if (local_.size() > 0) {
    fill(local_);
    local_ *= static_cast<Scalar>(scale);
  }
  layout.gather(communicator_, local_, out, gathered_);
}

template <class Scalar>
template <class Fill>
void ReducedProblem<Scalar>::gather_scaled_rows(const InterleavedRows& layout, double scale,
                                                MatrixRef<Scalar> out, Fill fill) {
  local_rows_.resize(layout.rows(communicator_.rank()), num_parameters_);
  if (local_rows_.rows() > 0) {
    fill(local_rows_);
    local_rows_ *= static_cast<Scalar>(scale);
  }
  layout.gather_rows(communicator_, local_rows_, out, gathered_);
}

template <class Scalar>
void ReducedProblem<Scalar>::residuals(ConstVectorRef<Scalar> params, VectorRef<Scalar> r) {
  this->require(Oracle::kResiduals, "ReducedProblem::residuals");
  gather_scaled(residual_rows("ReducedProblem::residuals"), std::sqrt(curvature_weight_), r,
                [&](VectorRef<Scalar> mine) { shard_->residuals(params, mine); });
}

template <class Scalar>
void ReducedProblem<Scalar>::jvp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                                 VectorRef<Scalar> out) {
  this->require(Oracle::kJvp, "ReducedProblem::jvp");
  gather_scaled(residual_rows("ReducedProblem::jvp"), std::sqrt(curvature_weight_), out,
                [&](VectorRef<Scalar> mine) { shard_->jvp(params, v, mine); });
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
  gather_scaled_rows(residual_rows("ReducedProblem::jacobian"), std::sqrt(curvature_weight_), out,
                     [&](MatrixRef<Scalar> mine) { shard_->jacobian(params, mine); });
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
  communicator_.sum(std::span<Scalar>(lower_.data(), static_cast<std::size_t>(lower_.size())));
  for (Index j = 0, at = 0; j < m; at += m - j, ++j)
    G.col(j).tail(m - j) = lower_.segment(at, m - j);
  G.template triangularView<Eigen::StrictlyUpper>() = G.transpose();
}

template <class Scalar>
void ReducedProblem<Scalar>::per_example_gradients(ConstVectorRef<Scalar> params,
                                                   MatrixRef<Scalar> G) {
  this->require(Oracle::kPerExampleGradients, "ReducedProblem::per_example_gradients");
  // Rows that sum to the shard's share of ∇f.
  gather_scaled_rows(example_rows_, batch_weight_, G,
                     [&](MatrixRef<Scalar> mine) { shard_->per_example_gradients(params, mine); });
}

template <class Scalar>
void ReducedProblem<Scalar>::per_example_losses(ConstVectorRef<Scalar> params,
                                                VectorRef<Scalar> out) {
  this->require(Oracle::kPerExampleGradients, "ReducedProblem::per_example_losses");
  gather_scaled(example_rows_, batch_weight_, out,
                [&](VectorRef<Scalar> mine) { shard_->per_example_losses(params, mine); });
}

template <class Scalar>
void ReducedProblem<Scalar>::sampled_gauss_newton_rows(ConstVectorRef<Scalar> params, Rng& rng,
                                                       MatrixRef<Scalar> rows) {
  this->require(Oracle::kSampledGaussNewton, "ReducedProblem::sampled_gauss_newton_rows");
  Rng own = rank_stream(rng);
  gather_scaled_rows(
      curvature_rows_, std::sqrt(curvature_weight_), rows,
      [&](MatrixRef<Scalar> mine) { shard_->sampled_gauss_newton_rows(params, own, mine); });
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

// The class itself is instantiated in reduced_problem.cpp; these are its members defined here.
#define CURVOPT_REDUCED_PROBLEM_ROWS(S)                                                     \
  template const InterleavedRows& ReducedProblem<S>::residual_rows(const char*) const;      \
  template Index ReducedProblem<S>::num_residuals() const;                                  \
  template void ReducedProblem<S>::residuals(ConstVectorRef<S>, VectorRef<S>);              \
  template void ReducedProblem<S>::jvp(ConstVectorRef<S>, ConstVectorRef<S>, VectorRef<S>); \
  template void ReducedProblem<S>::vjp(ConstVectorRef<S>, ConstVectorRef<S>, VectorRef<S>); \
  template void ReducedProblem<S>::gather_jacobian(ConstVectorRef<S>, MatrixRef<S>);        \
  template void ReducedProblem<S>::jacobian(ConstVectorRef<S>, MatrixRef<S>);               \
  template void ReducedProblem<S>::gram(ConstVectorRef<S>, MatrixRef<S>);                   \
  template void ReducedProblem<S>::per_example_gradients(ConstVectorRef<S>, MatrixRef<S>);  \
  template void ReducedProblem<S>::per_example_losses(ConstVectorRef<S>, VectorRef<S>);     \
  template void ReducedProblem<S>::sampled_gauss_newton_rows(ConstVectorRef<S>, Rng&,       \
                                                             MatrixRef<S>);                 \
  template bool ReducedProblem<S>::share_work(SharedWork&);
CURVOPT_REDUCED_PROBLEM_ROWS(float)
CURVOPT_REDUCED_PROBLEM_ROWS(double)
#undef CURVOPT_REDUCED_PROBLEM_ROWS

}  // namespace curvopt

#pragma once
/// A problem whose batch is split over the ranks of a Communicator: every oracle that is a sum
/// over examples is evaluated on this rank's share and summed over the ranks, and every oracle
/// with a row per example or residual gathered, so that the optimizer on each rank sees the
/// whole batch's function (data parallelism).

#include <cstdint>
#include <limits>
#include <vector>

#include "curvopt/core/communicator.h"
#include "curvopt/problem/interleaved_rows.h"
#include "curvopt/problem/problem.h"

namespace curvopt {

/// The factors w_r of one shard's contributions.
struct ShardWeights {
  double batch = 1;      ///< value and gradient
  double curvature = 1;  ///< curvature products and JᵀJ (0: the shard holds no curvature example,
                         ///< is not asked, and adds zeros)
  double fisher_diagonal = 1;  ///< the empirical Fisher diagonal b·Σₛ gₛ⊙gₛ
};

/// The whole batch's function, from this rank's share of it. Each rank holds a problem over its
/// own examples (the shard); an oracle of the reduced problem is Σ_r w_r·(oracle of shard r),
/// summed in rank order (Communicator::sum), with w_r the shard's share of the batch for a mean
/// loss (1 for a sum) and, for the curvature oracles, its share of the curvature batch. The
/// results are bit-identical on every rank.
///
/// Summed: value, gradient, Gauss-Newton and Hessian products (single and multi-column, with
/// structural damping), the Gauss-Newton matrix JᵀJ, the empirical Fisher diagonal (Martens'
/// preconditioner), vjp, and K-FAC's factors, whichever of them the shards provide.
/// Gathered (Communicator::gather; the examples must be dealt to the ranks in turn, as
/// ShardedTrainingProblem binds them, see InterleavedRows): the per-residual and per-example
/// oracles — residuals, J, jvp, per-example gradients and losses, sampled Gauss-Newton rows —
/// whose rows live on one rank each; each row is scaled by √w_r (residual rows, so that
/// ½‖r‖² = Σ_r w_r f_r) or w_r (per-example rows, which sum to the gradient) and put where a
/// single process holding the whole batch puts it. The Gram JJᵀ is not a sum over ranks: it is
/// formed from the gathered J, each rank taking 1/K of its columns, JJᵀ = Σ_r J_{:,c_r}J_{:,c_r}ᵀ,
/// and the lower triangle summed. So every Levenberg-Marquardt form (parameter space from the
/// summed JᵀJ, data space from the gathered J, matrix-free CG from summed products) follows the
/// single process's.
/// Each sum sends 2·(K − 1)/K of its output per rank, each gather (K − 1)·(this rank's rows).
/// @tparam Scalar float or double
template <class Scalar>
class ReducedProblem final : public Problem<Scalar> {
 public:
  /// `shard_oracles`: what the shards provide (the same on every rank). The communicator is
  /// kept and must outlive this.
  ReducedProblem(Communicator& communicator, Index num_parameters, OracleSet shard_oracles);

  /// This rank's share of the batch bound next: `shard` over its examples (nullptr when the rank
  /// holds none of them; it then adds zeros), its weights, the whole batch's example count, and
  /// how many of the batch's first examples the curvature oracles use (0: all). Rank r's shard
  /// must hold the examples at positions r, r + K, … (and its curvature oracles those of them
  /// among the first `curvature_examples`) for the gathered oracles to be the whole batch's.
  /// Starts a new data version.
  void set_shard(Problem<Scalar>* shard, const ShardWeights& weights, Index batch_examples,
                 Index curvature_examples = 0);

  Index num_parameters() const override { return num_parameters_; }
  OracleSet oracles() const override { return oracles_; }
  /// Examples in the whole batch.
  Index batch_size() const override { return batch_examples_; }

  Scalar value(ConstVectorRef<Scalar> params) override;
  Scalar gradient(ConstVectorRef<Scalar> params, VectorRef<Scalar> grad) override;
  /// Rows of the curvature examples: the blocks of the shards (a network: one per output) times
  /// the curvature examples of the whole batch. Throws Error on a rank that never held an
  /// example (it cannot know the blocks).
  Index num_residuals() const override;
  void residuals(ConstVectorRef<Scalar> params, VectorRef<Scalar> r) override;
  void jacobian(ConstVectorRef<Scalar> params, MatrixRef<Scalar> J) override;
  void jvp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v, VectorRef<Scalar> out) override;
  void vjp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> u, VectorRef<Scalar> out) override;
  /// JJᵀ (m × m, both triangles). When the shards' layers all have cheap Gram identities (Dense,
  /// Embedding: the kGramFactors oracle) and every rank holds curvature examples, from the
  /// gathered layer inputs and row cotangents (Σ_layers (d_in + d_out) values per row instead of
  /// n), by the shard's identities on every rank; otherwise from the gathered J, each rank taking
  /// 1/K of its columns, and an m(m + 1)/2 sum. The shard's own Gram oracle on one rank.
  void gram(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) override;
  void per_example_gradients(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) override;
  void per_example_losses(ConstVectorRef<Scalar> params, VectorRef<Scalar> out) override;
  Index num_sampled_gauss_newton_rows() const override { return curvature_rows_.examples(); }
  /// Each rank draws its rows from its own stream, seeded by one draw of `rng` that every rank
  /// makes alike (as kfac_statistics does).
  void sampled_gauss_newton_rows(ConstVectorRef<Scalar> params, Rng& rng,
                                 MatrixRef<Scalar> rows) override;
  void ggn_vector_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                          VectorRef<Scalar> out) override;
  void hessian_vector_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                              VectorRef<Scalar> out) override;
  void structurally_damped_ggn_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                                       Scalar weight, VectorRef<Scalar> out) override;
  void hessian_matrix_product(ConstVectorRef<Scalar> params, ConstMatrixRef<Scalar> V,
                              MatrixRef<Scalar> out) override;
  void ggn_matrix_product(ConstVectorRef<Scalar> params, ConstMatrixRef<Scalar> V,
                          MatrixRef<Scalar> out) override;
  void gauss_newton_matrix(ConstVectorRef<Scalar> params, MatrixRef<Scalar> JtJ) override;
  void empirical_fisher_diagonal(ConstVectorRef<Scalar> params, VectorRef<Scalar> out) override;
  /// Every layer's A, G (and EKFAC scaling) summed with the curvature weights, in one sum.
  /// Sampled targets: each rank draws its examples' from its own stream, seeded by one draw of
  /// `rng` that every rank makes alike (so `rng` stays in step everywhere). Throws Error on a
  /// rank that holds none of the batch's examples (it would not know the factors' shapes): give
  /// K-FAC batches of at least as many examples as ranks.
  void kfac_statistics(ConstVectorRef<Scalar> params, KfacTargets targets, Rng& rng,
                       std::vector<KfacFactors<Scalar>>& out) override;
  /// Each task on one rank — the longest first, each to the rank with the least work so far —
  /// then one gather of every output (and of whether each task succeeded) to every rank.
  bool share_work(SharedWork& work) override;
  /// Σ over the ranks of the shards' loss terms (one sum per batch, on first use).
  double loss_terms() const override;

 private:
  /// out ← Σ_r weight_r·out_r: scales this rank's contribution and sums over the ranks; out is
  /// summed through a contiguous copy when it has an outer stride.
  void reduce(MatrixRef<Scalar> out, double weight);
  void reduce(VectorRef<Scalar> out, double weight);
  /// The residual layout, checking that this rank's shard has the rows it says.
  const InterleavedRows& residual_rows(const char* who) const;
  /// out ← this rank's values from fill(local) (not called on a rank that holds none of
  /// `layout`'s rows) times `scale`, gathered in the whole batch's order: the shape of every
  /// gathered oracle. The row form fills rows of n values (J, per-example gradients).
  template <class Fill>
  void gather_scaled(const InterleavedRows& layout, double scale, VectorRef<Scalar> out, Fill fill);
  template <class Fill>
  void gather_scaled_rows(const InterleavedRows& layout, double scale, MatrixRef<Scalar> out,
                          Fill fill);
  /// out ← J of the whole curvature batch (the gathered, scaled rows).
  void gather_jacobian(ConstVectorRef<Scalar> params, MatrixRef<Scalar> out);
  /// The seed of this rank's own stream for sampled quantities, from one draw of `rng`.
  Rng rank_stream(Rng& rng);

  Communicator& communicator_;
  Index num_parameters_;
  OracleSet oracles_;
  Problem<Scalar>* shard_ = nullptr;
  double batch_weight_ = 0, curvature_weight_ = 0, fisher_weight_ = 0;
  Index batch_examples_ = 0;
  OracleSet shard_oracles_;
  std::vector<Matrix<Scalar>> local_factors_, whole_factors_;  // gram(): the layers' factors
  Index residual_blocks_ = 0;  // the shards' rows per example (0: not known yet on this rank)
  InterleavedRows residual_rows_, curvature_rows_, example_rows_;
  Vector<Scalar> local_;           // this rank's residuals or per-example values
  Matrix<Scalar> local_rows_;      // this rank's rows of J or of per-example gradients
  Matrix<Scalar> whole_jacobian_;  // the gathered J, for the Gram
  std::vector<Scalar> gathered_;   // gather scratch
  std::vector<Index> task_order_;  // share_work: tasks by decreasing cost
  std::vector<int> task_owner_;
  std::vector<double> rank_load_, own_results_, all_results_;
  std::vector<std::int64_t> result_counts_;
  Vector<Scalar> value_and_gradient_;  // [∇f; f]: both in one sum
  Matrix<Scalar> strided_;             // contiguous copy of a strided output
  Vector<Scalar> lower_;               // the lower triangle of JᵀJ, packed by columns
  Vector<Scalar> factors_;             // every layer's K-FAC factors, packed
  mutable double loss_terms_ = std::numeric_limits<double>::quiet_NaN();
};

extern template class ReducedProblem<float>;
extern template class ReducedProblem<double>;

}  // namespace curvopt

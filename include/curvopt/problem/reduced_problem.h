#pragma once
/// A problem whose batch is split over the ranks of a Communicator: every oracle that is a sum
/// over examples is evaluated on this rank's share and summed over the ranks, so that the
/// optimizer on each rank sees the whole batch's function (data parallelism).

#include <cstdint>
#include <limits>

#include "curvopt/core/communicator.h"
#include "curvopt/problem/problem.h"

namespace curvopt {

/// The whole batch's function, from this rank's share of it. Each rank holds a problem over its
/// own examples (the shard); an oracle of the reduced problem is Σ_r w_r·(oracle of shard r),
/// summed in rank order (Communicator::sum), with w_r the shard's share of the batch for a mean
/// loss (1 for a sum) and, for the curvature oracles, its share of the curvature batch. The
/// results are bit-identical on every rank.
///
/// Offered: value, gradient, Gauss-Newton and Hessian products (single and multi-column, with
/// structural damping), the Gauss-Newton matrix JᵀJ and the empirical Fisher diagonal (Martens'
/// preconditioner), whichever of them the shards provide.
/// K-FAC's factors are means over examples too, and offered. Not offered: the per-example and
/// per-residual oracles (residuals, J, jvp, vjp, the Gram JJᵀ, per-example gradients, sampled
/// Gauss-Newton rows), whose rows live on one rank each and are not sums: Levenberg-Marquardt
/// then takes its parameter-space form from JᵀJ.
/// Each call sends 2·(K − 1)/K of its output per rank (one sum), K ranks.
/// @tparam Scalar float or double
/// The factors w_r of one shard's contributions.
struct ShardWeights {
  double batch = 1;      ///< value and gradient
  double curvature = 1;  ///< curvature products and JᵀJ (0: the shard holds no curvature example,
                         ///< is not asked, and adds zeros)
  double fisher_diagonal = 1;  ///< the empirical Fisher diagonal b·Σₛ gₛ⊙gₛ
};

template <class Scalar>
class ReducedProblem final : public Problem<Scalar> {
 public:
  /// `shard_oracles`: what the shards provide (the same on every rank). The communicator is
  /// kept and must outlive this.
  ReducedProblem(Communicator& communicator, Index num_parameters, OracleSet shard_oracles);

  /// This rank's share of the batch bound next: `shard` over its examples (nullptr when the rank
  /// holds none of them; it then adds zeros), its weights, and the whole batch's example count.
  /// Starts a new data version.
  void set_shard(Problem<Scalar>* shard, const ShardWeights& weights, Index batch_examples);

  Index num_parameters() const override { return num_parameters_; }
  OracleSet oracles() const override { return oracles_; }
  /// Examples in the whole batch.
  Index batch_size() const override { return batch_examples_; }

  Scalar value(ConstVectorRef<Scalar> params) override;
  Scalar gradient(ConstVectorRef<Scalar> params, VectorRef<Scalar> grad) override;
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
  /// Σ over the ranks of the shards' loss terms (one sum per batch, on first use).
  double loss_terms() const override;

 private:
  /// out ← Σ_r weight_r·out_r: scales this rank's contribution and sums over the ranks; out is
  /// summed through a contiguous copy when it has an outer stride.
  void reduce(MatrixRef<Scalar> out, double weight);
  void reduce(VectorRef<Scalar> out, double weight);

  Communicator& communicator_;
  Index num_parameters_;
  OracleSet oracles_;
  Problem<Scalar>* shard_ = nullptr;
  double batch_weight_ = 0, curvature_weight_ = 0, fisher_weight_ = 0;
  Index batch_examples_ = 0;
  Vector<Scalar> value_and_gradient_;  // [∇f; f]: both in one sum
  Matrix<Scalar> strided_;             // contiguous copy of a strided output
  Vector<Scalar> lower_;               // the lower triangle of JᵀJ, packed by columns
  Vector<Scalar> factors_;             // every layer's K-FAC factors, packed
  mutable double loss_terms_ = std::numeric_limits<double>::quiet_NaN();
};

extern template class ReducedProblem<float>;
extern template class ReducedProblem<double>;

}  // namespace curvopt

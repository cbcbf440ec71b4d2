#pragma once
/// The function an optimizer minimizes, seen only through its oracles.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "curvopt/core/random.h"
#include "curvopt/core/types.h"
#include "curvopt/nn/layer.h"

namespace curvopt {

/// Independent tasks that every rank of a data-parallel run would otherwise repeat on identical
/// inputs (K-FAC's damped factor inverses): Problem::share_work may run each on one rank and send
/// its outputs to the others. Implemented by the optimizer that owns the work.
class SharedWork {
 public:
  virtual ~SharedWork() = default;
  virtual Index num_tasks() const = 0;
  /// Relative cost of a task (flops), to balance the ranks.
  virtual double cost(Index task) const = 0;
  /// Number of output arrays of every task.
  virtual int num_outputs() const = 0;
  /// Runs a task, writing its outputs; false when it failed (its outputs are then undefined).
  virtual bool run(Index task) = 0;
  /// Output `part` of a task: sized before share_work() is called, the same size on every rank.
  virtual std::span<double> output(Index task, int part) = 0;
};

/// One oracle a problem may provide; an optimizer names the ones it needs.
enum class Oracle : std::uint32_t {
  kValue = 1u << 0,                ///< f(θ)
  kGradient = 1u << 1,             ///< ∇f(θ)
  kResiduals = 1u << 2,            ///< r(θ), with f = ½‖r‖² (or its Gauss-Newton equivalent)
  kJacobian = 1u << 3,             ///< explicit J = ∂r/∂θ
  kJvp = 1u << 4,                  ///< J v
  kVjp = 1u << 5,                  ///< Jᵀ u
  kGram = 1u << 6,                 ///< J Jᵀ
  kGgnProduct = 1u << 7,           ///< JᵀJ v
  kHessianProduct = 1u << 8,       ///< ∇²f v
  kPerExampleGradients = 1u << 9,  ///< ∇f_s for every example s of the batch
  kKfacStatistics = 1u << 10,      ///< per-layer Kronecker factors A and G (K-FAC)
  kGaussNewtonMatrix = 1u << 11,   ///< JᵀJ (n × n) without a Jacobian the caller can see
  kStructuralDamping = 1u << 12,   ///< (JᵀJ + μ·D_S) v, D_S on the hidden states
  kSampledGaussNewton = 1u << 13,  ///< rows R, one per example, with E[RᵀR] = JᵀJ
  /// the empirical Fisher diagonal alone (Problem::empirical_fisher_diagonal), offered without
  /// per-example gradients by a decorator that sums it over processes (a problem with
  /// kPerExampleGradients provides it too, without listing it)
  kEmpiricalFisherDiagonal = 1u << 14,
  /// the Gram's layer factors (every layer's inputs and row cotangents), from which the problem
  /// forms JJᵀ by cheap identities (Dense, Embedding) for rows gathered from several processes
  kGramFactors = 1u << 15,
};

/// Which targets K-FAC's output-side factor is built from (Martens & Grosse 2015).
enum class KfacTargets {
  kSampled,    ///< drawn from the model's predictive distribution: the true Fisher (default)
  kEmpirical,  ///< the data labels: the empirical Fisher
  /// the exact Gauss-Newton matrix of the loss: every column of the per-example factor Q
  /// (QQᵀ = ∂²ℓ/∂z²) back-propagated, no sampling noise, at one backward pass per output
  kExact,
};

/// The name of an oracle as used in messages ("hessian_vector_product").
std::string_view to_string(Oracle oracle);

/// A set of oracles (a bit mask).
class OracleSet {
 public:
  constexpr OracleSet() = default;
  constexpr OracleSet(Oracle o) : bits_(static_cast<std::uint32_t>(o)) {}  // NOLINT: implicit
  constexpr OracleSet operator|(OracleSet o) const { return OracleSet(bits_ | o.bits_); }
  constexpr bool contains(OracleSet o) const { return (bits_ & o.bits_) == o.bits_; }
  constexpr bool empty() const { return bits_ == 0; }
  /// The oracles of `required` missing from this set.
  constexpr OracleSet missing(OracleSet required) const {
    return OracleSet(required.bits_ & ~bits_);
  }
  /// Comma-separated names ("value, gradient").
  std::string to_string() const;

 private:
  constexpr explicit OracleSet(std::uint32_t bits) : bits_(bits) {}
  std::uint32_t bits_ = 0;
};

constexpr OracleSet operator|(Oracle a, Oracle b) { return OracleSet(a) | OracleSet(b); }

/// A differentiable function of a flat parameter vector θ ∈ Rⁿ, evaluated on the data currently
/// bound to it (a batch, for a training objective). Every evaluation an optimizer makes within one
/// step sees the same data, so losses compared inside a step are comparable; data_version() tells
/// an optimizer when the data changed between steps.
///
/// value() and gradient() are required; the residual, curvature and per-example oracles are
/// optional and listed by oracles(). Calling one that is not provided throws curvopt::Error.
/// Outputs are caller-provided; implementations should not allocate after their first call.
/// @tparam Scalar float or double
template <class Scalar>
class Problem {
 public:
  virtual ~Problem() = default;

  /// n.
  virtual Index num_parameters() const = 0;
  /// The oracles this problem provides (always at least value and gradient).
  virtual OracleSet oracles() const { return Oracle::kValue | Oracle::kGradient; }
  /// Changes whenever the data the oracles see changes, and differs between problem objects (a
  /// process-wide counter). Two evaluations with the same version at bit-identical θ give
  /// identical results, so an optimizer may reuse a gradient it has.
  /// Virtual so that a decorator can report the version of the data it forwards to.
  virtual std::uint64_t data_version() const { return data_version_; }

  /// f(θ).
  virtual Scalar value(ConstVectorRef<Scalar> params) = 0;
  /// ∇f(θ) into grad; returns f(θ).
  virtual Scalar gradient(ConstVectorRef<Scalar> params, VectorRef<Scalar> grad) = 0;

  /// m, the length of r (0 when the problem has no residual face).
  virtual Index num_residuals() const { return 0; }
  /// Number of examples the per-example oracle returns rows for (0 when not provided).
  virtual Index batch_size() const { return 0; }
  virtual void residuals(ConstVectorRef<Scalar> params, VectorRef<Scalar> r);
  virtual void jacobian(ConstVectorRef<Scalar> params, MatrixRef<Scalar> J);
  /// J as num_jacobian_blocks() consecutive row blocks of equal height m/B (a network: one
  /// block of b rows per output), so that JᵀJ can be accumulated without holding J. 1 by default.
  virtual Index num_jacobian_blocks() const { return 1; }
  /// Rows [k·m/B, (k+1)·m/B) of J into J_block (part of the jacobian oracle). The default
  /// serves block 0 of 1 through jacobian().
  virtual void jacobian_block(ConstVectorRef<Scalar> params, Index block,
                              MatrixRef<Scalar> J_block);
  virtual void jvp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v, VectorRef<Scalar> out);
  virtual void vjp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> u, VectorRef<Scalar> out);
  virtual void gram(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G);
  virtual void ggn_vector_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                                  VectorRef<Scalar> out);
  virtual void hessian_vector_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                                      VectorRef<Scalar> out);
  /// (G + weight·D_S) v: the Gauss-Newton product plus structural damping (Martens & Sutskever
  /// 2011), where D_S = (1/b)·Σ_h J_hᵀJ_h is the Gauss-Newton matrix of half the mean squared
  /// change of a network's hidden states h (the inputs of every parameterized layer but the
  /// first), in one pass. Hessian-free weights it by μλ, so that damping also keeps the hidden
  /// representation from moving far where the quadratic model does not hold.
  virtual void structurally_damped_ggn_product(ConstVectorRef<Scalar> params,
                                               ConstVectorRef<Scalar> v, Scalar weight,
                                               VectorRef<Scalar> out);
  /// ∇²f V for the k columns of V (n × k) into out (n × k): part of the Hessian-product oracle.
  /// The default makes k single products; a problem overrides it with one multi-column pass
  /// (the batched products the sampled quasi-Newton methods draw their pairs from).
  virtual void hessian_matrix_product(ConstVectorRef<Scalar> params, ConstMatrixRef<Scalar> V,
                                      MatrixRef<Scalar> out);
  /// JᵀJ V for the columns of V: part of the Gauss-Newton-product oracle, as above.
  virtual void ggn_matrix_product(ConstVectorRef<Scalar> params, ConstMatrixRef<Scalar> V,
                                  MatrixRef<Scalar> out);
  virtual void per_example_gradients(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G);
  /// f_s, example s's share of f (Σₛ f_s = f), for the b examples of the batch: part of the
  /// per-example-gradient oracle (one-residual-per-example curvature rows need both).
  virtual void per_example_losses(ConstVectorRef<Scalar> params, VectorRef<Scalar> out);
  /// The diagonal of the empirical Fisher b·Σₛ gₛgₛᵀ (b = batch_size(), gₛ the per-example
  /// gradient rows, Σₛ gₛ = ∇f), that is b·Σₛ gₛ⊙gₛ, into out (length n): part of the
  /// per-example-gradient oracle. For a mean loss it is (1/b)Σₛ∇ℓₛ⊙∇ℓₛ, on the scale of the
  /// loss's Gauss-Newton matrix (the Hessian-free preconditioner of Martens 2010). The default
  /// forms the b × n per-example gradients once into a buffer it keeps; a problem that can sum
  /// the squares without them (layer by layer) overrides it.
  virtual void empirical_fisher_diagonal(ConstVectorRef<Scalar> params, VectorRef<Scalar> out);
  /// JᵀJ (n × n) into the lower triangle of JtJ (the strict upper triangle is left as it is).
  /// Every problem with the jacobian oracle has it: the default accumulates JᵀJ over the
  /// Jacobian's row blocks, one block alive at a time. A problem lists kGaussNewtonMatrix in
  /// oracles() when it provides the matrix otherwise, typically a decorator that reduces it (a
  /// sum over processes, each holding its rows of J); the parameter-space Gauss-Newton descent
  /// then takes JᵀJ from here and products with J never leave it.
  virtual void gauss_newton_matrix(ConstVectorRef<Scalar> params, MatrixRef<Scalar> JtJ);
  /// K-FAC statistics of every layer K-FAC covers, one entry per layer (a network's Dense and
  /// Conv2d layers): an oracle, so that a decorator can provide or reduce them (a distributed
  /// reduction over processes). `rng` draws the sampled targets.
  virtual void kfac_statistics(ConstVectorRef<Scalar> params, KfacTargets targets, Rng& rng,
                               std::vector<KfacFactors<Scalar>>& out);
  /// Rows of the sampled Gauss-Newton oracle: one per example of the curvature batch
  /// (batch_size() by default).
  virtual Index num_sampled_gauss_newton_rows() const { return batch_size(); }
  /// A Monte-Carlo Gauss-Newton factor: rows R (num_sampled_gauss_newton_rows() × n) with
  /// E[RᵀR] = JᵀJ, one random output direction per example where the exact factor J has one
  /// row per output (the sampled Fisher of K-FAC, Martens & Grosse 2015). `rng` draws them.
  virtual void sampled_gauss_newton_rows(ConstVectorRef<Scalar> params, Rng& rng,
                                         MatrixRef<Scalar> rows);
  /// The number of terms the loss averages (1/scale of a mean): examples for softmax
  /// cross-entropy, examples × outputs for squared error. Step lengths that the literature gives
  /// for a sum of squares convert by it (r̂ = √(2/terms)·r). num_residuals() by default.
  virtual double loss_terms() const { return static_cast<double>(num_residuals()); }

  /// Runs every task of `work` and returns whether all succeeded. A data-parallel problem
  /// (ReducedProblem) runs each task on one rank instead and gives every rank its outputs, as
  /// Pauloski et al. (2020) spread K-FAC's inverses; the outputs are bit for bit those of
  /// running the task here, since every rank holds the same inputs.
  virtual bool share_work(SharedWork& work);

  /// The Gram's factors at θ: for every layer with parameters, its inputs X (d_in × b) and its
  /// row cotangents dY (d_out × m, column j of example j mod b), in that order, into `factors`
  /// (resized; its matrices keep their storage). Part of the kGramFactors oracle.
  virtual void gram_factors(ConstVectorRef<Scalar> params, std::vector<Matrix<Scalar>>& factors);
  /// JJᵀ (both triangles) from factors laid out as gram_factors() gives them, for any number of
  /// examples and rows (those of several processes, gathered). Part of the kGramFactors oracle.
  virtual void gram_from_factors(const std::vector<Matrix<Scalar>>& factors, MatrixRef<Scalar> G);

  /// Throws curvopt::Error naming `who` and the missing oracles unless all of `required` are
  /// provided.
  void require(OracleSet required, std::string_view who) const;

 protected:
  /// Implementations call this whenever the data behind the oracles changes.
  void mark_data_changed() { data_version_ = fresh_data_version(); }
  /// Throws ShapeError naming `who` unless V and out are both n × k for the same k.
  void check_matrix_product(const char* who, ConstMatrixRef<Scalar> V, MatrixRef<Scalar> out) const;

 private:
  [[noreturn]] void unsupported(Oracle oracle) const;

  static std::uint64_t fresh_data_version();

  std::uint64_t data_version_ = fresh_data_version();
  Matrix<Scalar> gauss_newton_block_;  // the default gauss_newton_matrix's J or block of J
  /// The default gauss_newton_matrix forms the whole J up to this size (256 MiB).
  static constexpr double kWholeJacobianBytes = 256.0 * 1024 * 1024;
  Matrix<Scalar> per_example_buffer_;  // the default empirical_fisher_diagonal's b × n rows
};

extern template class Problem<float>;
extern template class Problem<double>;

}  // namespace curvopt

#pragma once
/// The Loss interface: a scalar loss of the network outputs in two faces.
///
/// First-order face: value, gradient and Hessian-vector products with respect to the outputs Z
/// (outputs × batch). Least-squares face (the generalized Gauss-Newton form of
/// Schraudolph 2002): a per-example factor Q_s with
/// Q_s Q_sᵀ = ∂²loss/∂z_s² and pseudo-residuals r̂_s with Q_s r̂_s = ∂loss/∂z_s, so that
/// Gauss-Newton on any of these losses is an exact least-squares problem in (Qᵀ J, r̂).
/// For squared error r̂ is the true residual and loss = ½‖r̂‖².
///
/// Reductions: the loss is scale · Σ_examples ℓ(z_s, y_s), where ℓ sums over a sample's outputs;
/// every face already includes the scale.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "curvopt/core/random.h"
#include "curvopt/core/types.h"

namespace curvopt {

enum class Reduction {
  kMean,     ///< mean: over all elements for element-wise losses, over examples for softmax CE
  kSum,      ///< plain sum
  kHalfSum,  ///< ½ · sum (the classic ½‖r‖² of Gauss-Newton)
};

std::string to_string(Reduction reduction);
std::optional<Reduction> parse_reduction(std::string_view name);

template <class Scalar>
class Loss {
 public:
  using ConstRef = ConstMatrixRef<Scalar>;
  using Ref = MatrixRef<Scalar>;

  virtual ~Loss() = default;
  virtual std::string type() const = 0;
  /// A copy with the same options and its own scratch buffers: each batch size a NetworkProblem
  /// trains on gets its own copy, so that a short last batch does not resize the long one's.
  virtual std::unique_ptr<Loss> clone() const = 0;
  /// True when r̂ is a true residual vector (loss = ½‖r̂‖² and J = ∂r̂/∂θ): squared error.
  virtual bool residuals_are_exact() const { return false; }
  Reduction reduction() const { return reduction_; }

  /// Throws ShapeError/ValueError naming the loss when targets Y do not fit outputs of size
  /// `outputs` over `batch` examples, or hold values outside the loss's domain.
  virtual void check_targets(Index outputs, ConstRef Y) const = 0;
  /// The factor applied to Σ ℓ for a batch of b examples with c outputs each.
  virtual Scalar scale(Index b, Index c) const;

  virtual Scalar value(ConstRef Z, ConstRef Y) const = 0;
  /// out(s) = example s's share of value(Z, Y), scale included, so out.sum() = value(Z, Y) (up
  /// to rounding): the per-example losses behind one-residual-per-example curvature rows.
  virtual void example_values(ConstRef Z, ConstRef Y, VectorRef<Scalar> out) const = 0;
  /// dZ = ∂loss/∂Z.
  virtual void gradient(ConstRef Z, ConstRef Y, Ref dZ) const = 0;
  /// HV_s = (∂²loss/∂z_s²) V_s for every example s.
  virtual void hessian_product(ConstRef Z, ConstRef Y, ConstRef V, Ref HV) const = 0;
  /// GV_s = Q_s Q_sᵀ V_s, the Gauss-Newton block of the loss in z. It equals the Hessian for
  /// losses convex in z with exact second derivatives there (squared error, cross-entropies);
  /// losses that are not (softmax + squared error) override it.
  virtual void gauss_newton_product(ConstRef Z, ConstRef Y, ConstRef V, Ref GV) const {
    hessian_product(Z, Y, V, GV);
  }

  /// P = the prediction of the targets from the outputs Z, on the targets' scale (what a
  /// regression metric compares with Y): Z itself by default, σ(Z) for sigmoid cross-entropy.
  virtual void predictions(ConstRef Z, Ref P) const { P = Z; }

  /// Pseudo-residuals r̂ (outputs × batch), Q_s r̂_s = ∂loss/∂z_s.
  virtual void residuals(ConstRef Z, ConstRef Y, Ref R) const = 0;
  /// U(:, s) = Q_s e_k: the output cotangents whose back-propagation gives Jacobian row block k.
  virtual void factor_column(ConstRef Z, Index k, Ref U) const = 0;
  /// Out_s = Q_sᵀ V_s (maps an output tangent J_z v to residual space).
  virtual void factor_transpose_product(ConstRef Z, ConstRef V, Ref Out) const = 0;
  /// Out_s = Q_s U_s (maps residual-space cotangents to output cotangents).
  virtual void factor_product(ConstRef Z, ConstRef U, Ref Out) const = 0;

  /// Draws targets from the model's predictive distribution at Z (K-FAC's sampled Fisher):
  /// Gaussian N(z, I) for squared error, Categorical(softmax z) as one-hot for softmax CE,
  /// Bernoulli(σ(z)) for sigmoid CE. Y is outputs × batch.
  virtual void sample_targets(ConstRef Z, Rng& rng, Ref Y) const = 0;
  /// One random output cotangent per example, U (outputs × batch), with E[U_s U_sᵀ] = Q_s Q_sᵀ,
  /// the loss's Gauss-Newton block (scale included): back-propagated, the b rows U_sᵀ J_s give
  /// an unbiased b-row estimate of the whole GGN, where the exact one needs outputs × b rows.
  /// The default probes the factor with Rademacher signs (U = Q ε, E[εεᵀ] = I); the
  /// cross-entropies override it with the gradient at targets drawn from the predictive
  /// distribution, √scale·(p − y), whose outer product is the Fisher, equal to their GGN.
  virtual void sample_gauss_newton_cotangents(ConstRef Z, Rng& rng, Ref U) const;

 protected:
  explicit Loss(Reduction reduction) : reduction_(reduction) {}
  /// Denominator of kMean for b examples with c outputs.
  virtual Scalar mean_count(Index b, Index c) const = 0;
  /// ShapeError "<type>: <what> is <received>, expected <expected>".
  [[noreturn]] void target_error(const std::string& what, const std::string& received,
                                 const std::string& expected, bool shape) const;
  /// For losses over class scores: accepts Y as a 1 × b row of class labels (integers in
  /// [0, outputs)) and returns true, or checks that Y has one row per output (probability
  /// columns, which the caller then checks) and returns false. Throws naming the example.
  bool check_class_labels(Index outputs, ConstRef Y) const;

 private:
  Reduction reduction_;
  mutable Matrix<Scalar> signs_;  // scratch: the default sampled cotangents' Rademacher probe
};

extern template class Loss<float>;
extern template class Loss<double>;

}  // namespace curvopt

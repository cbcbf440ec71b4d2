#pragma once
/// Nonlinear least squares from a user's own residual functions: the Problem that curve fitting,
/// parameter estimation and ODE fitting hand to any of curvopt's solvers.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/problem/problem.h"
#include "curvopt/problem/residual_block.h"
#include "curvopt/problem/robust_loss.h"

namespace curvopt {

/// f(x) = ½ Σ_b ρ_b(‖r_b(x)‖²) over residual blocks r_b (ρ_b(s) = s without a robust loss), with
/// every oracle a Gauss-Newton solver needs: value, gradient Jᵀr, residuals, the explicit
/// Jacobian, J v, Jᵀu, JJᵀ and JᵀJ v. Blocks see the whole parameter vector x ∈ Rⁿ; a block is
/// typically one data point (`r = y − model(t; x)`) or one equation.
///
/// With a robust loss the residuals and Jacobian the oracles return are the corrected ones of
/// Triggs et al. (2000), r̃ = √ρ′·r/(1 − α) and J̃ = √ρ′(I − α r rᵀ/‖r‖²)J, so that J̃ᵀr̃ is the
/// gradient and J̃ᵀJ̃ the Gauss-Newton matrix of the robust cost; value() is the cost itself.
///
/// A point where a block returns false, or where anything evaluates to NaN/Inf, has value NaN
/// (a solver rejects it) and a NaN gradient (a minimizer leaves θ intact); the Jacobian and
/// product oracles then throw ValueError naming the block.
/// The last point's residuals and Jacobian are kept, so value(), gradient(), jacobian() and the
/// products at one x cost one evaluation of the blocks; so is the last residuals-only point (a
/// solver's trial), with its Jacobian when every block forms that anyway
/// (ResidualBlock::jacobian_comes_with_residuals), so an accepted trial is not evaluated again.
/// Not thread-safe.
class LeastSquaresProblem final : public Problem<double> {
 public:
  /// Throws ConfigError when num_parameters < 1.
  explicit LeastSquaresProblem(Index num_parameters);

  /// A block of `num_residuals` residuals whose Jacobian comes from dual numbers (exact).
  /// Returns the block's index. Throws ConfigError when num_residuals < 1. With the parameter
  /// count as a template argument (`add_residual_block<3>(...)`, as Ceres' AutoDiffCostFunction
  /// takes it) the functor runs once on duals of exactly that width; it must equal n. `mode`
  /// picks forward or reverse mode; the default chooses by the block's shape (reverse for a
  /// block much wider than tall, see AutoDiffResidualBlock).
  template <int kParameters = kDynamicSize, ResidualFunctor Functor>
  Index add_residual_block(Functor functor, Index num_residuals,
                           std::shared_ptr<const RobustLoss> loss = nullptr,
                           AutoDiffMode mode = AutoDiffMode::kAuto) {
    if (kParameters != kDynamicSize && kParameters != n_)
      throw ConfigError("LeastSquaresProblem::add_residual_block<" + std::to_string(kParameters) +
                        ">: the problem has " + std::to_string(n_) + " parameters");
    return add_block(std::make_unique<AutoDiffResidualBlock<Functor, kParameters>>(
                         std::move(functor), num_residuals, mode),
                     std::move(loss));
  }
  /// A block of a functor on doubles, differentiated numerically.
  template <class Functor>
  Index add_numeric_residual_block(Functor functor, Index num_residuals, NumericDifference method,
                                   std::shared_ptr<const RobustLoss> loss = nullptr) {
    return add_block(std::make_unique<NumericDiffResidualBlock<Functor>>(std::move(functor),
                                                                         num_residuals, method),
                     std::move(loss));
  }
  /// A block with the user's own Jacobian.
  Index add_analytic_residual_block(AnalyticResidualFunction function, Index num_residuals,
                                    std::shared_ptr<const RobustLoss> loss = nullptr);
  /// A block writing its Jacobian in place through a JacobianView (no copy).
  Index add_analytic_residual_block(AnalyticJacobianFunction function, Index num_residuals,
                                    std::shared_ptr<const RobustLoss> loss = nullptr);
  /// Any block.
  Index add_block(std::unique_ptr<ResidualBlock> block,
                  std::shared_ptr<const RobustLoss> loss = nullptr);

  Index num_parameters() const override { return n_; }
  Index num_residuals() const override { return m_; }
  Index num_blocks() const { return static_cast<Index>(blocks_.size()); }
  /// The first residual row of block b.
  Index block_offset(Index b) const { return offsets_[static_cast<std::size_t>(b)]; }
  OracleSet oracles() const override;

  double value(ConstVectorRef<double> params) override;
  double gradient(ConstVectorRef<double> params, VectorRef<double> grad) override;
  void residuals(ConstVectorRef<double> params, VectorRef<double> r) override;
  void jacobian(ConstVectorRef<double> params, MatrixRef<double> J) override;
  void jvp(ConstVectorRef<double> params, ConstVectorRef<double> v, VectorRef<double> out) override;
  void vjp(ConstVectorRef<double> params, ConstVectorRef<double> u, VectorRef<double> out) override;
  void gram(ConstVectorRef<double> params, MatrixRef<double> G) override;
  void ggn_vector_product(ConstVectorRef<double> params, ConstVectorRef<double> v,
                          VectorRef<double> out) override;
  void ggn_matrix_product(ConstVectorRef<double> params, ConstMatrixRef<double> V,
                          MatrixRef<double> out) override;
  void gauss_newton_matrix(ConstVectorRef<double> params, MatrixRef<double> JtJ) override;

  /// Evaluations of all blocks without and with their Jacobians since construction (by what was
  /// asked for: a trial whose Jacobian came with it counts as a residual evaluation).
  std::int64_t num_residual_evaluations() const { return num_residual_evaluations_; }
  std::int64_t num_jacobian_evaluations() const { return num_jacobian_evaluations_; }

 private:
  /// Residuals (and cost) at x, with the Jacobian when with_jacobian; into the point cache
  /// (with Jacobian) or the trial cache. Returns false when x is infeasible.
  struct Evaluation {
    Vector<double> x, r;
    Matrix<double> J;  // when has_jacobian
    double cost = 0;
    bool feasible = false;
    bool valid = false;
    bool has_jacobian = false;
    Index failed_block = -1;
  };
  const Evaluation& evaluate(ConstVectorRef<double> params, bool with_jacobian);
  bool evaluate_into(ConstVectorRef<double> params, Evaluation& e, bool with_jacobian);
  /// The point cache at params with its Jacobian; throws ValueError when infeasible.
  const Evaluation& differentiable_point(ConstVectorRef<double> params, const char* who);
  void apply_robust_loss(Index b, Evaluation& e, double& cost, bool with_jacobian);
  void check_params(ConstVectorRef<double> params) const;

  Index n_;
  Index m_ = 0;
  std::vector<std::unique_ptr<ResidualBlock>> blocks_;
  std::vector<std::shared_ptr<const RobustLoss>> losses_;
  std::vector<Index> offsets_;
  Evaluation point_;  // with its Jacobian
  Evaluation trial_;  // residuals only, or with the Jacobian where it comes with them
  bool jacobians_come_with_residuals_ = false;  // every block's does
  Vector<double> rtj_;                          // rᵀJ of one block (robust correction)
  Vector<double> scratch_;
  std::int64_t num_residual_evaluations_ = 0;
  std::int64_t num_jacobian_evaluations_ = 0;
};

}  // namespace curvopt

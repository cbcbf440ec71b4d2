#include "curvopt/problem/least_squares_problem.h"

#include <cmath>
#include <string>
#include <utility>

#include "curvopt/core/errors.h"

namespace curvopt {

LeastSquaresProblem::LeastSquaresProblem(Index num_parameters) : n_(num_parameters) {
  if (num_parameters < 1)
    throw ConfigError("LeastSquaresProblem: num_parameters = " + std::to_string(num_parameters) +
                      ": must be >= 1");
  rtj_.resize(n_);
}

Index LeastSquaresProblem::add_analytic_residual_block(AnalyticResidualFunction function,
                                                       Index num_residuals,
                                                       std::shared_ptr<const RobustLoss> loss) {
  return add_block(std::make_unique<AnalyticResidualBlock>(std::move(function), num_residuals),
                   std::move(loss));
}

Index LeastSquaresProblem::add_analytic_residual_block(AnalyticJacobianFunction function,
                                                       Index num_residuals,
                                                       std::shared_ptr<const RobustLoss> loss) {
  return add_block(std::make_unique<AnalyticResidualBlock>(std::move(function), num_residuals),
                   std::move(loss));
}

Index LeastSquaresProblem::add_block(std::unique_ptr<ResidualBlock> block,
                                     std::shared_ptr<const RobustLoss> loss) {
  if (!block) throw ConfigError("LeastSquaresProblem::add_block: the block is null");
  const Index mb = block->num_residuals();
  if (mb < 1)
    throw ConfigError("LeastSquaresProblem: block " + std::to_string(blocks_.size()) +
                      ": num_residuals = " + std::to_string(mb) + ": must be >= 1");
  offsets_.push_back(m_);
  m_ += mb;
  jacobians_come_with_residuals_ =
      (blocks_.empty() || jacobians_come_with_residuals_) && block->jacobian_comes_with_residuals();
  blocks_.push_back(std::move(block));
  losses_.push_back(std::move(loss));
  point_.valid = trial_.valid = false;
  mark_data_changed();
  return static_cast<Index>(blocks_.size()) - 1;
}

OracleSet LeastSquaresProblem::oracles() const {
  return Oracle::kValue | Oracle::kGradient | Oracle::kResiduals | Oracle::kJacobian |
         Oracle::kJvp | Oracle::kVjp | Oracle::kGram | Oracle::kGgnProduct |
         Oracle::kGaussNewtonMatrix;
}

void LeastSquaresProblem::check_params(ConstVectorRef<double> params) const {
  if (params.size() != n_)
    throw ShapeError("LeastSquaresProblem: parameter vector has " + std::to_string(params.size()) +
                     " entries, the problem " + std::to_string(n_));
  if (m_ == 0) throw ConfigError("LeastSquaresProblem: no residual blocks were added");
}

void LeastSquaresProblem::apply_robust_loss(Index b, Evaluation& e, double& cost,
                                            bool with_jacobian) {
  const Index begin = offsets_[static_cast<std::size_t>(b)];
  const Index mb = blocks_[static_cast<std::size_t>(b)]->num_residuals();
  auto r = e.r.segment(begin, mb);
  const double s = r.squaredNorm();
  const RobustLoss* loss = losses_[static_cast<std::size_t>(b)].get();
  if (loss == nullptr) {
    cost += 0.5 * s;
    return;
  }
  double rho[3];
  loss->evaluate(s, rho);
  cost += 0.5 * rho[0];
  // Triggs et al. (2000): with ρ″ > 0 a rank-one correction makes J̃ᵀJ̃ the exact second-order
  // term of ρ along r; where ρ″ ≤ 0 (every loss here, beyond its knee) that term would make the
  // model indefinite, so only the √ρ′ weight is applied, as Ceres' Corrector does.
  const double sqrt_rho1 = std::sqrt(rho[1]);
  double residual_scale = sqrt_rho1;
  double alpha_over_s = 0;
  if (s > 0 && rho[2] > 0) {
    const double d = 1 + 2 * s * rho[2] / rho[1];
    const double alpha = 1 - std::sqrt(d);
    residual_scale = sqrt_rho1 / (1 - alpha);
    alpha_over_s = alpha / s;
  }
  if (with_jacobian) {
    auto Jb = e.J.middleRows(begin, mb);
    if (alpha_over_s != 0) {
      rtj_.noalias() = Jb.transpose() * r;
      Jb.noalias() -= (alpha_over_s * r) * rtj_.transpose();
    }
    Jb *= sqrt_rho1;
  }
  r *= residual_scale;
}

bool LeastSquaresProblem::evaluate_into(ConstVectorRef<double> params, Evaluation& e,
                                        bool with_jacobian) {
  e.x = params;
  e.r.resize(m_);
  e.valid = true;
  e.failed_block = -1;
  e.has_jacobian = with_jacobian;
  if (with_jacobian) e.J.resize(m_, n_);
  double cost = 0;
  for (std::size_t b = 0; b < blocks_.size(); ++b) {
    const Index begin = offsets_[b];
    JacobianView view;
    if (with_jacobian) view = {e.J.data() + begin, 1, m_};  // the block's rows, column-major
    if (!blocks_[b]->evaluate(e.x.data(), n_, e.r.data() + begin, view)) {
      e.failed_block = static_cast<Index>(b);
      break;
    }
    apply_robust_loss(static_cast<Index>(b), e, cost, with_jacobian);
  }
  e.cost = cost;
  e.feasible = e.failed_block < 0 && std::isfinite(cost) && e.r.allFinite() &&
               (!with_jacobian || e.J.allFinite());
  if (!e.feasible) e.cost = std::numeric_limits<double>::quiet_NaN();
  return e.feasible;
}

const LeastSquaresProblem::Evaluation& LeastSquaresProblem::evaluate(ConstVectorRef<double> params,
                                                                     bool with_jacobian) {
  check_params(params);
  const auto same = [&](const Evaluation& e) {
    return e.valid && e.x.size() == params.size() &&
           std::equal(params.data(), params.data() + n_, e.x.data());
  };
  if (same(point_)) return point_;
  if (same(trial_)) {
    if (!with_jacobian) return trial_;
    if (trial_.has_jacobian) {
      // The accepted trial becomes the point with its Jacobian (buffers swap, nothing is
      // copied); the old point stays cached as the trial.
      std::swap(point_, trial_);
      return point_;
    }
  }
  if (!with_jacobian) {
    ++num_residual_evaluations_;
    // Blocks that form their Jacobian anyway (ODE trajectories) keep it with the trial, so the
    // Jacobian at an accepted trial costs no second evaluation.
    evaluate_into(params, trial_, jacobians_come_with_residuals_);
    return trial_;
  }
  ++num_jacobian_evaluations_;
  evaluate_into(params, point_, true);
  return point_;
}

const LeastSquaresProblem::Evaluation& LeastSquaresProblem::differentiable_point(
    ConstVectorRef<double> params, const char* who) {
  const Evaluation& e = evaluate(params, true);
  if (!e.feasible) {
    std::string why = e.failed_block >= 0
                          ? "residual block " + std::to_string(e.failed_block) + " returned false"
                          : std::string("the residuals or Jacobian are not finite");
    throw ValueError(std::string("LeastSquaresProblem::") + who + ": " + why + " at this point");
  }
  return e;
}

double LeastSquaresProblem::value(ConstVectorRef<double> params) {
  return evaluate(params, false).cost;
}

double LeastSquaresProblem::gradient(ConstVectorRef<double> params, VectorRef<double> grad) {
  const Evaluation& e = evaluate(params, true);
  if (grad.size() != n_) throw ShapeError("LeastSquaresProblem::gradient: wrong output size");
  if (!e.feasible) {
    // A solver checks the value and leaves θ intact; the gradient of an infeasible point is NaN.
    grad.setConstant(std::numeric_limits<double>::quiet_NaN());
    return e.cost;
  }
  grad.noalias() = point_.J.transpose() * e.r;
  return e.cost;
}

void LeastSquaresProblem::residuals(ConstVectorRef<double> params, VectorRef<double> r) {
  const Evaluation& e = evaluate(params, false);
  if (r.size() != m_) throw ShapeError("LeastSquaresProblem::residuals: wrong output size");
  r = e.r;
  if (!e.feasible) r.setConstant(std::numeric_limits<double>::quiet_NaN());
}

void LeastSquaresProblem::jacobian(ConstVectorRef<double> params, MatrixRef<double> J) {
  differentiable_point(params, "jacobian");
  if (J.rows() != m_ || J.cols() != n_)
    throw ShapeError("LeastSquaresProblem::jacobian: output must be " + std::to_string(m_) + " x " +
                     std::to_string(n_));
  J = point_.J;
}

void LeastSquaresProblem::jvp(ConstVectorRef<double> params, ConstVectorRef<double> v,
                              VectorRef<double> out) {
  differentiable_point(params, "jvp");
  out.noalias() = point_.J * v;
}

void LeastSquaresProblem::vjp(ConstVectorRef<double> params, ConstVectorRef<double> u,
                              VectorRef<double> out) {
  differentiable_point(params, "vjp");
  out.noalias() = point_.J.transpose() * u;
}

void LeastSquaresProblem::gram(ConstVectorRef<double> params, MatrixRef<double> G) {
  differentiable_point(params, "gram");
  G.setZero();
  G.selfadjointView<Eigen::Lower>().rankUpdate(point_.J);
  G.template triangularView<Eigen::StrictlyUpper>() = G.transpose();
}

void LeastSquaresProblem::ggn_vector_product(ConstVectorRef<double> params,
                                             ConstVectorRef<double> v, VectorRef<double> out) {
  differentiable_point(params, "ggn_vector_product");
  scratch_.noalias() = point_.J * v;
  out.noalias() = point_.J.transpose() * scratch_;
}

void LeastSquaresProblem::ggn_matrix_product(ConstVectorRef<double> params,
                                             ConstMatrixRef<double> V, MatrixRef<double> out) {
  check_matrix_product("LeastSquaresProblem::ggn_matrix_product", V, out);
  differentiable_point(params, "ggn_matrix_product");
  out.noalias() = point_.J.transpose() * (point_.J * V);
}

void LeastSquaresProblem::gauss_newton_matrix(ConstVectorRef<double> params,
                                              MatrixRef<double> JtJ) {
  differentiable_point(params, "gauss_newton_matrix");
  JtJ.template triangularView<Eigen::Lower>().setZero();
  JtJ.selfadjointView<Eigen::Lower>().rankUpdate(point_.J.transpose());
}

}  // namespace curvopt

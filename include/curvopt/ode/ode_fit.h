#pragma once
/// Fitting an ODE model to observed trajectories: a ResidualBlock whose residuals are model
/// minus data at the observation times and whose Jacobian comes from the forward
/// sensitivities of integrate_with_sensitivities(), so LeastSquaresProblem and solve() fit
/// the parameters (and optionally the initial state) with exact derivatives.

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/core/types.h"
#include "curvopt/ode/dormand_prince.h"
#include "curvopt/ode/ode_system.h"
#include "curvopt/problem/residual_block.h"

namespace curvopt {

/// Where the block's unknowns live in the problem's parameter vector x, and how to integrate.
struct OdeFitOptions {
  OdeOptions ode;  ///< tolerances: keep them well below the data's noise (the defaults are)
  /// Also estimate y₀ (else the initial_state given to the block is held fixed).
  bool estimate_initial_state = false;
  /// θ is x[parameter_offset … parameter_offset + p − 1].
  Index parameter_offset = 0;
  /// y₀ is x[initial_state_offset … + n − 1] when estimated; −1: right after θ. Several blocks
  /// (experiments) can share θ and each have its own y₀ this way.
  Index initial_state_offset = -1;
};

/// A trajectory's observations: values(o, k) of state observed_states[o] at times[k].
struct OdeObservations {
  double t0 = 0;                       ///< the time of the initial state
  Vector<double> times;                ///< T sorted times ≥ t0
  std::vector<Index> observed_states;  ///< q state indices; empty: all n states, in order
  Matrix<double> values;               ///< q × T
  /// q × T standard deviations σ > 0 (residuals are divided by σ); empty for σ = 1. σ = ∞ marks
  /// a missing value (weight 0; the value may then be NaN).
  Matrix<double> sigmas;
};

/// Residuals r(k·q + o) = (y_{s_o}(t_k; θ, y₀) − values(o, k))/σ(o, k), s_o = observed_states[o]:
/// q·T residuals of one trajectory. The parameter vector is [θ, y₀] at the offsets of
/// OdeFitOptions (y₀ only when estimated). The Jacobian rows are S(t_k)(s_o, ·)/σ: the
/// columns n…n+p−1 of the sensitivity matrix for θ and 0…n−1 for y₀; every other column of x
/// is 0. Cost of an evaluation: one integration of the augmented system (see
/// integrate_with_sensitivities), whatever J is wanted or not: residuals-only evaluations also
/// integrate the sensitivities, because the error control covers them and so sets the steps; a
/// states-only integration would take other steps, and residuals that differ (by about the
/// tolerance) between a trial point and the same point with its Jacobian would confuse the
/// solver's cost comparisons.
///
/// evaluate() returns false when the integration fails (the solver rejects the point);
/// last_result() says why. Buffers are sized at construction: evaluations do not allocate.
template <OdeRightHandSide Rhs>
class OdeTrajectoryBlock final : public ResidualBlock {
 public:
  /// Throws ConfigError on invalid options and ShapeError/ValueError on observations that do
  /// not match (sizes, state indices, σ ≤ 0, non-finite values where σ < ∞, unsorted times).
  OdeTrajectoryBlock(Rhs rhs, Index num_states, Index num_parameters, Vector<double> initial_state,
                     OdeObservations data, OdeFitOptions options = {})
      : rhs_(std::move(rhs)),
        n_(num_states),
        p_(num_parameters),
        y0_fixed_(std::move(initial_state)),
        data_(std::move(data)),
        options_(options) {
    const std::string who = "OdeTrajectoryBlock: ";
    // An estimated y₀ comes from x; the block's own is then only a placeholder and may be empty.
    if (options_.estimate_initial_state && y0_fixed_.size() == 0)
      y0_fixed_ = Vector<double>::Zero(n_);
    detail::check_ode_arguments(n_, p_, y0_fixed_.size(), p_, data_.times, data_.t0, options_.ode);
    if (options_.parameter_offset < 0)
      throw ConfigError("OdeFitOptions::parameter_offset = " +
                        std::to_string(options_.parameter_offset) + ": must be >= 0");
    if (options_.initial_state_offset < 0)
      options_.initial_state_offset = options_.parameter_offset + p_;
    if (data_.observed_states.empty())
      for (Index i = 0; i < n_; ++i) data_.observed_states.push_back(i);
    const Index q = static_cast<Index>(data_.observed_states.size());
    const Index T = data_.times.size();
    for (Index s : data_.observed_states)
      if (s < 0 || s >= n_)
        throw ValueError(who + "observed state " + std::to_string(s) + " is not in [0, " +
                         std::to_string(n_) + ")");
    if (data_.values.rows() != q || data_.values.cols() != T)
      throw ShapeError(who + "values must be " + std::to_string(q) + " × " + std::to_string(T));
    if (data_.sigmas.size() == 0) data_.sigmas = Matrix<double>::Ones(q, T);
    if (data_.sigmas.rows() != q || data_.sigmas.cols() != T)
      throw ShapeError(who + "sigmas must be empty or " + std::to_string(q) + " × " +
                       std::to_string(T));
    weights_ = Matrix<double>(q, T);
    for (Index k = 0; k < T; ++k)
      for (Index o = 0; o < q; ++o) {
        const double sigma = data_.sigmas(o, k);
        if (!(sigma > 0))
          throw ValueError(who + "sigmas(" + std::to_string(o) + ", " + std::to_string(k) +
                           ") must be > 0");
        weights_(o, k) = 1 / sigma;  // 0 for σ = ∞: a missing value
        if (weights_(o, k) > 0 && !std::isfinite(data_.values(o, k)))
          throw ValueError(who + "values(" + std::to_string(o) + ", " + std::to_string(k) +
                           ") is not finite (give it σ = ∞ if it is missing)");
      }
    // Setup of every buffer, so that evaluate() does not allocate.
    states_.resize(n_, T);
    sensitivities_.resize(n_, (n_ + p_) * T);
    workspace_.prepare(n_, p_, true);
  }

  Index num_residuals() const override {
    return static_cast<Index>(data_.observed_states.size()) * data_.times.size();
  }

  /// The number of entries of x the block needs: its largest offset plus its size.
  Index min_num_parameters() const {
    Index needed = options_.parameter_offset + p_;
    if (options_.estimate_initial_state)
      needed = std::max(needed, options_.initial_state_offset + n_);
    return needed;
  }

  bool evaluate(const double* x, Index n, double* r, const JacobianView& J) const override {
    if (n < min_num_parameters())
      throw ShapeError("OdeTrajectoryBlock: the problem has " + std::to_string(n) +
                       " parameters, the block needs " + std::to_string(min_num_parameters()));
    const bool free_y0 = options_.estimate_initial_state;
    const ConstVectorMap<double> theta(x + options_.parameter_offset, p_);
    const ConstVectorMap<double> y0(free_y0 ? x + options_.initial_state_offset : y0_fixed_.data(),
                                    n_);
    result_ = integrate_with_sensitivities(rhs_, n_, p_, y0, theta, data_.times, data_.t0,
                                           options_.ode, states_, sensitivities_, &workspace_);
    if (!result_.ok()) return false;
    const Index q = static_cast<Index>(data_.observed_states.size());
    const Index m = n_ + p_;
    for (Index k = 0; k < data_.times.size(); ++k)
      for (Index o = 0; o < q; ++o) {
        const Index row = k * q + o, s = data_.observed_states[static_cast<std::size_t>(o)];
        const double w = weights_(o, k);
        r[row] = w == 0 ? 0.0 : w * (states_(s, k) - data_.values(o, k));
        if (J.data == nullptr) continue;
        for (Index j = 0; j < n; ++j) J(row, j) = 0;
        if (w == 0) continue;
        const auto S = sensitivities_.middleCols(k * m, m);
        for (Index j = 0; j < p_; ++j) J(row, options_.parameter_offset + j) = w * S(s, n_ + j);
        if (free_y0)
          for (Index i = 0; i < n_; ++i) J(row, options_.initial_state_offset + i) += w * S(s, i);
      }
    return true;
  }

  /// Residuals integrate the sensitivities too (see above), so the Jacobian is free with them.
  bool jacobian_comes_with_residuals() const override { return true; }

  /// The last integration's result: why evaluate() returned false, or its step counts.
  const OdeResult& last_result() const { return result_; }
  /// The model states at the observation times of the last evaluation (n × T).
  const Matrix<double>& last_states() const { return states_; }

 private:
  Rhs rhs_;
  Index n_, p_;
  Vector<double> y0_fixed_;
  OdeObservations data_;
  OdeFitOptions options_;
  Matrix<double> weights_;
  mutable Matrix<double> states_, sensitivities_;
  mutable OdeWorkspace workspace_;
  mutable OdeResult result_;
};

/// OdeTrajectoryBlock as a std::unique_ptr for LeastSquaresProblem::add_block.
template <OdeRightHandSide Rhs>
std::unique_ptr<ResidualBlock> make_ode_trajectory_block(Rhs rhs, Index num_states,
                                                         Index num_parameters,
                                                         Vector<double> initial_state,
                                                         OdeObservations data,
                                                         OdeFitOptions options = {}) {
  return std::make_unique<OdeTrajectoryBlock<Rhs>>(std::move(rhs), num_states, num_parameters,
                                                   std::move(initial_state), std::move(data),
                                                   options);
}

}  // namespace curvopt

#include "curvopt/optim/quasi_newton/lbfgs_descent.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "curvopt/core/errors.h"
#include "curvopt/optim/option_fields.h"

namespace curvopt {

template <class Scalar>
LbfgsDescent<Scalar>::LbfgsDescent(const LbfgsDescentOptions& options) : options_(options) {
  const std::string o = "LbfgsDescentOptions::";
  if (options.memory < 1)
    throw ConfigError(o + "memory = " + std::to_string(options.memory) + ": must be >= 1");
  if (!(options.scale > 0))
    throw ConfigError(o + "scale = " + format_option_value(options.scale) + ": must be > 0");
  if (!(options.curvature_epsilon >= 0))
    throw ConfigError(o + "curvature_epsilon = " + format_option_value(options.curvature_epsilon) +
                      ": must be >= 0");
}

template <class Scalar>
void LbfgsDescent<Scalar>::resize(Index n) {
  if (n_ == n) return;
  memory_.resize(n, options_.memory);
  direction_.resize(n);
  step_.resize(n);
  y_.resize(n);
  n_ = n;
}

template <class Scalar>
std::string_view LbfgsDescent<Scalar>::begin(Problem<Scalar>&, Index n) {
  resize(n);
  return {};
}

template <class Scalar>
bool LbfgsDescent<Scalar>::prepare(const DescentPoint<Scalar>& point, StepReport& report) {
  detail::PhaseTimer timer(report.times.direction_seconds);
  const Vector<Scalar>& g = point.gradient;
  memory_.apply(g, direction_);
  direction_ = -direction_;
  const double slope = static_cast<double>(g.dot(direction_));
  if (!(slope < 0) || !std::isfinite(slope)) {
    // Round-off can make H lose positive definiteness; restart from steepest descent.
    memory_.clear();
    direction_ = -g;
  }
  suggested_ = options_.scale;
  if (memory_.empty())
    suggested_ *= std::min(1.0, 1.0 / static_cast<double>(g.template lpNorm<1>()));
  return true;
}

template <class Scalar>
DescentResult LbfgsDescent<Scalar>::step(double alpha, VectorRef<Scalar> step) {
  step = static_cast<Scalar>(alpha) * direction_;
  step_ = step;
  return {};
}

template <class Scalar>
void LbfgsDescent<Scalar>::learn(ConstVectorRef<Scalar> move, ConstVectorRef<Scalar> gradient,
                                 ConstVectorRef<Scalar> new_gradient) {
  y_ = new_gradient - gradient;
  memory_.push(move, y_, options_.curvature_epsilon);
}

template <class Scalar>
void LbfgsDescent<Scalar>::step_failed() {
  if (options_.reset_on_failure) memory_.clear();
}

template <class Scalar>
void LbfgsDescent<Scalar>::reset() {
  memory_.clear();
}

template <class Scalar>
void LbfgsDescent<Scalar>::save(OptimizerState& state) const {
  state.put("num_pairs", static_cast<double>(memory_.size()));
  Matrix<Scalar> s(n_, memory_.size()), y(n_, memory_.size());
  for (int i = 0; i < memory_.size(); ++i) {
    s.col(i) = memory_.s(i);
    y.col(i) = memory_.y(i);
  }
  state.put("pairs_s", s);
  state.put("pairs_y", y);
}

template <class Scalar>
void LbfgsDescent<Scalar>::load(const OptimizerState& state, Index n) {
  const std::int64_t stored_pairs = state.get_count("num_pairs");  // compared before narrowing
  if (stored_pairs > options_.memory)
    throw ValueError("lbfgs: state holds " + std::to_string(stored_pairs) +
                     " pairs, more than memory = " + std::to_string(options_.memory));
  memory_.clear();
  if (n == 0) return;
  resize(n);
  const auto pairs = static_cast<int>(stored_pairs);
  Matrix<Scalar> s(n, pairs), y(n, pairs);
  state.get_into("pairs_s", s);
  state.get_into("pairs_y", y);
  // The stored pairs passed the curvature test once; keep all of them.
  for (int i = 0; i < pairs; ++i) memory_.push(s.col(i), y.col(i), 0.0);
}

template class LbfgsDescent<float>;
template class LbfgsDescent<double>;

}  // namespace curvopt

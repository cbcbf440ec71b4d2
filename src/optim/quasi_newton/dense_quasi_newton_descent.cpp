#include "curvopt/optim/quasi_newton/dense_quasi_newton_descent.h"

#include <cmath>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

void check_dense(const QuasiNewtonDescentOptions& options, Index n, const char* who) {
  if (n > options.max_dense_parameters)
    throw ConfigError(std::string(who) + ": " + std::to_string(n) +
                      " parameters need an n x n matrix, above max_dense_parameters = " +
                      std::to_string(options.max_dense_parameters) + "; use lbfgs or lsr1");
}

void check_options(const QuasiNewtonDescentOptions& options) {
  if (!(options.pair_epsilon >= 0) || options.memory < 1)
    throw ConfigError("QuasiNewtonDescentOptions: pair_epsilon must be >= 0 and memory >= 1");
}

template <class Scalar>
double model_curvature(double predicted, ConstVectorRef<Scalar> g, ConstVectorRef<Scalar> s) {
  // m(s) = gᵀs + ½sᵀBs = −predicted.
  return 2 * (-predicted - static_cast<double>(g.dot(s)));
}

}  // namespace

template <class Scalar>
void PastPair<Scalar>::resize(Index n) {
  if (previous_gradient_.size() == n) return;
  previous_gradient_.resize(n);
  s_.resize(n);
  y_.resize(n);
  has_gradient_ = false;
}

template <class Scalar>
bool PastPair<Scalar>::update(const DescentPoint<Scalar>& point) {
  const bool formed = has_gradient_ && point.previous_step != nullptr;
  if (formed) {
    s_ = *point.previous_step;
    y_ = point.gradient - previous_gradient_;
  }
  previous_gradient_ = point.gradient;
  has_gradient_ = true;
  return formed;
}

template <class Scalar>
void PastPair<Scalar>::save(OptimizerState& state) const {
  state.put("has_previous_gradient", has_gradient_ ? 1.0 : 0.0);
  if (has_gradient_) state.put("previous_gradient", previous_gradient_);
}

template <class Scalar>
void PastPair<Scalar>::load(const OptimizerState& state, Index n) {
  resize(n);
  has_gradient_ = state.get_scalar("has_previous_gradient") != 0;
  if (has_gradient_) state.get_into("previous_gradient", previous_gradient_);
}

// BFGS.

template <class Scalar>
BfgsDescent<Scalar>::BfgsDescent(const QuasiNewtonDescentOptions& options) : options_(options) {
  check_options(options);
}

template <class Scalar>
std::string_view BfgsDescent<Scalar>::begin(Problem<Scalar>&, Index n) {
  if (H_.rows() != n) {
    check_dense(options_, n, "bfgs");
    H_.setIdentity(n, n);
    hy_.resize(n);
    direction_.resize(n);
    step_.resize(n);
    pair_.resize(n);
    updates_ = 0;
  }
  return {};
}

template <class Scalar>
bool BfgsDescent<Scalar>::prepare(const DescentPoint<Scalar>& point, StepReport& report) {
  detail::PhaseTimer timer(report.times.direction_seconds);
  if (pair_.update(point)) {
    const Vector<Scalar>& s = pair_.s();
    const Vector<Scalar>& y = pair_.y();
    const double sy = static_cast<double>(s.dot(y));
    if (sy > options_.pair_epsilon * static_cast<double>(s.norm() * y.norm())) {
      if (updates_ == 0) H_ *= static_cast<Scalar>(sy / static_cast<double>(y.squaredNorm()));
      // H⁺ = (I − ρsyᵀ)H(I − ρysᵀ) + ρssᵀ = H − ρ(Hy sᵀ + s yᵀH) + (ρ²yᵀHy + ρ)ssᵀ.
      const double rho = 1 / sy;
      hy_.noalias() = H_ * y;
      const auto r = static_cast<Scalar>(rho);
      const auto c = static_cast<Scalar>(rho * rho * static_cast<double>(y.dot(hy_)) + rho);
      H_.noalias() -= r * (hy_ * s.transpose() + s * hy_.transpose());
      H_.noalias() += c * (s * s.transpose());
      ++updates_;
    }
  }
  direction_.noalias() = -(H_ * point.gradient);
  if (!(point.gradient.dot(direction_) < 0) || !direction_.allFinite()) {
    H_.setIdentity();  // H lost positive definiteness to rounding: restart from steepest descent
    updates_ = 0;
    direction_ = -point.gradient;
  }
  return true;
}

template <class Scalar>
DescentResult BfgsDescent<Scalar>::step(double alpha, VectorRef<Scalar> step) {
  step_ = static_cast<Scalar>(alpha) * direction_;
  step = step_;
  return {};
}

template <class Scalar>
void BfgsDescent<Scalar>::reset() {
  H_.resize(0, 0);
  pair_.reset();
  updates_ = 0;
}

template <class Scalar>
void BfgsDescent<Scalar>::save(OptimizerState& state) const {
  if (H_.size() == 0) return;
  state.put("bfgs_inverse", H_);
  state.put("bfgs_updates", updates_);
  pair_.save(state);
}

template <class Scalar>
void BfgsDescent<Scalar>::load(const OptimizerState& state, Index n) {
  reset();
  if (n == 0) return;
  check_dense(options_, n, "bfgs");
  H_.resize(n, n);
  hy_.resize(n);
  direction_.resize(n);
  step_.resize(n);
  state.get_into("bfgs_inverse", H_);
  updates_ = state.get_scalar("bfgs_updates");
  pair_.load(state, n);
}

// SR1.

template <class Scalar>
Sr1Descent<Scalar>::Sr1Descent(const QuasiNewtonDescentOptions& options) : options_(options) {
  check_options(options);
}

template <class Scalar>
std::string_view Sr1Descent<Scalar>::begin(Problem<Scalar>&, Index n) {
  if (B_.rows() != n) {
    check_dense(options_, n, "sr1");
    B_.setIdentity(n, n);
    u_.resize(n);
    step_.resize(n);
    product_.resize(n);
    cg_.resize(n);
    pair_.resize(n);
    updates_ = 0;
  }
  return "steihaug";
}

template <class Scalar>
bool Sr1Descent<Scalar>::prepare(const DescentPoint<Scalar>& point, StepReport& report) {
  point_ = &point;
  detail::PhaseTimer timer(report.times.direction_seconds);
  if (!pair_.update(point)) return true;
  const Vector<Scalar>& s = pair_.s();
  const Vector<Scalar>& y = pair_.y();
  const double sy = static_cast<double>(s.dot(y));
  if (updates_ == 0 && sy > 0) B_ *= static_cast<Scalar>(static_cast<double>(y.squaredNorm()) / sy);
  u_ = y;
  u_.noalias() -= B_ * s;
  if (sr1_pair_acceptable<Scalar>(s, u_, options_.pair_epsilon)) {
    B_.noalias() += (u_ * u_.transpose()) / u_.dot(s);
    ++updates_;
  }
  return true;
}

template <class Scalar>
DescentResult Sr1Descent<Scalar>::step(double radius, VectorRef<Scalar> step) {
  const SteihaugResult r =
      cg_.solve([this](ConstVectorRef<Scalar> v, VectorRef<Scalar> out) { out.noalias() = B_ * v; },
                point_->gradient, radius, step_);
  step_curvature_ = model_curvature<Scalar>(r.predicted_reduction, point_->gradient, step_);
  step = step_;
  DescentResult result{.ok = step_.allFinite(), .iterations = r.iterations};
  if (!result.ok) result.message = "non-finite trust-region step; radius shrunk";
  return result;
}

template <class Scalar>
double Sr1Descent<Scalar>::curvature(ConstVectorRef<Scalar> s) {
  if (s.size() == step_.size() && s == step_) return step_curvature_;
  product_.noalias() = B_ * s;
  return static_cast<double>(s.dot(product_));
}

template <class Scalar>
void Sr1Descent<Scalar>::reset() {
  B_.resize(0, 0);
  pair_.reset();
  updates_ = 0;
}

template <class Scalar>
void Sr1Descent<Scalar>::save(OptimizerState& state) const {
  if (B_.size() == 0) return;
  state.put("sr1_matrix", B_);
  state.put("sr1_updates", updates_);
  pair_.save(state);
}

template <class Scalar>
void Sr1Descent<Scalar>::load(const OptimizerState& state, Index n) {
  reset();
  if (n == 0) return;
  check_dense(options_, n, "sr1");
  B_.resize(n, n);
  u_.resize(n);
  step_.resize(n);
  product_.resize(n);
  cg_.resize(n);
  state.get_into("sr1_matrix", B_);
  updates_ = state.get_scalar("sr1_updates");
  pair_.load(state, n);
}

// L-SR1.

template <class Scalar>
LimitedSr1Descent<Scalar>::LimitedSr1Descent(const QuasiNewtonDescentOptions& options)
    : options_(options), region_(options.solver) {
  check_options(options);
}

template <class Scalar>
std::string_view LimitedSr1Descent<Scalar>::begin(Problem<Scalar>&, Index n) {
  if (S_.rows() != n) {
    S_.setZero(n, options_.memory);  // unused columns are checkpointed: keep them defined
    Y_.setZero(n, options_.memory);
    count_ = 0;
    region_.resize(n, options_.memory);
    pair_.resize(n);
  }
  return to_string(options_.solver);
}

template <class Scalar>
bool LimitedSr1Descent<Scalar>::prepare(const DescentPoint<Scalar>& point, StepReport& report) {
  point_ = &point;
  detail::PhaseTimer timer(report.times.direction_seconds);
  if (pair_.update(point)) {
    if (count_ == S_.cols()) {  // full: drop the oldest
      for (Index j = 0; j + 1 < S_.cols(); ++j) {
        S_.col(j) = S_.col(j + 1);
        Y_.col(j) = Y_.col(j + 1);
      }
      --count_;
    }
    S_.col(count_) = pair_.s();
    Y_.col(count_) = pair_.y();
    ++count_;
  }
  double gamma = 1;
  if (count_ > 0) {
    const double sy = static_cast<double>(S_.col(count_ - 1).dot(Y_.col(count_ - 1)));
    if (sy > 0) gamma = static_cast<double>(Y_.col(count_ - 1).squaredNorm()) / sy;
  }
  region_.matrix().reset(gamma);
  region_.matrix().add_pairs(S_.leftCols(count_), Y_.leftCols(count_), options_.pair_epsilon);
  return true;
}

template <class Scalar>
DescentResult LimitedSr1Descent<Scalar>::step(double radius, VectorRef<Scalar> step) {
  const DescentResult result = region_.solve(point_->gradient, radius);
  step = region_.step();
  return result;
}

template <class Scalar>
void LimitedSr1Descent<Scalar>::reset() {
  S_.resize(0, 0);
  Y_.resize(0, 0);
  count_ = 0;
  pair_.reset();
}

template <class Scalar>
void LimitedSr1Descent<Scalar>::save(OptimizerState& state) const {
  if (S_.size() == 0) return;
  state.put("lsr1_count", static_cast<double>(count_));
  state.put("lsr1_pairs_s", S_);
  state.put("lsr1_pairs_y", Y_);
  pair_.save(state);
}

template <class Scalar>
void LimitedSr1Descent<Scalar>::load(const OptimizerState& state, Index n) {
  reset();
  if (n == 0) return;
  S_.resize(n, options_.memory);
  Y_.resize(n, options_.memory);
  region_.resize(n, options_.memory);
  state.get_into("lsr1_pairs_s", S_);
  state.get_into("lsr1_pairs_y", Y_);
  const std::int64_t count = state.get_count("lsr1_count");
  if (count > options_.memory)
    throw ValueError("lsr1: state holds " + std::to_string(count) +
                     " pairs, more than memory = " + std::to_string(options_.memory));
  count_ = static_cast<int>(count);
  pair_.load(state, n);
}

template class PastPair<float>;
template class PastPair<double>;
template class BfgsDescent<float>;
template class BfgsDescent<double>;
template class Sr1Descent<float>;
template class Sr1Descent<double>;
template class LimitedSr1Descent<float>;
template class LimitedSr1Descent<double>;

}  // namespace curvopt

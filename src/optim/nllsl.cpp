#include "curvopt/optim/nllsl.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "curvopt/core/enum_names.h"
#include "curvopt/core/random.h"
#include "option_list.h"

namespace curvopt {
CURVOPT_ENUM_NAMES(NllslJacobianScale, {NllslJacobianScale::kPaper, "paper"},
                   {NllslJacobianScale::kCode, "code"})

CURVOPT_ENUM_NAMES(NllslStructure, {NllslStructure::kSampled, "sampled"},
                   {NllslStructure::kPositional, "positional"})

CURVOPT_ENUM_NAMES(NllslResidualGuard, {NllslResidualGuard::kSignPreserving, "sign-preserving"},
                   {NllslResidualGuard::kClamp, "clamp"})

std::optional<std::string> NllslOptions::validate() const {
  const char* o = "NllslOptions";
  return first_error({require_positive(o, "learning_rate", learning_rate),
                      require_positive(o, "initial_diagonal", initial_diagonal),
                      require_positive(o, "residual_floor", residual_floor), control.validate()});
}

template <class Scalar>
Nllsl<Scalar>::Nllsl(const Options& options)
    : FirstOrderOptimizer<Scalar>(options.learning_rate, options.control), options_(options) {
  throw_if_invalid(options);
}

template <class Scalar>
const OptionFields<NllslOptions>& Nllsl<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    f.push_back(option_field<Options>(
        "learning_rate", "alpha > 0, the step scale (0.05)",
        [](auto& o) -> auto& { return o.learning_rate; }, "alpha"));
    f.push_back(option_field<Options>(
        "initial_diagonal", "starting squared-gradient sum (1e-10)",
        [](auto& o) -> auto& { return o.initial_diagonal; }));
    f.push_back(option_field<Options>(
        "jacobian_scale", "entry scale: paper (L/2), code (1)",
        [](auto& o) -> auto& { return o.jacobian_scale; }));
    f.push_back(option_field<Options>(
        "structure", "solve structure: sampled, positional",
        [](auto& o) -> auto& { return o.structure; }));
    f.push_back(option_field<Options>(
        "residual_guard", "small residuals: sign-preserving, clamp",
        [](auto& o) -> auto& { return o.residual_guard; }));
    f.push_back(option_field<Options>(
        "residual_floor", "guard threshold > 0 (1e-5)",
        [](auto& o) -> auto& { return o.residual_floor; }));
    f.push_back(option_field<Options>(
        "seed", "seed of the random structures (0)", [](auto& o) -> auto& { return o.seed; }));
    add_update_control_fields(f);
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> Nllsl<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template <class Scalar>
void Nllsl<Scalar>::initialize_state(Index n) {
  c_.setZero(n);
  c_next_.resize(n);
  d2_.setConstant(n, static_cast<Scalar>(options_.initial_diagonal));
  d2_next_.resize(n);
  beta_.resize(n);
  s0_.resize(n);
  parameter_order_.resize(static_cast<std::size_t>(n));
  std::iota(parameter_order_.begin(), parameter_order_.end(), Index(0));
  parameter_order_next_ = parameter_order_;
  columns_.assign(static_cast<std::size_t>(n), 0);
}

template <class Scalar>
Scalar Nllsl<Scalar>::guarded(Scalar r) const {
  const auto floor = static_cast<Scalar>(options_.residual_floor);
  if (std::abs(r) > floor) return r;
  if (options_.residual_guard == NllslResidualGuard::kClamp) return floor;
  return std::signbit(r) ? -floor : floor;
}

template <class Scalar>
void Nllsl<Scalar>::propose(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> grad, double lr,
                            std::int64_t t, VectorRef<Scalar> next) {
  const Index n = params.size();
  Problem<Scalar>& problem = this->current_problem();
  const Index L = problem.num_residuals();
  if (residuals_.size() < L) residuals_.resize(L);  // grows to the largest batch, once
  auto r = residuals_.head(L);
  problem.residuals(params, r);  // the gradient's forward pass is reused
  // The paper's residuals: f = ‖r‖²/L, while the problem's r̂ has f = ½‖r̂‖².
  r *= static_cast<Scalar>(std::sqrt(static_cast<double>(L) / 2));

  d2_next_.array() = d2_.array() + grad.array().square();
  beta_.array() = static_cast<Scalar>(lr) / d2_next_.array().sqrt();

  // Random structure of this step, from a generator seeded by (seed, t): resumable.
  Rng rng(options_.seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(t));
  residual_order_.resize(static_cast<std::size_t>(L));
  std::iota(residual_order_.begin(), residual_order_.end(), Index(0));
  for (std::size_t i = residual_order_.size(); i > 1; --i)
    std::swap(residual_order_[i - 1], residual_order_[rng.uniform_int(i)]);
  const Index singletons = std::min(L - 1, n - 1);
  // Partial Fisher-Yates: the first `singletons` entries become a uniform random subset.
  // It works on a copy, so that a rejected step leaves the state as it was.
  parameter_order_next_ = parameter_order_;
  for (Index i = 0; i < singletons; ++i) {
    const auto j = static_cast<std::size_t>(i) +
                   static_cast<std::size_t>(rng.uniform_int(static_cast<std::uint64_t>(n - i)));
    std::swap(parameter_order_next_[static_cast<std::size_t>(i)], parameter_order_next_[j]);
  }
  auto sampled = [&](Index k) { return parameter_order_next_[static_cast<std::size_t>(k)]; };

  // Jacobian entries: every parameter in the shared last column, singletons in their own.
  const Scalar scale = options_.jacobian_scale == NllslJacobianScale::kPaper
                           ? static_cast<Scalar>(L) / 2
                           : Scalar(1);
  const Scalar shared = guarded(r(residual_order_[static_cast<std::size_t>(L - 1)]));
  c_next_ = c_ + (scale / shared) * grad;
  for (Index k = 0; k < singletons; ++k) {
    const Index i = sampled(k);
    c_next_(i) = c_(i) + scale * grad(i) / guarded(r(residual_order_[static_cast<std::size_t>(k)]));
  }

  // Structured Sherman-Morrison-Woodbury: one scalar system per column.
  auto solve_index = [&](Index k) {
    return options_.structure == NllslStructure::kSampled ? sampled(k) : k;
  };
  s0_ = -beta_.cwiseProduct(grad);
  double p_shared = static_cast<double>(c_next_.dot(s0_));
  double q_shared = static_cast<double>(beta_.dot(c_next_.cwiseProduct(c_next_)));
  column_p_.resize(static_cast<std::size_t>(singletons));
  column_q_.resize(static_cast<std::size_t>(singletons));
  for (Index k = 0; k < singletons; ++k) {
    const Index i = solve_index(k);
    const Scalar p = c_next_(i) * s0_(i), q = beta_(i) * c_next_(i) * c_next_(i);
    column_p_[static_cast<std::size_t>(k)] = p;
    column_q_[static_cast<std::size_t>(k)] = q;
    p_shared -= static_cast<double>(p);
    q_shared -= static_cast<double>(q);
  }
  // q ≥ 0 analytically; rounding in the subtraction above may leave it slightly negative.
  const auto w_shared = static_cast<Scalar>(p_shared / (1 + std::max(q_shared, 0.0)));
  next = params + s0_ - w_shared * beta_.cwiseProduct(c_next_);
  std::fill(columns_.begin(), columns_.end(), L - 1);
  for (Index k = 0; k < singletons; ++k) {
    const Index i = solve_index(k);
    const Scalar w =
        column_p_[static_cast<std::size_t>(k)] / (1 + column_q_[static_cast<std::size_t>(k)]);
    next(i) = params(i) + s0_(i) - beta_(i) * c_next_(i) * w;
    columns_[static_cast<std::size_t>(i)] = k;
  }
}

template <class Scalar>
void Nllsl<Scalar>::commit() {
  c_.swap(c_next_);
  d2_.swap(d2_next_);
  parameter_order_.swap(parameter_order_next_);
}

template <class Scalar>
void Nllsl<Scalar>::save_method_state(OptimizerState& state) const {
  state.put("accumulated_jacobian", c_);
  state.put("accumulated_squares", d2_);
  Vector<double> order(static_cast<Index>(parameter_order_.size()));
  for (std::size_t i = 0; i < parameter_order_.size(); ++i)
    order(static_cast<Index>(i)) = static_cast<double>(parameter_order_[i]);
  state.put("parameter_order", order);  // the partial shuffles continue from it
}

template <class Scalar>
void Nllsl<Scalar>::load_method_state(const OptimizerState& state, Index n) {
  initialize_state(n);
  state.get_into("accumulated_jacobian", c_);
  state.get_into("accumulated_squares", d2_);
  Vector<double> order(n);
  state.get_into("parameter_order", order);
  for (Index i = 0; i < n; ++i)
    parameter_order_[static_cast<std::size_t>(i)] = static_cast<Index>(order(i));
}

template class Nllsl<float>;
template class Nllsl<double>;

}  // namespace curvopt

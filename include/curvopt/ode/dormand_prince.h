#pragma once
/// An adaptive explicit Runge-Kutta integrator, Dormand-Prince 5(4) (Dormand & Prince 1980),
/// with forward sensitivities, for fitting ODE models by least squares: integrate_with_
/// sensitivities() gives y(tₖ) and the exact derivative S(tₖ) = ∂y(tₖ)/∂(y₀, θ) of the discrete
/// solution, which is the Jacobian Levenberg-Marquardt needs (see ode_fit.h).
///
/// Why our own integrator and not Boost.Odeint: the sensitivities are the derivatives of the
/// augmented system y' = f, S' = f_y S + f_θ, and f_y S + f_θ is computed by running the user's
/// templated f on dual numbers whose derivative parts are the columns of S, inside the same
/// stages as y. odeint would still need that augmented right-hand side, its state layout and
/// the error norm over y and S written by hand, so it would add a dependency and save little.
///
/// Not for stiff problems: an explicit method's step is bounded by stability, not accuracy,
/// when f_y has eigenvalues of large negative real part (Hairer & Wanner 1996); a stiff model
/// ends in max_steps or a very slow integration.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "curvopt/autodiff/dual.h"
#include "curvopt/autodiff/tape.h"
#include "curvopt/core/errors.h"
#include "curvopt/core/types.h"
#include "curvopt/ode/ode_system.h"

namespace curvopt {

/// Options of integrate() and integrate_with_sensitivities().
struct OdeOptions {
  /// rtol and atol of the error test: a step is accepted when the weighted RMS norm of the
  /// local error estimate, with weights 1/(atol + rtol·max(|zᵢ(t)|, |zᵢ(t + h)|)), is ≤ 1 (HNW
  /// 1993, II.4). With sensitivities the same weights apply to every entry of S, and the norm is
  /// the largest of those of y and of each column of S (CVODES with errconS = true), so the
  /// Jacobian is as accurate as the states. Both must be > 0 (atol > 0 keeps the weights finite
  /// for sensitivities that are identically zero).
  double relative_tolerance = 1e-8;
  double absolute_tolerance = 1e-10;
  /// The first step; 0 chooses it automatically by the starting step heuristic of Hairer,
  /// Nørsett & Wanner (1993, II.4), which costs one extra evaluation of f.
  double initial_step = 0;
  /// Upper bound of every step (may be infinite).
  double max_step = std::numeric_limits<double>::infinity();
  /// Steps attempted (accepted and rejected) before giving up with kMaxStepsReached.
  int max_steps = 100000;
  /// How integrate_with_sensitivities() forms f_y S + f_θ at each stage: forward mode runs f on
  /// dual numbers seeded with S, ⌈(n + p)/16⌉ passes; reverse mode records f once on a Tape and
  /// sweeps it once per state, giving the n × (n + p) Jacobian of f (then S is multiplied in).
  /// kAuto takes reverse mode when n + p is much larger than n (reverse_mode_pays: a network of
  /// hundreds of weights driving a few states) and the functor also runs on TapeVar.
  AutoDiffMode sensitivity_mode = AutoDiffMode::kAuto;

  /// The first invalid field as "OdeOptions::field = value: must be ...", or nothing.
  std::optional<std::string> validate() const;
};

/// How an integration ended.
enum class OdeStatus {
  kSuccess,            ///< every output time was reached
  kRhsFailed,          ///< f returned false, even on steps shrunk to the step size limit
  kNonFinite,          ///< y₀, θ or f's values were NaN/Inf, even on shrunk steps
  kStepSizeUnderflow,  ///< the error test failed down to h ≈ 16ε|t| (a singularity or stiffness)
  kMaxStepsReached,    ///< OdeOptions::max_steps steps were attempted
};
std::string_view to_string(OdeStatus status);

/// What an integration did. Failures are reported here, never thrown; the output columns of
/// the times reached (num_outputs of them) are valid, the rest unspecified.
struct OdeResult {
  OdeStatus status = OdeStatus::kSuccess;
  std::string message;  ///< empty on success, else what failed, where and at which step size
  double t = 0;         ///< the last time the solution reached
  Index num_outputs = 0;
  int num_accepted_steps = 0;
  int num_rejected_steps = 0;
  /// Evaluations of the right-hand side (with sensitivities: of the augmented system, each
  /// ⌈(n + p)/C⌉ calls of f on Dual<double, C>).
  std::int64_t num_rhs_evaluations = 0;
  bool ok() const { return status == OdeStatus::kSuccess; }
};

/// The Butcher tableau of Dormand & Prince (1980), RK5(4)7FSAL: stage times c, the coefficients
/// a (lower triangular, a[i][j] for j < i), the 5th-order weights b (also row 7 of a: the last
/// stage is f at the new point, reused as the next step's first, "first same as last") and
/// e = b − b̂, b̂ the embedded 4th-order weights; h·Σ eⱼkⱼ estimates the local error.
struct ButcherTableau {
  double c[7];
  double a[7][7];
  double b[7];
  double e[7];
};
const ButcherTableau& dormand_prince_tableau();

/// Buffers of an integration, reusable across calls with the same dimensions so that repeated
/// integrations (an optimizer's iterations) do not allocate. The contents are internal.
struct OdeWorkspace {
  template <int C>
  struct DualBuffers {
    std::vector<Dual<double, C>> y, theta, dydt;
  };
  std::vector<double> initial, stages, z, z_stage, z_new;
  DualBuffers<2> duals2;
  DualBuffers<4> duals4;
  DualBuffers<8> duals8;
  DualBuffers<16> duals16;
  /// Reverse-mode sensitivities: the tape, f on TapeVar, and f's Jacobian [f_y, f_θ] row-major.
  struct TapeBuffers {
    Tape tape;
    std::vector<TapeVar> y, theta, dydt;
    std::vector<std::int32_t> outputs;
    std::vector<double> jacobian, adjoints;
  };
  TapeBuffers taped;

  /// Sizes every buffer for n states and p parameters (with or without sensitivities), so that
  /// even the first integration allocates nothing; integrations size them anyway.
  void prepare(Index n, Index p, bool with_sensitivities) {
    const Index m = n + p;
    const auto N = static_cast<std::size_t>(with_sensitivities ? n * (1 + m) : n);
    for (std::vector<double>* v : {&initial, &z, &z_stage, &z_new}) v->resize(N);
    stages.resize(7 * N);
    if (!with_sensitivities) return;
    prepare_tape(n, p);
    if (m <= 2) return prepare_duals(duals2, n, p);
    if (m <= 4) return prepare_duals(duals4, n, p);
    if (m <= 8) return prepare_duals(duals8, n, p);
    prepare_duals(duals16, n, p);
  }

  template <int C>
  DualBuffers<C>& duals() {
    if constexpr (C == 2) return duals2;
    if constexpr (C == 4) return duals4;
    if constexpr (C == 8) return duals8;
    if constexpr (C == 16) return duals16;
  }

 private:
  void prepare_tape(Index n, Index p) {
    taped.y.resize(static_cast<std::size_t>(n));
    taped.theta.resize(static_cast<std::size_t>(p));
    taped.dydt.resize(static_cast<std::size_t>(n));
    taped.outputs.resize(static_cast<std::size_t>(n));
    taped.jacobian.resize(static_cast<std::size_t>(n * (n + p)));
  }
  template <int C>
  static void prepare_duals(DualBuffers<C>& d, Index n, Index p) {
    d.y.resize(static_cast<std::size_t>(n));
    d.theta.resize(static_cast<std::size_t>(p));
    d.dydt.resize(static_cast<std::size_t>(n));
  }
};

namespace detail {

/// The system the stepping loop integrates: z' = F(t, z) with z = [y; vec S] (or z = y), and
/// where each output goes. Virtual, so that the loop is compiled once, in dormand_prince.cpp.
class AugmentedOdeSystem {
 public:
  virtual ~AugmentedOdeSystem() = default;
  /// dz = F(t, z): kSuccess, kRhsFailed or kNonFinite (dz not all finite).
  virtual OdeStatus derivative(double t, const double* z, double* dz) = 0;
  /// z at output time number k.
  virtual void output(Index k, const double* z) = 0;
};

/// Throws ConfigError (options), ShapeError (sizes) or ValueError (times not finite, not
/// sorted or before t0).
void check_ode_arguments(Index num_states, Index num_parameters, Index y0_size, Index theta_size,
                         ConstVectorRef<double> times, double t0, const OdeOptions& options);

/// The Dormand-Prince stepping loop over z of num_blocks blocks of block_size entries (the
/// error norm is the largest block norm), from z0 at t0 through every output time.
OdeResult run_dormand_prince(AugmentedOdeSystem& system, Index block_size, Index num_blocks,
                             const double* z0, double t0, ConstVectorRef<double> times,
                             const OdeOptions& options, OdeWorkspace& workspace);

/// A result that fails before the first step because y₀ or θ is not finite.
OdeResult non_finite_input(double t0);

inline bool all_finite(const double* v, Index size) {
  for (Index i = 0; i < size; ++i)
    if (!std::isfinite(v[i])) return false;
  return true;
}

template <class Rhs>
class StateSystem final : public AugmentedOdeSystem {
 public:
  StateSystem(const Rhs& rhs, Index n, const double* theta, Matrix<double>& states)
      : rhs_(rhs), n_(n), theta_(theta), states_(states) {}
  OdeStatus derivative(double t, const double* z, double* dz) override {
    if (!rhs_(t, z, theta_, dz)) return OdeStatus::kRhsFailed;
    return all_finite(dz, n_) ? OdeStatus::kSuccess : OdeStatus::kNonFinite;
  }
  void output(Index k, const double* z) override { states_.col(k) = ConstVectorMap<double>(z, n_); }

 private:
  const Rhs& rhs_;
  Index n_;
  const double* theta_;
  Matrix<double>& states_;
};

/// What both sensitivity systems share: the sizes, θ, and where each output's y and S go.
class SensitivityOutputs : public AugmentedOdeSystem {
 public:
  SensitivityOutputs(Index n, Index p, const double* theta, Matrix<double>& states,
                     Matrix<double>& sensitivities)
      : n_(n), p_(p), theta_(theta), states_(states), sens_(sensitivities) {}

  void output(Index k, const double* z) override {
    const Index m = n_ + p_;
    states_.col(k) = ConstVectorMap<double>(z, n_);
    sens_.middleCols(k * m, m) = ConstMatrixMap<double>(z + n_, n_, m);
  }

 protected:
  Index n_, p_;
  const double* theta_;

 private:
  Matrix<double>& states_;
  Matrix<double>& sens_;
};

/// F(t, [y; vec S]) = [f; f_y S + f_θ], S n × m (m = n + p) column-major after y. Chunk by
/// chunk of C columns, f runs on duals with yᵢ = (yᵢ, S(i, chunk)) and θₖ = (θₖ, e_{n+k}
/// restricted to the chunk), so the dual parts of f are (f_y S + f_θ)(:, chunk): one pass of
/// forward mode per chunk, at most ⌈m/C⌉ passes, never the explicit n × n matrix f_y.
template <class Rhs, int C>
class SensitivitySystem final : public SensitivityOutputs {
 public:
  SensitivitySystem(const Rhs& rhs, Index n, Index p, const double* theta, OdeWorkspace& ws,
                    Matrix<double>& states, Matrix<double>& sensitivities)
      : SensitivityOutputs(n, p, theta, states, sensitivities), rhs_(rhs), d_(ws.duals<C>()) {
    d_.y.resize(static_cast<std::size_t>(n));
    d_.theta.resize(static_cast<std::size_t>(p));
    d_.dydt.resize(static_cast<std::size_t>(n));
  }

  OdeStatus derivative(double t, const double* z, double* dz) override {
    using D = Dual<double, C>;
    const Index m = n_ + p_;
    const double* S = z + n_;
    double* dS = dz + n_;
    for (Index c0 = 0; c0 < m; c0 += C) {
      const Index w = std::min<Index>(C, m - c0);
      for (Index i = 0; i < n_; ++i) {
        D& yi = d_.y[static_cast<std::size_t>(i)];
        yi.a = z[i];
        for (int l = 0; l < C; ++l) yi.v[l] = l < w ? S[(c0 + l) * n_ + i] : 0.0;
      }
      for (Index k = 0; k < p_; ++k) {
        D& tk = d_.theta[static_cast<std::size_t>(k)];
        tk = D(theta_[k]);
        const Index column = n_ + k - c0;  // θₖ's seed column within this chunk
        if (column >= 0 && column < w) tk.v[static_cast<std::size_t>(column)] = 1;
      }
      if (!rhs_(t, d_.y.data(), d_.theta.data(), d_.dydt.data())) return OdeStatus::kRhsFailed;
      for (Index i = 0; i < n_; ++i) {
        const D& fi = d_.dydt[static_cast<std::size_t>(i)];
        if (c0 == 0) dz[i] = fi.a;
        for (Index l = 0; l < w; ++l) dS[(c0 + l) * n_ + i] = fi.v[static_cast<std::size_t>(l)];
      }
    }
    return all_finite(dz, n_ * (1 + m)) ? OdeStatus::kSuccess : OdeStatus::kNonFinite;
  }

 private:
  const Rhs& rhs_;
  OdeWorkspace::DualBuffers<C>& d_;
};

/// The right-hand side also runs on TapeVar, so reverse mode can differentiate it.
template <class F>
concept ReverseOdeRightHandSide = requires(const F& f, double t, const TapeVar* y,
                                           const TapeVar* theta, TapeVar* dydt) {
  { f(t, y, theta, dydt) } -> std::convertible_to<bool>;
};

/// F(t, [y; vec S]) = [f; f_y S + f_θ] by reverse mode: f recorded once with y and θ as the
/// tape's inputs, one sweep per state (four at a time) gives the rows of [f_y, f_θ], and
/// f_y S (n × n times n × m) is added in plain arithmetic. Cost per stage: one recording, n
/// sweeps and n²m multiply-adds, whatever p is.
template <class Rhs>
class TapedSensitivitySystem final : public SensitivityOutputs {
 public:
  TapedSensitivitySystem(const Rhs& rhs, Index n, Index p, const double* theta, OdeWorkspace& ws,
                         Matrix<double>& states, Matrix<double>& sensitivities)
      : SensitivityOutputs(n, p, theta, states, sensitivities), rhs_(rhs), d_(ws.taped) {
    d_.y.resize(static_cast<std::size_t>(n));
    d_.theta.resize(static_cast<std::size_t>(p));
    d_.dydt.resize(static_cast<std::size_t>(n));
    d_.outputs.resize(static_cast<std::size_t>(n));
    d_.jacobian.resize(static_cast<std::size_t>(n * (n + p)));
  }

  OdeStatus derivative(double t, const double* z, double* dz) override {
    const Index m = n_ + p_;
    {
      TapeRecording recording(d_.tape);
      for (Index i = 0; i < n_; ++i) d_.y[i] = TapeRecording::independent(z[i]);
      for (Index k = 0; k < p_; ++k) d_.theta[k] = TapeRecording::independent(theta_[k]);
      if (!rhs_(t, d_.y.data(), d_.theta.data(), d_.dydt.data())) return OdeStatus::kRhsFailed;
    }
    for (Index i = 0; i < n_; ++i) {
      dz[i] = d_.dydt[i].a;
      d_.outputs[i] = d_.dydt[i].index;
    }
    const double* Jf = d_.jacobian.data();  // row i: ∂fᵢ/∂(y, θ)
    d_.tape.jacobian_rows(d_.outputs.data(), n_, m, d_.jacobian.data(), m, 1, d_.adjoints);
    const double* S = z + n_;
    double* dS = dz + n_;
    for (Index c = 0; c < m; ++c)
      for (Index i = 0; i < n_; ++i) {
        double sum = c >= n_ ? Jf[i * m + c] : 0.0;  // f_θ's column c − n (S's y₀ columns: none)
        for (Index l = 0; l < n_; ++l) sum += Jf[i * m + l] * S[c * n_ + l];
        dS[c * n_ + i] = sum;
      }
    return all_finite(dz, n_ * (1 + m)) ? OdeStatus::kSuccess : OdeStatus::kNonFinite;
  }

 private:
  const Rhs& rhs_;
  OdeWorkspace::TapeBuffers& d_;
};

/// [y₀; vec[I, 0]]: the augmented system's initial value.
inline const double* sensitivity_start(ConstVectorRef<double> y0, Index p, OdeWorkspace& ws) {
  const Index n = y0.size(), m = n + p;
  std::vector<double>& z0 = ws.initial;
  z0.assign(static_cast<std::size_t>(n * (1 + m)), 0.0);
  for (Index i = 0; i < n; ++i) {
    z0[static_cast<std::size_t>(i)] = y0[i];
    z0[static_cast<std::size_t>(n + i * n + i)] = 1;
  }
  return z0.data();
}

template <int C, class Rhs>
OdeResult integrate_sensitivities_chunked(const Rhs& rhs, Index n, Index p,
                                          ConstVectorRef<double> y0, const double* theta,
                                          ConstVectorRef<double> times, double t0,
                                          const OdeOptions& options, Matrix<double>& states,
                                          Matrix<double>& sensitivities, OdeWorkspace& ws) {
  SensitivitySystem<Rhs, C> system(rhs, n, p, theta, ws, states, sensitivities);
  const double* z0 = sensitivity_start(y0, p, ws);
  return run_dormand_prince(system, n, 1 + n + p, z0, t0, times, options, ws);
}

}  // namespace detail

/// Integrates y' = f(t, y, θ), y(t0) = y0, by Dormand-Prince 5(4) with adaptive steps, and
/// writes y(times[k]) into states.col(k) (states is resized to num_states × times.size()).
/// times must be sorted (non-decreasing) and ≥ t0; an output time equal to t0 gets y0. Each
/// step is clipped to end exactly on the next output time (no interpolation). Cost: 6
/// evaluations of f per attempted step (the 7th is reused, FSAL) plus one for the starting step.
/// Throws ConfigError on invalid options, ShapeError on sizes that do not match and ValueError
/// on bad times; numerical failures are returned in the OdeResult. With a workspace reused
/// across calls of the same sizes, nothing is allocated except a failure's message.
template <OdeRightHandSide Rhs>
OdeResult integrate(const Rhs& rhs, Index num_states, Index num_parameters,
                    ConstVectorRef<double> y0, ConstVectorRef<double> theta,
                    ConstVectorRef<double> times, double t0, const OdeOptions& options,
                    Matrix<double>& states, OdeWorkspace* workspace = nullptr) {
  detail::check_ode_arguments(num_states, num_parameters, y0.size(), theta.size(), times, t0,
                              options);
  states.resize(num_states, times.size());
  if (!y0.allFinite() || !theta.allFinite()) return detail::non_finite_input(t0);
  OdeWorkspace local;
  OdeWorkspace& ws = workspace ? *workspace : local;
  detail::StateSystem<Rhs> system(rhs, num_states, theta.data(), states);
  return detail::run_dormand_prince(system, num_states, 1, y0.data(), t0, times, options, ws);
}

/// integrate() for the augmented system y' = f(t, y, θ), S' = f_y S + f_θ, S(t0) = [I, 0], S =
/// ∂y/∂(y0, θ) of size n × (n + p) (columns: the n initial states, then the p parameters).
/// states as integrate(); sensitivities is resized to n × (n + p)·T and holds S(times[k]) in
/// columns k(n + p) … k(n + p) + n + p − 1, i.e. sensitivities.middleCols(k * (n + p), n + p).
/// The step control covers y and S (see OdeOptions), so S is the derivative of the computed
/// solution to about the same tolerance, not that of a finite difference. Cost per stage:
/// ⌈(n + p)/C⌉ evaluations of f on Dual<double, C>, C = 2, 4, 8 or 16 the smallest that holds
/// the n + p columns (16 and several chunks beyond), plus O(n(n + p)) for the stages' sums; in
/// reverse mode (OdeOptions::sensitivity_mode) one recording of f on TapeVar, n sweeps of its
/// tape and n²(n + p) multiply-adds. Throws ConfigError for kReverse when f cannot run on TapeVar.
template <OdeRightHandSide Rhs>
OdeResult integrate_with_sensitivities(const Rhs& rhs, Index num_states, Index num_parameters,
                                       ConstVectorRef<double> y0, ConstVectorRef<double> theta,
                                       ConstVectorRef<double> times, double t0,
                                       const OdeOptions& options, Matrix<double>& states,
                                       Matrix<double>& sensitivities,
                                       OdeWorkspace* workspace = nullptr) {
  detail::check_ode_arguments(num_states, num_parameters, y0.size(), theta.size(), times, t0,
                              options);
  const Index n = num_states, p = num_parameters, m = n + p;
  states.resize(n, times.size());
  sensitivities.resize(n, m * times.size());
  if (!y0.allFinite() || !theta.allFinite()) return detail::non_finite_input(t0);
  OdeWorkspace local;
  OdeWorkspace& ws = workspace ? *workspace : local;
  const double* th = theta.data();
  if constexpr (detail::ReverseOdeRightHandSide<Rhs>) {
    if (options.sensitivity_mode == AutoDiffMode::kReverse ||
        (options.sensitivity_mode == AutoDiffMode::kAuto && reverse_mode_pays(n, m))) {
      detail::TapedSensitivitySystem<Rhs> system(rhs, n, p, th, ws, states, sensitivities);
      const double* z0 = detail::sensitivity_start(y0, p, ws);
      return detail::run_dormand_prince(system, n, 1 + m, z0, t0, times, options, ws);
    }
  } else if (options.sensitivity_mode == AutoDiffMode::kReverse) {
    throw ConfigError(
        "OdeOptions::sensitivity_mode = reverse: the right-hand side must also run on TapeVar "
        "(template <class T> bool operator()(double, const T*, const T*, T*) const)");
  }
  if (m <= 2)
    return detail::integrate_sensitivities_chunked<2>(rhs, n, p, y0, th, times, t0, options, states,
                                                      sensitivities, ws);
  if (m <= 4)
    return detail::integrate_sensitivities_chunked<4>(rhs, n, p, y0, th, times, t0, options, states,
                                                      sensitivities, ws);
  if (m <= 8)
    return detail::integrate_sensitivities_chunked<8>(rhs, n, p, y0, th, times, t0, options, states,
                                                      sensitivities, ws);
  return detail::integrate_sensitivities_chunked<16>(rhs, n, p, y0, th, times, t0, options, states,
                                                     sensitivities, ws);
}

}  // namespace curvopt

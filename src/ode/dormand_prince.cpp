#include "curvopt/ode/dormand_prince.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <utility>

#include "curvopt/core/errors.h"
#include "optim/option_list.h"

namespace curvopt {

std::optional<std::string> OdeOptions::validate() const {
  const char* o = "OdeOptions";
  std::optional<std::string> max_step_error, max_steps_error;
  if (!(max_step > 0)) max_step_error = out_of_range(o, "max_step", max_step, "> 0");
  if (max_steps < 1)
    max_steps_error = "OdeOptions::max_steps = " + std::to_string(max_steps) + ": must be >= 1";
  return first_error({require_positive(o, "relative_tolerance", relative_tolerance),
                      require_positive(o, "absolute_tolerance", absolute_tolerance),
                      require_non_negative(o, "initial_step", initial_step), max_step_error,
                      max_steps_error});
}

std::string_view to_string(OdeStatus status) {
  switch (status) {
    case OdeStatus::kSuccess:
      return "success";
    case OdeStatus::kRhsFailed:
      return "rhs failed";
    case OdeStatus::kNonFinite:
      return "non-finite";
    case OdeStatus::kStepSizeUnderflow:
      return "step size underflow";
    case OdeStatus::kMaxStepsReached:
      return "max steps reached";
  }
  return "unknown";
}

const ButcherTableau& dormand_prince_tableau() {
  // Dormand & Prince (1980), Table 2; e = b − b̂ as in Hairer's dopri5.
  static const ButcherTableau tableau = {
      {0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1},
      {{0},
       {1.0 / 5},
       {3.0 / 40, 9.0 / 40},
       {44.0 / 45, -56.0 / 15, 32.0 / 9},
       {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
       {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
       {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}},
      {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0},
      {71.0 / 57600, 0, -71.0 / 16695, 71.0 / 1920, -17253.0 / 339200, 22.0 / 525, -1.0 / 40}};
  return tableau;
}

namespace detail {

void check_ode_arguments(Index num_states, Index num_parameters, Index y0_size, Index theta_size,
                         ConstVectorRef<double> times, double t0, const OdeOptions& options) {
  if (auto error = options.validate()) throw ConfigError(*error);
  if (num_states < 1)
    throw ShapeError("integrate: num_states = " + std::to_string(num_states) + ": must be >= 1");
  if (num_parameters < 0)
    throw ShapeError("integrate: num_parameters = " + std::to_string(num_parameters) +
                     ": must be >= 0");
  if (y0_size != num_states)
    throw ShapeError("integrate: y0 has " + std::to_string(y0_size) +
                     " entries, num_states = " + std::to_string(num_states));
  if (theta_size != num_parameters)
    throw ShapeError("integrate: theta has " + std::to_string(theta_size) +
                     " entries, num_parameters = " + std::to_string(num_parameters));
  if (!std::isfinite(t0)) throw ValueError("integrate: t0 must be finite");
  for (Index k = 0; k < times.size(); ++k) {
    const double previous = k == 0 ? t0 : times[k - 1];
    if (!std::isfinite(times[k]) || times[k] < previous) {
      std::ostringstream s;
      s << "integrate: times[" << k << "] = " << times[k] << ": must be finite, >= t0 = " << t0
        << " and not below the time before it";
      throw ValueError(s.str());
    }
  }
}

OdeResult non_finite_input(double t0) {
  OdeResult result;
  result.status = OdeStatus::kNonFinite;
  result.message = "the initial state y0 or the parameters theta are not finite";
  result.t = t0;
  return result;
}

namespace {

// Step size control of Hairer's dopri5 (HNW 1993, II.4 and the PI controller of Gustafsson
// 1991 in the form of Hairer & Wanner 1996, IV.2): h_new = h·safety·err^−α·err_old^β, the
// factor kept in [0.2, 10], and no growth right after a rejection.
constexpr double kSafety = 0.9;
constexpr double kMinFactor = 0.2;
constexpr double kMaxFactor = 10;
constexpr double kBeta = 0.04;
constexpr double kAlpha = 0.2 - 0.75 * kBeta;  // 1/(order + 1) − 0.75β, dopri5's expo1

// max over blocks of the RMS of value(i) over each block; NaN propagates (a NaN must fail the
// error test, and std::max would drop it).
template <class Value>
double block_norm(Index block_size, Index num_blocks, Value value) {
  double norm = 0;
  for (Index b = 0; b < num_blocks; ++b) {
    double sum = 0;
    for (Index i = b * block_size; i < (b + 1) * block_size; ++i) {
      const double v = value(i);
      sum += v * v;
    }
    const double rms = std::sqrt(sum / static_cast<double>(block_size));
    if (rms > norm || std::isnan(rms)) norm = rms;
    if (std::isnan(norm)) return norm;
  }
  return norm;
}

std::string describe(OdeStatus status, double t, double h) {
  std::ostringstream s;
  s.precision(17);
  switch (status) {
    case OdeStatus::kRhsFailed:
      s << "the right-hand side returned false";
      break;
    case OdeStatus::kNonFinite:
      s << "the right-hand side returned non-finite values";
      break;
    case OdeStatus::kStepSizeUnderflow:
      s << "the step size the tolerances need underflowed (a singularity or stiffness)";
      break;
    default:
      s << to_string(status);
      break;
  }
  s << " at t = " << t;
  if (h > 0) s << " with the step size reduced to " << h;
  return s.str();
}

}  // namespace

OdeResult run_dormand_prince(AugmentedOdeSystem& system, Index block_size, Index num_blocks,
                             const double* z0, double t0, ConstVectorRef<double> times,
                             const OdeOptions& options, OdeWorkspace& ws) {
  const ButcherTableau& bt = dormand_prince_tableau();
  const Index N = block_size * num_blocks;
  const auto size = static_cast<std::size_t>(N);
  // Setup: every buffer the loop uses, sized once (no allocation when the sizes repeat).
  ws.stages.resize(7 * size);
  ws.z.assign(z0, z0 + N);
  ws.z_stage.resize(size);
  ws.z_new.resize(size);
  double* k[7];
  for (int s = 0; s < 7; ++s) k[s] = ws.stages.data() + s * N;
  double* z = ws.z.data();
  double* z_new = ws.z_new.data();
  double* z_stage = ws.z_stage.data();
  const double rtol = options.relative_tolerance, atol = options.absolute_tolerance;
  const Index T = times.size();

  OdeResult result;
  result.t = t0;
  double t = t0;
  auto fail = [&](OdeStatus status, std::string message) {
    result.status = status;
    result.message = std::move(message);
    result.t = t;
    return result;
  };
  auto emit = [&] {
    while (result.num_outputs < T && times[result.num_outputs] <= t) {
      system.output(result.num_outputs, z);
      ++result.num_outputs;
    }
  };

  ++result.num_rhs_evaluations;
  if (const OdeStatus s = system.derivative(t0, z, k[0]); s != OdeStatus::kSuccess)
    return fail(s, describe(s, t0, 0) + " (the initial point)");
  emit();
  if (result.num_outputs == T) return result;

  double h = options.initial_step;
  if (h == 0) {
    // Starting step of HNW (1993, II.4): h₀ from ‖y₀‖/‖f₀‖, then h₁ from the change of f
    // over an Euler step of h₀, so that h₁⁵·max(‖f₀‖, ‖f'‖) ≈ 0.01.
    const auto scale = [&](Index i) { return atol + rtol * std::abs(z[i]); };
    const double d0 = block_norm(block_size, num_blocks, [&](Index i) { return z[i] / scale(i); });
    const double d1 =
        block_norm(block_size, num_blocks, [&](Index i) { return k[0][i] / scale(i); });
    double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
    h0 = std::min({h0, options.max_step, times[T - 1] - t0});
    for (Index i = 0; i < N; ++i) z_stage[i] = z[i] + h0 * k[0][i];
    ++result.num_rhs_evaluations;
    h = h0;  // if f fails at the Euler point the step control shrinks h from h₀
    if (system.derivative(t0 + h0, z_stage, k[1]) == OdeStatus::kSuccess) {
      const double d2 = block_norm(block_size, num_blocks,
                                   [&](Index i) { return (k[1][i] - k[0][i]) / scale(i); }) /
                        h0;
      const double d = std::max(d1, d2);
      const double h1 = d <= 1e-15 ? std::max(1e-6, h0 * 1e-3) : std::pow(0.01 / d, 0.2);
      h = std::min(100 * h0, h1);
    }
    if (!(h > 0)) h = h0 > 0 ? h0 : 1e-6;
  }

  constexpr double eps = std::numeric_limits<double>::epsilon();
  double err_old = 1e-4;
  bool after_rejection = false;
  OdeStatus last_failure = OdeStatus::kSuccess;
  int attempts = 0;
  while (result.num_outputs < T) {
    if (attempts >= options.max_steps) {
      std::ostringstream s;
      s.precision(17);
      s << "max_steps = " << options.max_steps
        << " steps attempted before t = " << times[result.num_outputs] << "; stopped at t = " << t
        << " with h = " << h << " (a stiff problem, or max_steps too small)";
      return fail(OdeStatus::kMaxStepsReached, s.str());
    }
    const double target = times[result.num_outputs];
    h = std::min(h, options.max_step);
    // A step below the resolution of t would not advance it (dopri5's test): accepted steps
    // shrink like this towards a singularity (y' = y² near its blow-up) without a rejection.
    const double h_min = 16 * eps * std::max(std::abs(t), std::abs(target));
    if (!(h >= h_min)) {
      const OdeStatus why =
          last_failure != OdeStatus::kSuccess ? last_failure : OdeStatus::kStepSizeUnderflow;
      return fail(why, describe(why, t, h) + " (below 16ε|t|)");
    }
    const double h_proposed = h;
    // Land exactly on the output time; stretch by up to 1% rather than leave a sliver (dopri5).
    const bool lands = t + 1.01 * h >= target;
    if (lands) h = target - t;
    const double t_new = lands ? target : t + h;
    ++attempts;

    OdeStatus status = OdeStatus::kSuccess;
    for (int s = 1; s < 7 && status == OdeStatus::kSuccess; ++s) {
      double* point = s < 6 ? z_stage : z_new;  // stage 7 is the new point itself (FSAL)
      for (Index i = 0; i < N; ++i) {
        double sum = 0;
        for (int j = 0; j < s; ++j) sum += bt.a[s][j] * k[j][i];
        point[i] = z[i] + h * sum;
      }
      ++result.num_rhs_evaluations;
      status = system.derivative(s < 6 ? t + bt.c[s] * h : t_new, point, k[s]);
    }
    double err = std::numeric_limits<double>::quiet_NaN();
    if (status == OdeStatus::kSuccess)
      err = block_norm(block_size, num_blocks, [&](Index i) {
        double e = 0;
        for (int j = 0; j < 7; ++j) e += bt.e[j] * k[j][i];
        return h * e / (atol + rtol * std::max(std::abs(z[i]), std::abs(z_new[i])));
      });

    if (err <= 1) {
      ++result.num_accepted_steps;
      const double fac11 = std::pow(err, kAlpha);
      const double factor =
          std::clamp(fac11 / std::pow(err_old, kBeta) / kSafety, 1 / kMaxFactor, 1 / kMinFactor);
      double h_next = h / factor;
      err_old = std::max(err, 1e-4);
      if (after_rejection) h_next = std::min(h_next, h);
      // A step shortened to land on an output time says nothing against the size the
      // controller had proposed; resume from that rather than from the sliver.
      if (lands) h_next = std::max(h_next, h_proposed);
      t = t_new;
      std::swap(z, z_new);
      std::swap(k[0], k[6]);
      h = h_next;
      after_rejection = false;
      last_failure = OdeStatus::kSuccess;
      emit();
      continue;
    }

    ++result.num_rejected_steps;
    after_rejection = true;
    if (status != OdeStatus::kSuccess || !std::isfinite(err)) {
      // f failed or returned NaN/Inf inside the step: the step may have left f's domain, so
      // retry a shorter one; at the initial point of the step f was fine.
      last_failure = status != OdeStatus::kSuccess ? status : OdeStatus::kNonFinite;
      h *= kMinFactor;
    } else {
      last_failure = OdeStatus::kSuccess;
      h /= std::min(1 / kMinFactor, std::pow(err, kAlpha) / kSafety);
    }
  }
  result.t = t;
  return result;
}

}  // namespace detail
}  // namespace curvopt

#pragma once
/// The right-hand side of an ODE model y' = f(t, y, θ), written once as a functor templated on
/// the scalar (Ceres style) so that the integrator can run it on doubles for the states and on
/// dual numbers for the forward sensitivities through the very same code.

#include <concepts>

#include "curvopt/autodiff/dual.h"
#include "curvopt/core/types.h"

namespace curvopt {

/// A user's right-hand side f(t, y, θ) of y' = f(t, y, θ):
///
///     struct LotkaVolterra {
///       template <class T>
///       bool operator()(double t, const T* y, const T* theta, T* dydt) const {
///         dydt[0] = theta[0] * y[0] - theta[1] * y[0] * y[1];
///         dydt[1] = -theta[2] * y[1] + theta[3] * y[0] * y[1];
///         return true;
///       }
///     };
///
/// y has num_states entries, θ num_parameters (possibly none) and dydt num_states. T is double
/// or Dual<double, C> for C in {2, 4, 8, 16}: the integrator seeds the dual parts with the
/// columns of the sensitivity matrix, so the functor must be generic in T, use the elementary
/// functions unqualified (`using std::exp; exp(x)`, found by ADL for duals) and must not branch
/// on anything but values (as any forward-mode tool; Griewank & Walther 2008). Time is a plain
/// double: nothing is differentiated with respect to t.
///
/// Return false where f cannot be evaluated (outside its domain, e.g. a log of a negative
/// state): the integrator then rejects the step and retries a shorter one, and reports
/// OdeStatus::kRhsFailed if that does not help. The functor is called from const code and must
/// be a pure function of its arguments (the adaptive step control retries stages).
template <class F>
concept OdeRightHandSide = requires(const F& f, double t, const double* y, const double* theta,
                                    double* dydt, const Dual<double, 4>* yd,
                                    const Dual<double, 4>* thetad, Dual<double, 4>* dydtd) {
  { f(t, y, theta, dydt) } -> std::convertible_to<bool>;
  { f(t, yd, thetad, dydtd) } -> std::convertible_to<bool>;
};

}  // namespace curvopt

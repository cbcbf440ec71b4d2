#pragma once
/// Residual blocks: a few residuals of a user's model (one data point, one equation) and their
/// Jacobian, by forward-mode dual numbers, by finite differences or from the user's own code.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "curvopt/autodiff/dual.h"
#include "curvopt/autodiff/tape.h"
#include "curvopt/core/errors.h"
#include "curvopt/core/types.h"

namespace curvopt {

/// A size known only at run time (a block's residual count, a problem's parameter count).
inline constexpr int kDynamicSize = -1;

/// Where a block writes its Jacobian: element (i, j) of the block at J[i·row_stride +
/// j·col_stride], so blocks fill a row-major buffer or the rows of a column-major m × n matrix
/// in place.
struct JacobianView {
  double* data = nullptr;
  Index row_stride = 0;
  Index col_stride = 0;
  double& operator()(Index i, Index j) const { return data[i * row_stride + j * col_stride]; }
};

/// m_b residuals of the n parameters of a problem. evaluate() returns false where the model
/// cannot be evaluated (outside its domain): the solver then treats the point as infeasible
/// (a rejected trial), as Ceres does with a cost function that returns false.
class ResidualBlock {
 public:
  virtual ~ResidualBlock() = default;
  virtual Index num_residuals() const = 0;
  /// r (m_b values) at x (n values) and, when J.data is not null, ∂r/∂x into J.
  virtual bool evaluate(const double* x, Index n, double* r, const JacobianView& J) const = 0;
  /// Whether evaluating the residuals alone costs as much as with the Jacobian (an ODE
  /// trajectory integrates its sensitivities either way): a LeastSquaresProblem then keeps the
  /// Jacobian of every trial point.
  virtual bool jacobian_comes_with_residuals() const { return false; }
};

/// The residual functor of Ceres users: `template <class T> bool operator()(const T* params,
/// T* residuals) const`, callable with double and with dual numbers.
template <class F>
concept ResidualFunctor = requires(const F& f, const double* x, double* r,
                                   const Dual<double, 4>* xd, Dual<double, 4>* rd) {
  { f(x, r) } -> std::convertible_to<bool>;
  { f(xd, rd) } -> std::convertible_to<bool>;
};

/// Finite-difference schemes for a functor without dual-number support.
enum class NumericDifference {
  kForward,  ///< (r(x + h eⱼ) − r(x))/h, h = √ε·max(|xⱼ|, 1): n extra evaluations, ~1e-8 accurate
  kCentral,  ///< (r(x + h) − r(x − h))/2h, h = ε^⅓·max(|xⱼ|, 1): 2n evaluations, ~1e-11
  kRidders,  ///< central differences extrapolated to h → 0 (Ridders 1982): ~1e-13, ≤ 20n
};

std::string_view to_string(NumericDifference method);
bool parse_enum(std::string_view text, NumericDifference& out);
std::string enum_choices(NumericDifference);

/// The residual functor can run on TapeVar (reverse mode) as well.
template <class F>
concept ReverseResidualFunctor = requires(const F& f, const TapeVar* x, TapeVar* r) {
  { f(x, r) } -> std::convertible_to<bool>;
};

/// A block whose Jacobian comes from automatic differentiation, exact to rounding.
///
/// Forward mode (AutoDiffMode::kForward): the functor runs once per chunk of C
/// parameter columns with Dual<double, C>. With kParameters = n given at compile time (as Ceres'
/// AutoDiffCostFunction takes it) C = n for n ≤ 32: one pass, no unused lanes. Otherwise C is
/// chosen at run time, the smallest of 2, 4, 8, 12 and 16 that holds n, and chunks of 16 beyond.
///
/// Reverse mode (kReverse): the functor runs once on TapeVar, and the tape is swept once per
/// residual (four at a time). kAuto takes reverse mode where reverse_mode_pays(m_b, n) and the
/// functor accepts TapeVar. Both modes give the residuals of the functor on doubles and the same
/// Jacobian to rounding.
/// Buffers are sized once; evaluation does not allocate afterwards.
template <ResidualFunctor Functor, int kParameters = kDynamicSize>
class AutoDiffResidualBlock final : public ResidualBlock {
 public:
  /// Throws ConfigError for kReverse when the functor cannot run on TapeVar.
  AutoDiffResidualBlock(Functor functor, Index num_residuals,
                        AutoDiffMode mode = AutoDiffMode::kAuto)
      : functor_(std::move(functor)), m_(num_residuals), mode_(mode) {
    if (mode == AutoDiffMode::kReverse && !ReverseResidualFunctor<Functor>)
      throw ConfigError(
          "AutoDiffResidualBlock: reverse mode needs a functor that also runs on TapeVar "
          "(template <class T> bool operator()(const T*, T*) const)");
  }

  AutoDiffMode mode() const { return mode_; }
  /// The mode a Jacobian with n columns is formed in.
  bool uses_reverse_mode(Index n) const {
    if constexpr (!ReverseResidualFunctor<Functor>) {
      return false;
    } else {
      return mode_ == AutoDiffMode::kReverse ||
             (mode_ == AutoDiffMode::kAuto && reverse_mode_pays(m_, n));
    }
  }

  Index num_residuals() const override { return m_; }

  bool evaluate(const double* x, Index n, double* r, const JacobianView& J) const override {
    if (J.data == nullptr) return functor_(x, r);
    if constexpr (ReverseResidualFunctor<Functor>) {
      if (uses_reverse_mode(n)) return evaluate_reverse(x, n, r, J);
    }
    if constexpr (kParameters > 0 && kParameters <= 32) {
      if (n == kParameters) return evaluate_chunks<kParameters>(x, n, r, J);
    }
    if (n <= 2) return evaluate_chunks<2>(x, n, r, J);
    if (n <= 4) return evaluate_chunks<4>(x, n, r, J);
    if (n <= 8) return evaluate_chunks<8>(x, n, r, J);
    if (n <= 12) return evaluate_chunks<12>(x, n, r, J);
    return evaluate_chunks<16>(x, n, r, J);
  }

 private:
  bool evaluate_reverse(const double* x, Index n, double* r, const JacobianView& J) const {
    reverse_.x.resize(static_cast<std::size_t>(n));
    reverse_.r.resize(static_cast<std::size_t>(m_));
    reverse_.outputs.resize(static_cast<std::size_t>(m_));
    {
      TapeRecording recording(reverse_.tape);
      for (Index j = 0; j < n; ++j) reverse_.x[j] = TapeRecording::independent(x[j]);
      if (!functor_(reverse_.x.data(), reverse_.r.data())) return false;
    }
    for (Index i = 0; i < m_; ++i) {
      r[i] = reverse_.r[i].a;
      reverse_.outputs[i] = reverse_.r[i].index;
    }
    reverse_.tape.jacobian_rows(reverse_.outputs.data(), m_, n, J.data, J.row_stride, J.col_stride,
                                reverse_.adjoints);
    return true;
  }

  template <int C>
  bool evaluate_chunks(const double* x, Index n, double* r, const JacobianView& J) const {
    using D = Dual<double, C>;
    std::vector<D>& xd = buffers<C>().x;
    std::vector<D>& rd = buffers<C>().r;
    xd.resize(static_cast<std::size_t>(n));
    rd.resize(static_cast<std::size_t>(m_));
    for (Index start = 0; start < n; start += C) {
      const Index width = std::min<Index>(C, n - start);
      for (Index j = 0; j < n; ++j) xd[j] = D(x[j]);
      for (Index k = 0; k < width; ++k) xd[start + k].v[k] = 1;
      if (!functor_(xd.data(), rd.data())) return false;
      for (Index i = 0; i < m_; ++i)
        for (Index k = 0; k < width; ++k) J(i, start + k) = rd[i].v[k];
    }
    for (Index i = 0; i < m_; ++i) r[i] = rd[i].a;
    return true;
  }

  template <int C>
  struct Buffers {
    std::vector<Dual<double, C>> x, r;
  };
  static constexpr int kExact = kParameters > 0 && kParameters <= 32 ? kParameters : 1;

  template <int C>
  Buffers<C>& buffers() const {
    if constexpr (C == 2)
      return b2_;
    else if constexpr (C == 4)
      return b4_;
    else if constexpr (C == 8)
      return b8_;
    else if constexpr (C == 12)
      return b12_;
    else if constexpr (C == 16)
      return b16_;
    else
      return exact_;
  }

  struct ReverseBuffers {
    Tape tape;
    std::vector<TapeVar> x, r;
    std::vector<std::int32_t> outputs;
    std::vector<double> adjoints;
  };

  Functor functor_;
  Index m_;
  AutoDiffMode mode_;
  mutable ReverseBuffers reverse_;
  mutable Buffers<2> b2_;
  mutable Buffers<4> b4_;
  mutable Buffers<8> b8_;
  mutable Buffers<12> b12_;
  mutable Buffers<16> b16_;
  mutable Buffers<kExact> exact_;  // the compile-time width when it is none of the above
};

namespace detail {
/// The Jacobian of `residuals` (a callable (x, r) → bool on doubles) by finite differences.
/// `x` is perturbed in place and restored; `r0` holds r(x); r1, r2 are scratch of length m.
bool numeric_jacobian(const std::function<bool(const double*, double*)>& residuals,
                      NumericDifference method, double* x, Index n, Index m, const double* r0,
                      double* r1, double* r2, std::vector<double>& tableau, const JacobianView& J);
}  // namespace detail

/// A block whose Jacobian comes from finite differences of a functor on doubles.
template <class Functor>
requires std::is_invocable_r_v<bool, const Functor&, const double*, double*>
class NumericDiffResidualBlock final : public ResidualBlock {
 public:
  NumericDiffResidualBlock(Functor functor, Index num_residuals, NumericDifference method)
      : functor_(std::move(functor)), m_(num_residuals), method_(method) {}

  Index num_residuals() const override { return m_; }

  bool evaluate(const double* x, Index n, double* r, const JacobianView& J) const override {
    if (!functor_(x, r)) return false;
    if (J.data == nullptr) return true;
    x_.assign(x, x + n);
    r1_.resize(static_cast<std::size_t>(m_));
    r2_.resize(static_cast<std::size_t>(m_));
    const auto call = [this](const double* p, double* out) { return functor_(p, out); };
    return detail::numeric_jacobian(call, method_, x_.data(), n, m_, r, r1_.data(), r2_.data(),
                                    tableau_, J);
  }

 private:
  Functor functor_;
  Index m_;
  NumericDifference method_;
  mutable std::vector<double> x_, r1_, r2_, tableau_;
};

/// A user's analytic residuals and Jacobian: `bool(const double* x, double* r, double* J)`
/// with J row-major m_b × n, or null when only r is wanted.
using AnalyticResidualFunction = std::function<bool(const double* x, double* r, double* J)>;
/// The same writing the Jacobian in place: `J(i, j) = ∂rᵢ/∂xⱼ` lands directly in the problem's
/// storage, whatever its layout (no row-major buffer, no copy); J.data is null when only r is
/// wanted. Every entry (i, j), j < n, must be written.
using AnalyticJacobianFunction =
    std::function<bool(const double* x, double* r, const JacobianView& J)>;

class AnalyticResidualBlock final : public ResidualBlock {
 public:
  /// Throws ConfigError when the function is empty.
  AnalyticResidualBlock(AnalyticResidualFunction function, Index num_residuals);
  AnalyticResidualBlock(AnalyticJacobianFunction function, Index num_residuals);
  Index num_residuals() const override { return m_; }
  bool evaluate(const double* x, Index n, double* r, const JacobianView& J) const override;

 private:
  AnalyticResidualFunction row_major_function_;
  AnalyticJacobianFunction in_place_function_;
  Index m_;
  mutable std::vector<double> row_major_;
};

}  // namespace curvopt

#pragma once
/// Descents for Gauss-Newton and Levenberg-Marquardt: ways of solving (JᵀJ + λ·diag(d)) s = b at
/// one point (the "descent" half of descent × search, the split of optimistix).

#include <memory>
#include <string_view>

#include <Eigen/Cholesky>

#include "curvopt/core/types.h"
#include "curvopt/optim/step_report.h"
#include "curvopt/problem/problem.h"

namespace curvopt {

/// The linear-algebra form of a damped Gauss-Newton solve.
enum class GaussNewtonForm {
  kAuto,               ///< by shape and memory (m ≥ n: parameter space; m < n: data space; CG
                       ///< when neither fits)
  kParameterSpace,     ///< n × n: JᵀJ by a symmetric rank-k update, Cholesky (LDLT fallback);
                       ///< accumulated block by block when J itself does not fit
  kDataSpace,          ///< m × m: J D⁻¹ Jᵀ + λI, Cholesky; the minimum-norm form for m < n
  kConjugateGradient,  ///< matrix-free CG on JᵀJ + λ·diag(d) with Gauss-Newton products
};

std::string_view to_string(GaussNewtonForm form);
bool parse_enum(std::string_view text, GaussNewtonForm& out);
std::string enum_choices(GaussNewtonForm);

/// One form. prepare() does the expensive once-per-point work; solve() may then be called for
/// several λ, d and right-hand sides (trial steps, momentum, geodesic correction).
template <class Scalar>
class GaussNewtonDescent {
 public:
  virtual ~GaussNewtonDescent() = default;
  virtual GaussNewtonForm form() const = 0;
  /// Evaluates what the solves need at `params`; false when it is not finite.
  virtual bool prepare(Problem<Scalar>& problem, ConstVectorRef<Scalar> params) = 0;
  /// diag(JᵀJ) at the prepared point, or nullptr when this form cannot give it cheaply.
  virtual const Vector<Scalar>* jtj_diagonal() const = 0;
  /// Solves (JᵀJ + λ·diag(d)) s = b; false when the system could not be solved.
  virtual bool solve(double lambda, ConstVectorRef<Scalar> d, ConstVectorRef<Scalar> b,
                     VectorRef<Scalar> s, int& iterations) = 0;
  /// ‖J s‖² (for the predicted reduction).
  virtual double jacobian_norm_squared(ConstVectorRef<Scalar> s) = 0;
  /// Gauss-Newton products with a vector since prepare() (the matrix-free form's work; 0 for
  /// the forms that factorize a matrix).
  virtual int curvature_products() const { return 0; }

  /// Seconds spent forming J, forming JᵀJ or the Gram, and factorizing, accumulated since the
  /// caller last cleared them (only these three fields are used).
  StepTimes& times() { return times_; }

 protected:
  StepTimes times_;
};

/// Which form kAuto picks for m residuals in `jacobian_blocks` row blocks, n parameters and a
/// memory budget in bytes: parameter space when m ≥ n and JᵀJ, its factor and one block of J
/// fit; data space when J twice and the m × m Gram and factor fit; CG otherwise.
GaussNewtonForm choose_gauss_newton_form(Index m, Index n, std::size_t scalar_bytes,
                                         double memory_budget_bytes, Index jacobian_blocks = 1);

/// Creates a descent of the given (not kAuto) form. CG takes its iteration limit and tolerance;
/// the parameter-space form holds J whole only when J and the n × n matrices fit in
/// memory_budget_bytes, and otherwise accumulates JᵀJ over the problem's Jacobian blocks. The
/// data-space form with use_gram_oracle takes JJᵀ from the problem's Gram oracle and products
/// from jvp/vjp, never forming J; it then solves only with identity damping (d = 1) and gives no
/// diag(JᵀJ).
template <class Scalar>
std::unique_ptr<GaussNewtonDescent<Scalar>> make_gauss_newton_descent(
    GaussNewtonForm form, int cg_max_iterations = 250, double cg_tolerance = 1e-10,
    double memory_budget_bytes = 1073741824.0, bool use_gram_oracle = false);

extern template std::unique_ptr<GaussNewtonDescent<float>> make_gauss_newton_descent<float>(
    GaussNewtonForm, int, double, double, bool);
extern template std::unique_ptr<GaussNewtonDescent<double>> make_gauss_newton_descent<double>(
    GaussNewtonForm, int, double, double, bool);

}  // namespace curvopt

#pragma once
/// A typed-in model y ≈ f(x; θ) (an Expression) fitted to a table: one residual block per data
/// row, differentiated by dual numbers through the expression's program.

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "curvopt/fit/expression.h"
#include "curvopt/problem/least_squares_problem.h"

namespace curvopt {

/// Which symbol of an expression is what: parameter k (θ[k]) or data column c of a row.
struct ExpressionBinding {
  enum class Kind { kParameter, kData };
  Kind kind = Kind::kParameter;
  int index = 0;  ///< k for a parameter, the column for data
};

/// The residual (y − f(x_row; θ))·w of one row, w = 1/σ (1 without σ), as a residual functor
/// for LeastSquaresProblem::add_residual_block. The expression and bindings are shared by all
/// rows; a row keeps only its own numbers.
class ExpressionRowResidual {
 public:
  ExpressionRowResidual(std::shared_ptr<const Expression> expression,
                        std::shared_ptr<const std::vector<ExpressionBinding>> bindings,
                        std::vector<double> row, double target, double weight)
      : expression_(std::move(expression)),
        bindings_(std::move(bindings)),
        row_(std::move(row)),
        target_(target),
        weight_(weight) {}

  template <class T>
  bool operator()(const T* theta, T* residual) const {
    using std::isfinite;
    residual[0] = (target_ - model(theta)) * weight_;
    return isfinite(residual[0]);
  }

  /// f(x_row; θ), on doubles (the fitted curve) or dual numbers.
  template <class T>
  T model(const T* theta) const {
    const std::size_t k = bindings_->size();
    if (k <= kInline) {
      std::array<T, kInline> values{};
      return predict(theta, values.data());
    }
    std::vector<T> values(k);
    return predict(theta, values.data());
  }

 private:
  static constexpr std::size_t kInline = 32;

  template <class T>
  T predict(const T* theta, T* values) const {
    for (std::size_t i = 0; i < bindings_->size(); ++i) {
      const ExpressionBinding& b = (*bindings_)[i];
      values[i] = b.kind == ExpressionBinding::Kind::kParameter
                      ? theta[b.index]
                      : T(row_[static_cast<std::size_t>(b.index)]);
    }
    return expression_->evaluate(values);
  }

  std::shared_ptr<const Expression> expression_;
  std::shared_ptr<const std::vector<ExpressionBinding>> bindings_;
  std::vector<double> row_;  // this row's values of the data columns the bindings name
  double target_, weight_;
};

}  // namespace curvopt

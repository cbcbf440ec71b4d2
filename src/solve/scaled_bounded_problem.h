#pragma once
/// The problem solve() hands its minimizer: the user's problem in Jacobi-scaled variables, with
/// trial points projected onto the bounds and the variables held at a bound fixed (internal).

#include <cstdint>

#include "curvopt/problem/problem.h"

namespace curvopt::detail {

/// g(u) = f(Π(s ⊙ u)) with s > 0 the column scales and Π the projection onto [lower, upper].
/// At a point inside the box the derivatives are those of f in u = x/s, with the columns of
/// the active set — variables at a bound whose gradient pushes them out — zeroed, so a
/// Gauss-Newton step leaves them where they are. Trial points outside the box are evaluated at
/// their projection, so the minimizer's accepted iterate is projected back by solve().
class ScaledBoundedProblem final : public Problem<double> {
 public:
  /// `lower`/`upper` empty for no bounds.
  ScaledBoundedProblem(Problem<double>& inner, Vector<double> scale, Vector<double> lower,
                       Vector<double> upper);

  Index num_parameters() const override { return inner_.num_parameters(); }
  Index num_residuals() const override { return inner_.num_residuals(); }
  OracleSet oracles() const override;
  std::uint64_t data_version() const override { return inner_.data_version(); }

  double value(ConstVectorRef<double> u) override;
  double gradient(ConstVectorRef<double> u, VectorRef<double> grad) override;
  void residuals(ConstVectorRef<double> u, VectorRef<double> r) override;
  void jacobian(ConstVectorRef<double> u, MatrixRef<double> J) override;
  void jvp(ConstVectorRef<double> u, ConstVectorRef<double> v, VectorRef<double> out) override;
  void vjp(ConstVectorRef<double> u, ConstVectorRef<double> w, VectorRef<double> out) override;
  void gram(ConstVectorRef<double> u, MatrixRef<double> G) override;
  void ggn_vector_product(ConstVectorRef<double> u, ConstVectorRef<double> v,
                          VectorRef<double> out) override;
  void gauss_newton_matrix(ConstVectorRef<double> u, MatrixRef<double> JtJ) override;

  /// x = Π(s ⊙ u).
  void to_x(ConstVectorRef<double> u, VectorRef<double> x) const;
  /// u = x / s.
  void to_u(ConstVectorRef<double> x, VectorRef<double> u) const;
  const Vector<double>& scale() const { return scale_; }
  /// ∇f in x at the last point gradient() saw, before masking, and that point.
  const Vector<double>& last_gradient() const { return gradient_x_; }
  const Vector<double>& last_gradient_point() const { return gradient_point_; }
  /// ‖x − Π(x − ∇f)‖∞ at the last gradient point.
  double projected_gradient_max_norm() const;
  /// maxⱼ |pⱼ|/(‖Jⱼ‖·‖r‖) with p the projected gradient x − Π(x − ∇f): the largest cosine
  /// between the residual vector and a Jacobian column (MINPACK's gtol test, Moré 1978), free
  /// of the scales of residuals and parameters. The absolute measure when there is no Jacobian.
  double gradient_cosine();
  std::int64_t num_value_calls() const { return num_value_calls_; }
  std::int64_t num_gradient_calls() const { return num_gradient_calls_; }

 private:
  bool bounded() const { return lower_.size() > 0; }
  /// x_ = Π(s ⊙ u); and the active set there (from ∇f, evaluated when not yet known at x_).
  void map(ConstVectorRef<double> u);
  void update_active_set(ConstVectorRef<double> u);
  /// v ⊙ s with the active entries zeroed, into out.
  void scale_free(ConstVectorRef<double> v, VectorRef<double> out) const;

  Problem<double>& inner_;
  Vector<double> scale_, lower_, upper_;
  Vector<double> x_, gradient_x_, gradient_point_, free_;  // free_: 1 free, 0 active
  Vector<double> v_, w_;
  Matrix<double> J_;
  double gradient_cost_ = 0;  // f at gradient_point_
  Vector<double> projected_;
  std::int64_t num_value_calls_ = 0;
  std::int64_t num_gradient_calls_ = 0;
};

}  // namespace curvopt::detail

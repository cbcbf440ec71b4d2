// The Gauss-Newton matrix as a Problem oracle: the default (accumulated from the Jacobian's row
// blocks) equals JᵀJ, and a decorator that provides only JᵀJ, reduced over shards of the batch as
// a distributed problem would, drives Levenberg-Marquardt along the same trajectory as the whole
// batch without any Jacobian leaving it.

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "curvopt/optim/levenberg_marquardt.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

TEST(GaussNewtonMatrix, DefaultEqualsJTransposeJAndLeavesTheUpperTriangle) {
  testing::SineRegression<double> task(40);
  Problem<double>& problem = *task.objective;
  const Vector<double> theta = task.model.parameters();
  const Index n = theta.size(), m = problem.num_residuals();
  Matrix<double> J(m, n), JtJ = Matrix<double>::Constant(n, n, 7.0);
  problem.jacobian(theta, J);
  problem.gauss_newton_matrix(theta, JtJ);
  const Matrix<double> expected = J.transpose() * J;
  for (Index j = 0; j < n; ++j)
    for (Index i = 0; i < n; ++i) {
      if (i >= j) {
        EXPECT_NEAR(JtJ(i, j), expected(i, j), 1e-12 * (1 + expected.norm())) << i << "," << j;
      } else {
        EXPECT_EQ(JtJ(i, j), 7.0);  // the strict upper triangle is not written
      }
    }
  Matrix<double> wrong(n, n + 1);
  EXPECT_THROW(problem.gauss_newton_matrix(theta, wrong), ShapeError);
  auto plain = testing::quadratic_2d<double>();  // no Jacobian: no default either
  Matrix<double> two(2, 2);
  EXPECT_THROW(plain.gauss_newton_matrix(Vector<double>::Zero(2), two), Error);
}

/// The batch of a mean-reduced objective split into shards, each with its own model copy: the
/// loss and gradient are the shards' example-weighted means, and JᵀJ their weighted sum, as a
/// reduction over processes would form them. It offers no Jacobian.
class ShardedProblem final : public Problem<double> {
 public:
  ShardedProblem(const Sequential<double>& model, const Matrix<double>& inputs,
                 const Matrix<double>& targets, Index first_size)
      : first_model_(model), second_model_(model) {
    const Index b = inputs.cols(), second_size = b - first_size;
    first_ = std::make_unique<Objective<double>>(first_model_, loss_);
    second_ = std::make_unique<Objective<double>>(second_model_, loss_);
    first_inputs_ = inputs.leftCols(first_size);
    first_targets_ = targets.leftCols(first_size);
    second_inputs_ = inputs.rightCols(second_size);
    second_targets_ = targets.rightCols(second_size);
    first_->set_batch(first_inputs_, first_targets_);
    second_->set_batch(second_inputs_, second_targets_);
    w1_ = static_cast<double>(first_size) / static_cast<double>(b);
    w2_ = 1 - w1_;
    g2_.resize(model.num_parameters());
    m2_.resize(model.num_parameters(), model.num_parameters());
  }
  Index num_parameters() const override { return first_->num_parameters(); }
  OracleSet oracles() const override {
    return Oracle::kValue | Oracle::kGradient | Oracle::kResiduals | Oracle::kGaussNewtonMatrix;
  }
  Index num_residuals() const override {
    return first_->num_residuals() + second_->num_residuals();
  }
  double value(ConstVectorRef<double> p) override {
    return w1_ * first_->value(p) + w2_ * second_->value(p);
  }
  double gradient(ConstVectorRef<double> p, VectorRef<double> g) override {
    const double f = w1_ * first_->gradient(p, g);
    const double f2 = second_->gradient(p, g2_);
    g = w1_ * g + w2_ * g2_;
    return f + w2_ * f2;
  }
  void residuals(ConstVectorRef<double> p, VectorRef<double> r) override {
    const Index m1 = first_->num_residuals();
    first_->residuals(p, r.head(m1));
    second_->residuals(p, r.tail(second_->num_residuals()));
    r.head(m1) *= std::sqrt(w1_);
    r.tail(r.size() - m1) *= std::sqrt(w2_);
  }
  void gauss_newton_matrix(ConstVectorRef<double> p, MatrixRef<double> JtJ) override {
    first_->gauss_newton_matrix(p, JtJ);
    second_->gauss_newton_matrix(p, m2_);
    JtJ.triangularView<Eigen::Lower>() = w1_ * JtJ.triangularView<Eigen::Lower>().toDenseMatrix() +
                                         w2_ * m2_.triangularView<Eigen::Lower>().toDenseMatrix();
  }

 private:
  Sequential<double> first_model_, second_model_;
  SquaredError<double> loss_;
  std::unique_ptr<Objective<double>> first_, second_;
  Matrix<double> first_inputs_, first_targets_, second_inputs_, second_targets_, m2_;
  Vector<double> g2_;
  double w1_ = 0, w2_ = 0;
};

TEST(GaussNewtonMatrix, AShardedDecoratorMatchesTheWholeBatch) {
  testing::SineRegression<double> task(40);
  ShardedProblem sharded(task.model, task.inputs, task.targets, 24);
  const Vector<double> theta0 = task.model.parameters();
  const Index n = theta0.size();
  // The reduction is exact: the shards' weighted JᵀJ is the whole batch's.
  Matrix<double> whole(n, n), reduced(n, n);
  task.objective->gauss_newton_matrix(theta0, whole);
  sharded.gauss_newton_matrix(theta0, reduced);
  const Matrix<double> difference = (whole - reduced).triangularView<Eigen::Lower>();
  EXPECT_LT(difference.norm(), 1e-12 * whole.norm());
  EXPECT_NEAR(sharded.value(theta0), task.objective->value(theta0), 1e-14);

  // Ten LM steps each: the same trajectory up to rounding, and the sharded run never asked for J.
  LevenbergMarquardt<double> on_whole({.form = GaussNewtonForm::kParameterSpace});
  LevenbergMarquardt<double> on_shards;  // auto picks parameter space: only JᵀJ is offered
  Vector<double> a = theta0, b = theta0;
  for (int k = 0; k < 10; ++k) {
    const StepReport ra = on_whole.step(*task.objective, a);
    const StepReport rb = on_shards.step(sharded, b);
    EXPECT_EQ(rb.solver, "parameter-space");
    EXPECT_EQ(ra.status, rb.status) << "step " << k;
    EXPECT_NEAR(ra.loss_before, rb.loss_before, 1e-10 * ra.loss_before) << "step " << k;
  }
  EXPECT_LT((a - b).norm(), 1e-8 * a.norm());
  EXPECT_LT(task.objective->value(a), 0.5 * task.objective->value(theta0));
}

}  // namespace
}  // namespace curvopt

#include "curvopt/loss/loss.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "curvopt/core/errors.h"
#include "curvopt/loss/sigmoid_cross_entropy.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/loss/squared_error.h"
#include "testing/helpers.h"

namespace curvopt {
namespace {

using Mat = Matrix<double>;
using testing::random_matrix;
using testing::relative_error;

struct Case {
  std::string name;
  std::shared_ptr<Loss<double>> loss;
  Mat targets;
};

std::vector<Case> cases(Index c, Index b, Rng& rng) {
  Mat labels(1, b), one_hot = Mat::Zero(c, b), soft(c, b), binary(c, b);
  for (Index s = 0; s < b; ++s) {
    labels(0, s) = static_cast<double>(rng.uniform_int(static_cast<std::uint64_t>(c)));
    one_hot(static_cast<Index>(labels(0, s)), s) = 1;
    for (Index k = 0; k < c; ++k) soft(k, s) = rng.uniform(0.1, 1.0);
    soft.col(s) /= soft.col(s).sum();
    for (Index k = 0; k < c; ++k) binary(k, s) = rng.uniform();
  }
  using R = Reduction;
  return {
      {"se_mean", std::make_shared<SquaredError<double>>(R::kMean), random_matrix(c, b, rng)},
      {"se_sum", std::make_shared<SquaredError<double>>(R::kSum), random_matrix(c, b, rng)},
      {"se_half", std::make_shared<SquaredError<double>>(R::kHalfSum), random_matrix(c, b, rng)},
      {"ce_labels", std::make_shared<SoftmaxCrossEntropy<double>>(R::kMean), labels},
      {"ce_onehot", std::make_shared<SoftmaxCrossEntropy<double>>(R::kSum), one_hot},
      {"ce_soft", std::make_shared<SoftmaxCrossEntropy<double>>(R::kMean), soft},
      {"bce_mean", std::make_shared<SigmoidCrossEntropy<double>>(R::kMean), binary},
      {"bce_sum", std::make_shared<SigmoidCrossEntropy<double>>(R::kSum), binary},
  };
}

TEST(Loss, GradientHessianAndFactorIdentities) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Rng rng(seed);
    const Index c = 2 + static_cast<Index>(rng.uniform_int(3)),
                b = 1 + static_cast<Index>(rng.uniform_int(4));
    for (const Case& tc : cases(c, b, rng)) {
      SCOPED_TRACE(tc.name + " seed " + std::to_string(seed));
      const Loss<double>& loss = *tc.loss;
      loss.check_targets(c, tc.targets);
      const Mat Z = random_matrix(c, b, rng);
      const double h = 1e-6;
      // Gradient against finite differences of the value.
      Mat grad(c, b), grad_fd(c, b);
      loss.gradient(Z, tc.targets, grad);
      for (Index i = 0; i < Z.size(); ++i) {
        Mat zp = Z, zm = Z;
        zp.data()[i] += h;
        zm.data()[i] -= h;
        grad_fd.data()[i] = (loss.value(zp, tc.targets) - loss.value(zm, tc.targets)) / (2 * h);
      }
      EXPECT_LT(relative_error(grad, grad_fd), 1e-7);
      // Hessian product against finite differences of the gradient.
      const Mat V = random_matrix(c, b, rng);
      Mat hv(c, b), gp(c, b), gm(c, b);
      loss.hessian_product(Z, tc.targets, V, hv);
      loss.gradient(Z + h * V, tc.targets, gp);
      loss.gradient(Z - h * V, tc.targets, gm);
      EXPECT_LT(relative_error(hv, ((gp - gm) / (2 * h)).eval()), 1e-7);
      // Per example: Q Qᵀ = H, Qᵀ v, Q u, and Q r̂ = ∇ℓ.
      Mat R(c, b);
      loss.residuals(Z, tc.targets, R);
      Mat Qr(c, b);
      loss.factor_product(Z, R, Qr);
      EXPECT_LT(relative_error(Qr, grad), 1e-10);
      std::vector<Mat> Q(static_cast<std::size_t>(b), Mat(c, c)), H = Q;
      Mat col(c, b), basis(c, b), hcol(c, b);
      for (Index k = 0; k < c; ++k) {
        loss.factor_column(Z, k, col);
        basis.setZero();
        basis.row(k).setOnes();
        loss.hessian_product(Z, tc.targets, basis, hcol);
        for (Index s = 0; s < b; ++s) {
          Q[s].col(k) = col.col(s);
          H[s].col(k) = hcol.col(s);
        }
      }
      Mat qtv(c, b), qu(c, b);
      loss.factor_transpose_product(Z, V, qtv);
      loss.factor_product(Z, V, qu);
      for (Index s = 0; s < b; ++s) {
        EXPECT_LT(relative_error((Q[s] * Q[s].transpose()).eval(), H[s]), 1e-12);
        EXPECT_LT(relative_error(qtv.col(s).eval(), (Q[s].transpose() * V.col(s)).eval()), 1e-12);
        EXPECT_LT(relative_error(qu.col(s).eval(), (Q[s] * V.col(s)).eval()), 1e-12);
      }
      if (tc.name.rfind("se", 0) == 0) {
        EXPECT_NEAR(0.5 * R.squaredNorm(), loss.value(Z, tc.targets), 1e-12);
      }
    }
  }
}

TEST(Loss, KnownValuesAndReductions) {
  Mat Z = Mat::Zero(3, 2), labels(1, 2);
  labels << 0, 2;
  SoftmaxCrossEntropy<double> ce_mean(Reduction::kMean), ce_sum(Reduction::kSum);
  EXPECT_NEAR(ce_mean.value(Z, labels), std::log(3.0), 1e-15);
  EXPECT_NEAR(ce_sum.value(Z, labels), 2 * std::log(3.0), 1e-15);
  Mat Y = Mat::Ones(3, 2);
  SquaredError<double> mean(Reduction::kMean), half(Reduction::kHalfSum);
  EXPECT_DOUBLE_EQ(mean.value(Z, Y), 1.0);  // PyTorch MSELoss: mean over all 6 elements
  EXPECT_DOUBLE_EQ(half.value(Z, Y), 3.0);
  SigmoidCrossEntropy<double> bce(Reduction::kMean);
  EXPECT_NEAR(bce.value(Z, Y), std::log(2.0), 1e-15);
  // Extreme logits stay finite.
  Mat big(1, 1), one(1, 1), zero(1, 1);
  big << 1000;
  one << 1;
  zero << 0;
  SigmoidCrossEntropy<double> bce_sum(Reduction::kSum);
  EXPECT_NEAR(bce_sum.value(big, zero), 1000.0, 1e-9);
  EXPECT_NEAR(bce_sum.value(big, one), 0.0, 1e-12);
  Mat logits(2, 1), label(1, 1);
  logits << 1000, -1000;
  label << 1;
  EXPECT_NEAR(ce_sum.value(logits, label), 2000.0, 1e-9);
  EXPECT_EQ(parse_reduction(to_string(Reduction::kHalfSum)), Reduction::kHalfSum);
}

TEST(Loss, SampledTargetsFollowThePredictiveDistribution) {
  Rng rng(5);
  const Index b = 20000;
  Mat Z(3, b);
  Z.colwise() = Vector<double>::LinSpaced(3, -1.0, 1.0);
  SoftmaxCrossEntropy<double> ce;
  Mat Y(3, b);
  ce.sample_targets(Z, rng, Y);
  const Vector<double> p = (Z.col(0).array().exp() / Z.col(0).array().exp().sum()).matrix();
  EXPECT_LT((Y.rowwise().mean() - p).cwiseAbs().maxCoeff(), 0.015);
  EXPECT_TRUE((Y.colwise().sum().array() == 1.0).all());
  SigmoidCrossEntropy<double> bce;
  bce.sample_targets(Z, rng, Y);
  const Vector<double> sigma = (1.0 / (1.0 + (-Z.col(0).array()).exp())).matrix();
  EXPECT_LT((Y.rowwise().mean() - sigma).cwiseAbs().maxCoeff(), 0.015);
  SquaredError<double> se;
  se.sample_targets(Z, rng, Y);
  EXPECT_LT((Y.rowwise().mean() - Z.col(0)).cwiseAbs().maxCoeff(), 0.03);
}

TEST(Loss, BadTargetsNameTheLossAndTheProblem) {
  SoftmaxCrossEntropy<float> ce;
  Matrix<float> labels(1, 3);
  labels << 0, 3, 1;
  try {
    ce.check_targets(3, labels);
    FAIL();
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("SoftmaxCrossEntropy"), std::string::npos) << what;
    EXPECT_NE(what.find("example 1"), std::string::npos) << what;
    EXPECT_NE(what.find("[0, 3)"), std::string::npos) << what;
  }
  Matrix<float> wrong_rows(2, 3);
  wrong_rows.setConstant(0.5f);
  EXPECT_THROW(ce.check_targets(3, wrong_rows), ShapeError);
  Matrix<float> not_normalized = Matrix<float>::Constant(3, 1, 0.5f);
  EXPECT_THROW(ce.check_targets(3, not_normalized), ValueError);
  SigmoidCrossEntropy<float> bce;
  Matrix<float> out_of_range = Matrix<float>::Constant(2, 1, 1.5f);
  EXPECT_THROW(bce.check_targets(2, out_of_range), ValueError);
  SquaredError<float> se;
  Matrix<float> nan_target = Matrix<float>::Constant(1, 2, NAN);
  EXPECT_THROW(se.check_targets(1, nan_target), ValueError);
  EXPECT_THROW(se.check_targets(2, nan_target), ShapeError);
}

}  // namespace
}  // namespace curvopt

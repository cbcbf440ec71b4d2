#include "curvopt/loss/loss.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "curvopt/core/errors.h"
#include "curvopt/loss/sigmoid_cross_entropy.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/loss/softmax_squared_error.h"
#include "curvopt/loss/squared_error.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/dense.h"
#include "curvopt/problem/derivative_checker.h"
#include "curvopt/problem/objective.h"
#include "testing/helpers.h"

namespace curvopt {
namespace {

using Mat = Matrix<double>;
using testing::random_matrix;
using testing::random_vector;
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
      {"sse_labels", std::make_shared<SoftmaxSquaredError<double>>(R::kMean), labels},
      {"sse_onehot", std::make_shared<SoftmaxSquaredError<double>>(R::kSum), one_hot},
      {"sse_soft", std::make_shared<SoftmaxSquaredError<double>>(R::kHalfSum), soft},
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
      // Q Qᵀ is the loss Hessian for the losses convex in z, its Gauss-Newton part otherwise.
      const auto* softmax_se = dynamic_cast<const SoftmaxSquaredError<double>*>(&loss);
      std::vector<Mat> Q(static_cast<std::size_t>(b), Mat(c, c)), H = Q;
      Mat col(c, b), basis(c, b), hcol(c, b);
      for (Index k = 0; k < c; ++k) {
        loss.factor_column(Z, k, col);
        basis.setZero();
        basis.row(k).setOnes();
        if (softmax_se)
          softmax_se->gauss_newton_product(Z, tc.targets, basis, hcol);
        else
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
      if (loss.residuals_are_exact()) {
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

TEST(Loss, PredictionsAreOnTheTargetsScale) {
  Mat Z(2, 2), P(2, 2);
  Z << 0, 2, -1, 40;
  SquaredError<double> squared;
  squared.predictions(Z, P);
  EXPECT_EQ(P, Z);
  SigmoidCrossEntropy<double> bce;
  bce.predictions(Z, P);
  for (Index i = 0; i < Z.size(); ++i)
    EXPECT_NEAR(P.data()[i], 1 / (1 + std::exp(-Z.data()[i])), 1e-15);
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

TEST(Loss, ExampleValuesAreEachExamplesShareOfTheLoss) {
  // Σₛ outₛ = value, and outₛ depends on column s alone, with gradient column s of dZ (central
  // differences: error O(h²) ≈ 1e-12 against values of order 1).
  Rng rng(23);
  const Index c = 3, b = 4;
  const double h = 1e-5;
  for (const Case& tc : cases(c, b, rng)) {
    SCOPED_TRACE(tc.name);
    const Loss<double>& loss = *tc.loss;
    const Mat Z = random_matrix(c, b, rng);
    Vector<double> out(b), plus(b), minus(b);
    loss.example_values(Z, tc.targets, out);
    EXPECT_NEAR(out.sum(), loss.value(Z, tc.targets), 1e-12 * std::max(1.0, std::abs(out.sum())));
    Mat dZ(c, b);
    loss.gradient(Z, tc.targets, dZ);
    for (Index s = 0; s < b; ++s) {
      for (Index k = 0; k < c; ++k) {
        Mat Zp = Z, Zm = Z;
        Zp(k, s) += h;
        Zm(k, s) -= h;
        loss.example_values(Zp, tc.targets, plus);
        loss.example_values(Zm, tc.targets, minus);
        const Vector<double> derivative = (plus - minus) / (2 * h);
        for (Index t = 0; t < b; ++t)
          EXPECT_NEAR(derivative(t), t == s ? dZ(k, s) : 0.0, 1e-7)
              << "d out(" << t << ") / dZ(" << k << ", " << s << ")";
      }
    }
  }
}

TEST(Loss, SampledGaussNewtonCotangentsAreUnbiased) {
  // E[U_s U_sᵀ] = Q_s Q_sᵀ, the Gauss-Newton block of each example, for every loss and
  // reduction. The products U_i U_j lie in [−B, B], so the mean of N draws is off by more than
  // 6B/√N only with negligible probability (Hoeffding); the seed makes the run deterministic.
  Rng rng(17);
  const Index c = 3, b = 2, draws = 20000;
  for (const Case& tc : cases(c, b, rng)) {
    SCOPED_TRACE(tc.name);
    const Loss<double>& loss = *tc.loss;
    const Mat Z = random_matrix(c, b, rng);
    Mat U(c, b), GV(c, b), E(c, b);
    for (Index s = 0; s < b; ++s) {
      Mat mean = Mat::Zero(c, c);
      double bound = 0;
      for (Index t = 0; t < draws; ++t) {
        loss.sample_gauss_newton_cotangents(Z, rng, U);
        const Mat outer = U.col(s) * U.col(s).transpose();
        mean += outer / static_cast<double>(draws);
        bound = std::max(bound, outer.cwiseAbs().maxCoeff());
      }
      Mat exact(c, c);
      for (Index k = 0; k < c; ++k) {
        E.setZero();
        E(k, s) = 1;
        loss.gauss_newton_product(Z, tc.targets, E, GV);
        exact.col(k) = GV.col(s);
      }
      const double tolerance = 6 * bound / std::sqrt(static_cast<double>(draws));
      EXPECT_LT((mean - exact).cwiseAbs().maxCoeff(), tolerance) << "example " << s << "\nmean\n"
                                                                 << mean << "\nexact\n"
                                                                 << exact;
      EXPECT_GT(exact.cwiseAbs().maxCoeff(), tolerance);  // the check has power
    }
  }
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

/// Column-wise softmax, written independently of the losses.
Mat softmax(const Mat& Z) {
  Mat P = Z.array().exp().matrix();
  for (Index s = 0; s < P.cols(); ++s) P.col(s) /= P.col(s).sum();
  return P;
}

TEST(SoftmaxSquaredError, KnownValuesReductionsAndStability) {
  Mat Z = Mat::Zero(3, 2), labels(1, 2), one_hot = Mat::Zero(3, 2);
  labels << 0, 2;
  one_hot(0, 0) = one_hot(2, 1) = 1;
  // p = 1/3 everywhere: ‖p − e‖² = 4/9 + 2/9 = 2/3 per example.
  SoftmaxSquaredError<double> mean, sum(Reduction::kSum), half(Reduction::kHalfSum);
  EXPECT_NEAR(mean.value(Z, labels), 4.0 / 3.0 / 6.0, 1e-15);  // Keras mse: over all 6 elements
  EXPECT_NEAR(sum.value(Z, labels), 4.0 / 3.0, 1e-15);
  EXPECT_NEAR(half.value(Z, labels), 2.0 / 3.0, 1e-15);
  EXPECT_EQ(mean.reduction(), Reduction::kMean);
  EXPECT_EQ(mean.type(), "SoftmaxSquaredError");
  EXPECT_TRUE(mean.residuals_are_exact());
  // Class indices and one-hot columns are the same targets in every face.
  Rng rng(4);
  Z = random_matrix(3, 2, rng);
  const Mat V = random_matrix(3, 2, rng);
  Mat a(3, 2), b(3, 2);
  EXPECT_DOUBLE_EQ(mean.value(Z, labels), mean.value(Z, one_hot));
  mean.gradient(Z, labels, a);
  mean.gradient(Z, one_hot, b);
  EXPECT_EQ(a, b);
  mean.hessian_product(Z, labels, V, a);
  mean.hessian_product(Z, one_hot, V, b);
  EXPECT_EQ(a, b);
  mean.residuals(Z, labels, a);
  mean.residuals(Z, one_hot, b);
  EXPECT_EQ(a, b);
  // Extreme logits: the column maximum is subtracted, nothing overflows.
  Mat logits(2, 1), label(1, 1), grad(2, 1);
  logits << 1000, -1000;
  label << 1;
  EXPECT_NEAR(sum.value(logits, label), 2.0, 1e-15);  // p = (1, 0), y = (0, 1)
  sum.gradient(logits, label, grad);
  EXPECT_TRUE(grad.allFinite());
  // Float agrees with double.
  SoftmaxSquaredError<float> mean_f;
  const Matrix<float> Zf = Z.cast<float>(), labels_f = labels.cast<float>();
  EXPECT_NEAR(mean_f.value(Zf, labels_f), mean.value(Z, labels), 1e-6);
  Matrix<float> grad_f(3, 2);
  mean_f.gradient(Zf, labels_f, grad_f);
  mean.gradient(Z, labels, a);
  EXPECT_LT(relative_error(grad_f, a), 1e-6);
}

TEST(SoftmaxSquaredError, LeastSquaresFaceIsTheTrueResidual) {
  Rng rng(6);
  const Index c = 4, b = 5;
  const Mat Z = random_matrix(c, b, rng, 2.0);
  Mat labels(1, b);
  for (Index s = 0; s < b; ++s)
    labels(0, s) = static_cast<double>(rng.uniform_int(static_cast<std::uint64_t>(c)));
  Mat Y = Mat::Zero(c, b);
  for (Index s = 0; s < b; ++s) Y(static_cast<Index>(labels(0, s)), s) = 1;
  const Mat P = softmax(Z), V = random_matrix(c, b, rng);
  for (Reduction reduction : {Reduction::kMean, Reduction::kSum, Reduction::kHalfSum}) {
    SCOPED_TRACE(to_string(reduction));
    SoftmaxSquaredError<double> loss(reduction);
    const double k = loss.scale(b, c);
    EXPECT_DOUBLE_EQ(k, reduction == Reduction::kMean  ? 1.0 / (b * c)
                        : reduction == Reduction::kSum ? 1.0
                                                       : 0.5);
    // r̂ = √(2k)(p − y), ½‖r̂‖² = loss.
    Mat R(c, b);
    loss.residuals(Z, labels, R);
    EXPECT_LT(relative_error(R, (std::sqrt(2 * k) * (P - Y)).eval()), 1e-14);
    EXPECT_NEAR(0.5 * R.squaredNorm(), loss.value(Z, labels), 1e-14);
    EXPECT_NEAR(loss.value(Z, labels), k * (P - Y).squaredNorm(), 1e-14);
    // Q_s = √(2k) J_s with J_s = diag p − ppᵀ; gradient 2k J (p − y); Gauss-Newton 2k J².
    Mat qv(c, b), qtv(c, b), grad(c, b), gv(c, b), col(c, b);
    loss.factor_product(Z, V, qv);
    loss.factor_transpose_product(Z, V, qtv);
    loss.gradient(Z, labels, grad);
    loss.gauss_newton_product(Z, labels, V, gv);
    for (Index s = 0; s < b; ++s) {
      const Vector<double> p = P.col(s);
      const Mat J = Mat(p.asDiagonal()) - p * p.transpose();
      EXPECT_LT(relative_error(qv.col(s).eval(), (std::sqrt(2 * k) * J * V.col(s)).eval()), 1e-14);
      EXPECT_LT(relative_error(qtv.col(s).eval(), qv.col(s).eval()), 1e-15);
      EXPECT_LT(relative_error(grad.col(s).eval(), (2 * k * J * (p - Y.col(s))).eval()), 1e-14);
      EXPECT_LT(relative_error(gv.col(s).eval(), (2 * k * J * J * V.col(s)).eval()), 1e-14);
    }
    for (Index j = 0; j < c; ++j) {
      loss.factor_column(Z, j, col);
      for (Index s = 0; s < b; ++s) {
        const Vector<double> p = P.col(s);
        const Mat J = Mat(p.asDiagonal()) - p * p.transpose();
        EXPECT_LT(relative_error(col.col(s).eval(), (std::sqrt(2 * k) * J.col(j)).eval()), 1e-14);
      }
    }
    // The exact Hessian has second-order terms in r: it differs from the Gauss-Newton block
    // away from a zero residual and equals it at y = p.
    Mat hv(c, b);
    loss.hessian_product(Z, labels, V, hv);
    EXPECT_GT((hv - gv).norm(), 1e-3 * k);
    loss.hessian_product(Z, P, V, hv);
    loss.gauss_newton_product(Z, P, V, gv);
    EXPECT_LT(relative_error(hv, gv), 1e-15);
  }
}

TEST(SoftmaxSquaredError, SampledTargetsAreGaussianAroundTheProbabilities) {
  Rng rng(7);
  const Index b = 20000;
  Mat Z(3, b);
  Z.colwise() = Vector<double>::LinSpaced(3, -1.0, 1.0);
  SoftmaxSquaredError<double> loss;
  Mat Y(3, b);
  loss.sample_targets(Z, rng, Y);
  const Vector<double> p = softmax(Z.col(0));
  EXPECT_LT((Y.rowwise().mean() - p).cwiseAbs().maxCoeff(), 0.03);
  const Mat centered = Y.colwise() - p;
  const Mat covariance = centered * centered.transpose() / static_cast<double>(b);
  EXPECT_LT((covariance - Mat::Identity(3, 3)).cwiseAbs().maxCoeff(), 0.05);
}

TEST(SoftmaxSquaredError, BadTargetsNameTheLossAndTheProblem) {
  SoftmaxSquaredError<float> loss;
  Matrix<float> labels(1, 3);
  labels << 0, 3, 1;
  try {
    loss.check_targets(3, labels);
    FAIL();
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("SoftmaxSquaredError"), std::string::npos) << what;
    EXPECT_NE(what.find("example 1"), std::string::npos) << what;
    EXPECT_NE(what.find("[0, 3)"), std::string::npos) << what;
  }
  labels << 0, 1.5f, 1;
  EXPECT_THROW(loss.check_targets(3, labels), ValueError);
  labels << 0, 2, 1;
  EXPECT_NO_THROW(loss.check_targets(3, labels));
  Matrix<float> wrong_rows = Matrix<float>::Constant(2, 3, 0.5f);
  try {
    loss.check_targets(3, wrong_rows);
    FAIL();
  } catch (const ShapeError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("SoftmaxSquaredError: target rows is 2"), std::string::npos) << what;
  }
  Matrix<float> dense = Matrix<float>::Constant(3, 2, 0.25f);
  EXPECT_NO_THROW(loss.check_targets(3, dense));  // column sums are not required to be 1
  dense(2, 1) = 1.5f;
  try {
    loss.check_targets(3, dense);
    FAIL();
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("SoftmaxSquaredError: target 2 of example 1 is 1.5"), std::string::npos)
        << what;
    EXPECT_NE(what.find("[0, 1]"), std::string::npos) << what;
  }
  dense(2, 1) = NAN;
  EXPECT_THROW(loss.check_targets(3, dense), ValueError);
  dense(2, 1) = -0.1f;
  EXPECT_THROW(loss.check_targets(3, dense), ValueError);
}

/// The Iris-like network of Brust (2021), smooth (Tanh) so that finite differences are clean.
template <class Scalar>
Sequential<Scalar> softmax_network() {
  Sequential<Scalar> model(Shape::flat(4));
  model.template add<Dense>(Index(6));
  model.template add<Tanh>();
  model.template add<Dense>(Index(3));
  model.initialize(Initializer::kGlorotUniform, 3);
  return model;
}

struct SoftmaxObjectiveFixture {
  static constexpr Index kBatch = 5, kClasses = 3;
  Rng rng{8};
  Mat X = random_matrix(4, kBatch, rng);
  Mat labels = [this] {
    Mat y(1, kBatch);
    for (Index s = 0; s < kBatch; ++s)
      y(0, s) = static_cast<double>(rng.uniform_int(static_cast<std::uint64_t>(kClasses)));
    return y;
  }();
  Sequential<double> model = softmax_network<double>();
  SoftmaxSquaredError<double> loss;
  Objective<double> objective{model, loss};
  SoftmaxObjectiveFixture() { objective.set_batch(X, labels); }
};

TEST(SoftmaxSquaredError, ObjectivePassesTheDerivativeChecker) {
  SoftmaxObjectiveFixture fx;
  DerivativeCheckOptions options;
  options.num_directions = 4;
  const auto report = check_derivatives(fx.objective, fx.model.parameters(), options);
  EXPECT_TRUE(report.passed) << report.log;
  EXPECT_LT(report.gradient_error, 1e-8) << report.log;
  EXPECT_LT(report.hessian_error, 1e-8) << report.log;
  ASSERT_TRUE(report.jacobian_error.has_value());  // the residuals are exact
  EXPECT_LT(*report.jacobian_error, 1e-8) << report.log;

  // Float, one-hot targets, at the float default tolerance.
  Sequential<float> model_f = softmax_network<float>();
  SoftmaxSquaredError<float> loss_f(Reduction::kSum);
  Objective<float> objective_f(model_f, loss_f);
  const Matrix<float> Xf = fx.X.cast<float>();
  Matrix<float> one_hot = Matrix<float>::Zero(3, fx.kBatch);
  for (Index s = 0; s < fx.kBatch; ++s) one_hot(static_cast<Index>(fx.labels(0, s)), s) = 1;
  objective_f.set_batch(Xf, one_hot);
  const auto report_f = check_derivatives(objective_f, model_f.parameters());
  EXPECT_TRUE(report_f.passed) << report_f.log;
  EXPECT_TRUE(report_f.jacobian_error.has_value());
}

TEST(SoftmaxSquaredError, ObjectiveJacobianIsTheResidualJacobian) {
  SoftmaxObjectiveFixture fx;
  const Index n = fx.objective.num_parameters(), b = fx.kBatch, c = fx.kClasses, m = b * c;
  const Vector<double> theta = fx.model.parameters();
  Mat J(m, n);
  fx.objective.jacobian(theta, J);
  Vector<double> r(m), grad(n);
  fx.objective.residuals(theta, r);
  const double f = fx.objective.gradient(theta, grad);
  EXPECT_NEAR(0.5 * r.squaredNorm(), f, 1e-14) << "½‖r̂‖² = f";
  EXPECT_LT(relative_error((J.transpose() * r).eval(), grad), 1e-13) << "Jᵀr̂ = ∇f";
  // J = ∂r̂/∂θ column by column; and JᵀJ v = J_zᵀ (2k J_p²) J_z v with J_z = ∂z/∂θ, both by
  // finite differences (independent of every reverse-mode pass).
  const double h = 1e-6;
  Mat J_fd(m, n), Jz(m, n);
  Vector<double> probe = theta, rp(m), rm(m);
  auto outputs_at = [&](const Vector<double>& th) {
    probe = th;
    fx.model.bind_parameters(probe.data(), n);
    return Mat(fx.model.forward(fx.X));
  };
  for (Index i = 0; i < n; ++i) {
    Vector<double> tp = theta, tm = theta;
    tp[i] += h;
    tm[i] -= h;
    fx.objective.residuals(tp, rp);
    fx.objective.residuals(tm, rm);
    J_fd.col(i) = (rp - rm) / (2 * h);
    const Mat d = (outputs_at(tp) - outputs_at(tm)) / (2 * h);
    for (Index k = 0; k < c; ++k) Jz.col(i).segment(k * b, b) = d.row(k).transpose();
  }
  EXPECT_LT(relative_error(J, J_fd), 1e-8) << "J = ∂r̂/∂θ";
  const Mat Z = outputs_at(theta);
  Rng rng(9);
  const Vector<double> v = random_vector(n, rng), jzv = Jz * v;
  Mat jzv_mat(c, b), gjzv(c, b);
  for (Index k = 0; k < c; ++k) jzv_mat.row(k) = jzv.segment(k * b, b).transpose();
  fx.loss.gauss_newton_product(Z, fx.labels, jzv_mat, gjzv);
  Vector<double> gjzv_vec(m);
  for (Index k = 0; k < c; ++k) gjzv_vec.segment(k * b, b) = gjzv.row(k).transpose();
  EXPECT_LT(relative_error((J.transpose() * (J * v)).eval(), (Jz.transpose() * gjzv_vec).eval()),
            1e-8)
      << "JᵀJ v = J_zᵀ (Q Qᵀ) J_z v";
  Mat G(m, m);
  fx.objective.gram(theta, G);
  EXPECT_LT(relative_error(G, (J * J.transpose()).eval()), 1e-13) << "Gram = J Jᵀ";
}

// Objective::ggn_vector_product forms J_zᵀ H J_z with the loss's exact hessian_product(); for this
// loss (not convex in z) that is not JᵀJ. Enable once Loss has a Gauss-Newton product hook
// (defaulting to hessian_product) that Objective::ggn_vector_product calls.
TEST(SoftmaxSquaredError, ObjectiveGgnProductIsJacobianGram) {
  SoftmaxObjectiveFixture fx;
  const Index n = fx.objective.num_parameters(), m = fx.objective.num_residuals();
  const Vector<double> theta = fx.model.parameters();
  Mat J(m, n);
  fx.objective.jacobian(theta, J);
  Rng rng(10);
  const Vector<double> v = random_vector(n, rng);
  Vector<double> gv(n);
  fx.objective.ggn_vector_product(theta, v, gv);
  EXPECT_LT(relative_error(gv, (J.transpose() * (J * v)).eval()), 1e-13);
}

}  // namespace
}  // namespace curvopt

#pragma once
/// The shared conformance suite every layer runs: each pass checked in float64 against central
/// finite differences, per-sample rows against single-example backward passes, the Gram
/// contribution against explicit rows, and float32 against float64.

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "curvopt/nn/layer.h"
#include "testing/helpers.h"
#include "testing/tolerances.h"

namespace curvopt::testing {

struct ConformanceOptions {
  ConformanceOptions(Shape input_shape, Index batch_size = 3, std::uint64_t random_seed = 1)
      : input(input_shape), batch(batch_size), seed(random_seed) {}

  Shape input;
  Index batch = 3;
  std::uint64_t seed = 1;
  /// Makes the input batch (input size × batch); default standard normal.
  std::function<Matrix<double>(Index batch, Rng& rng)> make_input;
  /// False for index inputs (Embedding): the input gradient must then be zero.
  bool differentiable_input = true;
};

template <template <class> class L, class... Args>
void check_layer_conformance(const ConformanceOptions& opt, Args... args) {
  using Mat = Matrix<double>;
  using Vec = Vector<double>;
  SCOPED_TRACE("input " + to_string(opt.input) + ", batch " + std::to_string(opt.batch) +
               ", seed " + std::to_string(opt.seed));
  constexpr double tol = Tolerance<double>::kFiniteDifference;
  constexpr double h = 1e-6;
  Rng rng(opt.seed);

  L<double> layer(args...);
  layer.set_name("under_test");
  const Shape out_shape = layer.configure(opt.input);
  const Index n = layer.num_parameters(), b = opt.batch, dout = out_shape.size();
  const bool diff_x = opt.differentiable_input;
  Vec theta = random_vector(n, rng, 0.5);
  layer.bind_parameters(theta.data());
  const Mat X = opt.make_input ? opt.make_input(b, rng) : random_matrix(opt.input.size(), b, rng);
  Rng noise(opt.seed + 1000);
  layer.resample_noise(b, noise);

  Vec th_eval = theta;
  auto forward_at = [&](const Mat& x, const Vec& th) {
    th_eval = th;
    layer.bind_parameters(th_eval.data());
    Mat y(dout, x.cols());
    layer.forward(x, y);
    return y;
  };
  auto backward_at = [&](const Mat& x, const Vec& th, const Mat& dy, Mat& dx, Vec& g) {
    const Mat y = forward_at(x, th);
    g.setZero(n);
    layer.backward(x, y, dy, diff_x ? &dx : nullptr, n ? g.data() : nullptr);
  };

  // ---- backward (VJP) against finite differences of <U, forward> ----
  const Mat U = random_matrix(dout, b, rng);
  Mat dX;
  Vec grad;
  backward_at(X, theta, U, dX, grad);
  {
    Vec grad_fd(n);
    for (Index i = 0; i < n; ++i) {
      Vec tp = theta, tm = theta;
      tp[i] += h;
      tm[i] -= h;
      grad_fd[i] =
          (U.cwiseProduct(forward_at(X, tp)).sum() - U.cwiseProduct(forward_at(X, tm)).sum()) /
          (2 * h);
    }
    EXPECT_LT(relative_error(grad, grad_fd), tol) << layer.type() << " parameter gradient";
    if (diff_x) {
      Mat dx_fd(X.rows(), b);
      for (Index i = 0; i < X.size(); ++i) {
        Mat xp = X, xm = X;
        xp.data()[i] += h;
        xm.data()[i] -= h;
        dx_fd.data()[i] = (U.cwiseProduct(forward_at(xp, theta)).sum() -
                           U.cwiseProduct(forward_at(xm, theta)).sum()) /
                          (2 * h);
      }
      EXPECT_LT(relative_error(dX, dx_fd), tol) << layer.type() << " input gradient";
    }
  }

  // ---- JVP against a directional difference of forward ----
  const Mat dx_dir = random_matrix(X.rows(), b, rng);
  const Vec v = random_vector(n, rng);
  {
    const Mat Y = forward_at(X, theta);
    Mat jv(dout, b);
    layer.jvp(X, Y, diff_x ? &dx_dir : nullptr, n ? v.data() : nullptr, jv);
    const double s = diff_x ? 1.0 : 0.0;
    const Mat fd = (forward_at(X + h * s * dx_dir, theta + h * v) -
                    forward_at(X - h * s * dx_dir, theta - h * v)) /
                   (2 * h);
    EXPECT_LT(relative_error(jv, fd), tol) << layer.type() << " jvp";
  }

  // ---- R-backprop against a directional difference of backward ----
  {
    const Mat RX = random_matrix(X.rows(), b, rng);
    const Mat RdY = random_matrix(dout, b, rng);
    const Mat Y = forward_at(X, theta);
    Mat RdX;
    Vec Rg = Vec::Zero(n);
    layer.hvp_backward(X, Y, U, diff_x ? &RX : nullptr, RdY, n ? v.data() : nullptr,
                       diff_x ? &RdX : nullptr, n ? Rg.data() : nullptr);
    const double s = diff_x ? 1.0 : 0.0;
    Mat dxp, dxm;
    Vec gp, gm;
    backward_at(X + h * s * RX, theta + h * v, U + h * RdY, dxp, gp);
    backward_at(X - h * s * RX, theta - h * v, U - h * RdY, dxm, gm);
    if (n) {
      EXPECT_LT(relative_error(Rg, ((gp - gm) / (2 * h)).eval()), tol) << "R{grad}";
    }
    if (diff_x) {
      EXPECT_LT(relative_error(RdX, ((dxp - dxm) / (2 * h)).eval()), tol) << "R{dX}";
    }
  }

  // ---- per-sample rows, Gram and float32 agreement ----
  if (n > 0) {
    const Index blocks = 2, m = blocks * b;
    const Mat Ucat = random_matrix(dout, m, rng);
    forward_at(X, theta);
    Mat rows(m, n);
    layer.per_sample_gradients(X, Ucat, rows);
    for (Index j = 0; j < m; ++j) {
      Mat dxj;
      Vec gj;
      const Mat xj = X.col(j % b);
      const Mat uj = Ucat.col(j);
      backward_at(xj, theta, uj, dxj, gj);
      EXPECT_LT(relative_error(rows.row(j).transpose().eval(), gj), Tolerance<double>::kExact)
          << layer.type() << " per-sample row " << j;
    }
    forward_at(X, theta);
    Mat G = Mat::Zero(m, m);
    layer.accumulate_gram(X, Ucat, G);
    const Mat expected = rows * rows.transpose();
    const Mat lower = G.triangularView<Eigen::Lower>();
    const Mat expected_lower = expected.triangularView<Eigen::Lower>();
    EXPECT_LT(relative_error(lower, expected_lower), Tolerance<double>::kExact)
        << layer.type() << " Gram contribution";
  }

  {
    L<float> layer_f(args...);
    layer_f.configure(opt.input);
    const Vector<float> theta_f = theta.cast<float>();
    layer_f.bind_parameters(theta_f.data());
    Rng noise_f(opt.seed + 1000);
    layer_f.resample_noise(b, noise_f);
    const Matrix<float> Xf = X.cast<float>();
    Matrix<float> Yf(dout, b);
    layer_f.forward(Xf, Yf);
    const Mat Y = forward_at(X, theta);
    EXPECT_LT(relative_error(Yf, Y), kFloatVsDouble) << layer.type() << " float forward";
    Matrix<float> dXf;
    Vector<float> gf = Vector<float>::Zero(n);
    const Matrix<float> Uf = U.cast<float>();
    layer_f.backward(Xf, Yf, Uf, diff_x ? &dXf : nullptr, n ? gf.data() : nullptr);
    if (n) {
      EXPECT_LT(relative_error(gf, grad), kFloatVsDouble) << "float gradient";
    }
    if (diff_x) {
      EXPECT_LT(relative_error(dXf, dX), kFloatVsDouble) << "float input gradient";
    }
  }
}

}  // namespace curvopt::testing

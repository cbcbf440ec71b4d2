#include "curvopt/nn/conv2d.h"

#include <gtest/gtest.h>

#include <Eigen/QR>

#include <cstring>

#include "curvopt/core/errors.h"
#include "curvopt/core/threads.h"
#include "testing/layer_conformance.h"

namespace curvopt {
namespace {

using testing::check_layer_conformance;
using testing::ConformanceOptions;

/// Direct 7-loop cross-correlation with zero padding: the reference for forward().
Matrix<double> naive_conv(const Matrix<double>& X, const Vector<double>& theta, const Shape& in,
                          const Conv2dOptions& o) {
  const Index oh = (in.height + 2 * o.padding - o.kernel_h) / o.stride + 1;
  const Index ow = (in.width + 2 * o.padding - o.kernel_w) / o.stride + 1;
  const Index K = in.channels * o.kernel_h * o.kernel_w;
  Matrix<double> Y(o.out_channels * oh * ow, X.cols());
  for (Index s = 0; s < X.cols(); ++s)
    for (Index f = 0; f < o.out_channels; ++f)
      for (Index y = 0; y < oh; ++y)
        for (Index x = 0; x < ow; ++x) {
          double acc = theta[o.out_channels * K + f];
          for (Index c = 0; c < in.channels; ++c)
            for (Index i = 0; i < o.kernel_h; ++i)
              for (Index j = 0; j < o.kernel_w; ++j) {
                const Index r = y * o.stride + i - o.padding, q = x * o.stride + j - o.padding;
                if (r < 0 || r >= in.height || q < 0 || q >= in.width) continue;
                const Index k = (c * o.kernel_h + i) * o.kernel_w + j;
                acc += theta[f + o.out_channels * k] * X((c * in.height + r) * in.width + q, s);
              }
          Y((f * oh + y) * ow + x, s) = acc;
        }
  return Y;
}

TEST(Conv2d, MatchesNaiveReference) {
  const Conv2dOptions cases[] = {
      {3, 3, 3, 1, 0}, {2, 3, 2, 2, 1}, {4, 1, 1, 1, 0}, {2, 5, 5, 3, 2}};
  std::uint64_t seed = 1;
  for (const auto& o : cases) {
    Rng rng(seed++);
    const Shape in = Shape::image(2, 7, 6);
    Conv2d<double> layer(o);
    const Shape out = layer.configure(in);
    Vector<double> theta = testing::random_vector(layer.num_parameters(), rng);
    layer.bind_parameters(theta.data());
    const Matrix<double> X = testing::random_matrix(in.size(), 3, rng);
    Matrix<double> Y(out.size(), 3);
    layer.forward(X, Y);
    EXPECT_LT(testing::relative_error(Y, naive_conv(X, theta, in, o)), 1e-12);
  }
}

TEST(Conv2d, ConformsOnRandomShapes) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Rng r(seed);
    Conv2dOptions o;
    o.out_channels = 1 + static_cast<Index>(r.uniform_int(3));
    o.kernel_h = 1 + static_cast<Index>(r.uniform_int(3));
    o.kernel_w = 1 + static_cast<Index>(r.uniform_int(3));
    o.stride = 1 + static_cast<Index>(r.uniform_int(2));
    o.padding = static_cast<Index>(r.uniform_int(2));
    const Shape in = Shape::image(1 + static_cast<Index>(r.uniform_int(2)), 4, 5);
    check_layer_conformance<Conv2d>(ConformanceOptions{in, 2, seed}, o);
  }
}

TEST(Conv2d, KfacFactorsMatchPatchSums) {
  Rng rng(3);
  const Conv2dOptions o{2, 2, 2, 1, 0};
  const Shape in = Shape::image(1, 3, 3);
  Conv2d<double> layer(o);
  const Shape out = layer.configure(in);
  Vector<double> theta = testing::random_vector(layer.num_parameters(), rng);
  layer.bind_parameters(theta.data());
  const Index b = 2, P = out.height * out.width;
  const Matrix<double> X = testing::random_matrix(in.size(), b, rng);
  Matrix<double> Y(out.size(), b);
  layer.forward(X, Y);
  const Matrix<double> D = testing::random_matrix(out.size(), b, rng);
  KfacFactors<double> f;
  ASSERT_TRUE(layer.kfac_factors(X, D, f));
  Matrix<double> A = Matrix<double>::Zero(5, 5), G = Matrix<double>::Zero(2, 2);
  for (Index s = 0; s < b; ++s)
    for (Index y = 0; y < 2; ++y)
      for (Index x = 0; x < 2; ++x) {
        Vector<double> patch(5);
        patch << X(y * 3 + x, s), X(y * 3 + x + 1, s), X((y + 1) * 3 + x, s),
            X((y + 1) * 3 + x + 1, s), 1.0;
        // Column order of the weights is (c·kh + i)·kw + j: (0,0), (0,1), (1,0), (1,1).
        Vector<double> delta(2);
        delta << D(y * 2 + x, s), D(P + y * 2 + x, s);
        A += patch * patch.transpose();
        G += delta * delta.transpose();
      }
  EXPECT_LT(testing::relative_error(f.A, (A / b).eval()), 1e-12);
  EXPECT_LT(testing::relative_error(f.G, (G / (b * P)).eval()), 1e-12);
  // Two cotangents per example (blocks of b columns, as the exact Gauss-Newton mode passes):
  // the same A, and G summed over both blocks.
  const Matrix<double> D2 = testing::random_matrix(out.size(), b, rng);
  Matrix<double> both(out.size(), 2 * b);
  both << D, D2;
  KfacFactors<double> f2, g2;
  ASSERT_TRUE(layer.kfac_factors(X, both, f2));
  ASSERT_TRUE(layer.kfac_factors(X, D2, g2));
  EXPECT_LT(testing::relative_error(f2.A, f.A), 1e-14);
  EXPECT_LT(testing::relative_error(f2.G, (f.G + g2.G).eval()), 1e-12);
  // EKFAC's scaling for given orthonormal bases: the mean over examples of the squared
  // projections Q_Gᵀ ∇Wₛ Q_A of the per-example gradients (which sum the positions).
  const Matrix<double> QA = testing::random_matrix(5, 5, rng).householderQr().householderQ();
  const Matrix<double> QG = testing::random_matrix(2, 2, rng).householderQr().householderQ();
  KfacFactors<double> e;
  e.basis_A = QA;
  e.basis_G = QG;
  ASSERT_TRUE(layer.kfac_factors(X, D, e));
  Matrix<double> rows(b, layer.num_parameters());
  layer.per_sample_gradients(X, D, rows);
  Matrix<double> S = Matrix<double>::Zero(2, 5);
  for (Index s = 0; s < b; ++s) {
    const Matrix<double> grad = rows.row(s).reshaped(2, 5);  // [W b], column-major
    S += (QG.transpose() * grad * QA).array().square().matrix() / static_cast<double>(b);
  }
  EXPECT_LT(testing::relative_error(e.scaling, S), 1e-12);
  EXPECT_LT(testing::relative_error(e.A, f.A), 1e-14);  // the factors are unchanged
}

TEST(Conv2d, LargeBatchesSplitIntoChunksGiveTheSameResults) {
  // 96·96 positions × 25 patch entries per example: a batch of 40 exceeds one patch chunk.
  Rng rng(8);
  const Shape in = Shape::image(1, 100, 100);
  Conv2d<double> layer(2, 5);
  const Shape out = layer.configure(in);
  Vector<double> theta = testing::random_vector(layer.num_parameters(), rng);
  layer.bind_parameters(theta.data());
  const Index b = 40;
  const Matrix<double> X = testing::random_matrix(in.size(), b, rng);
  const Matrix<double> D = testing::random_matrix(out.size(), b, rng);
  Matrix<double> Y(out.size(), b), dX;
  Vector<double> grad(layer.num_parameters());
  layer.forward(X, Y);
  layer.backward(X, Y, D, &dX, grad.data());
  Vector<double> grad_sum = Vector<double>::Zero(layer.num_parameters()), g(grad.size());
  for (Index s = 0; s < b; s += 13) {
    Matrix<double> ys(out.size(), 1), dxs;
    layer.forward(X.col(s), ys);
    EXPECT_LT(testing::relative_error(ys, Y.col(s).eval()), 1e-12);
    layer.backward(X.col(s), ys, D.col(s), &dxs, g.data());
    EXPECT_LT(testing::relative_error(dxs, dX.col(s).eval()), 1e-12);
  }
  for (Index s = 0; s < b; ++s) {
    Matrix<double> ys(out.size(), 1);
    layer.forward(X.col(s), ys);
    layer.backward(X.col(s), ys, D.col(s), nullptr, g.data());
    grad_sum += g;
  }
  EXPECT_LT(testing::relative_error(grad, grad_sum), 1e-10);
}

// forward() and backward() spread chunks over threads: the outputs and input gradients are the
// same bits as on one thread, the weight gradient differs only by the order of one sum, and two
// runs on the same thread count agree exactly.
TEST(Conv2d, ChunksOnSeveralThreadsMatchOneThread) {
  Rng rng(9);
  const Shape in = Shape::image(2, 80, 80);  // 2·76·76·25 patch scalars: one example per chunk
  Conv2d<double> layer(3, 5);
  const Shape out = layer.configure(in);
  Vector<double> theta = testing::random_vector(layer.num_parameters(), rng);
  layer.bind_parameters(theta.data());
  const Index b = 7;
  const Matrix<double> X = testing::random_matrix(in.size(), b, rng);
  const Matrix<double> D = testing::random_matrix(out.size(), b, rng);
  struct Result {
    Matrix<double> Y, dX;
    Vector<double> grad;
  };
  const auto run = [&](int threads) {
    set_num_threads(threads);
    Result r{Matrix<double>(out.size(), b), Matrix<double>(), Vector<double>(theta.size())};
    layer.forward(X, r.Y);
    layer.backward(X, r.Y, D, &r.dX, r.grad.data());
    set_num_threads(1);
    return r;
  };
  const auto same_bits = [](const auto& a, const auto& b) {
    return a.size() == b.size() &&
           std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) ==
               0;
  };
  const Result one = run(1), two = run(2), again = run(2);
  EXPECT_TRUE(same_bits(one.Y, two.Y));
  EXPECT_TRUE(same_bits(one.dX, two.dX));
  EXPECT_LT(testing::relative_error(two.grad, one.grad), 1e-13);
  EXPECT_TRUE(same_bits(two.grad, again.grad));
  EXPECT_TRUE(same_bits(two.dX, again.dX));
}

// Jacobian rows are written in tiles of consecutive examples; 37 examples and 2 cotangent blocks
// make full and partial tiles, each row checked against a one-example backward pass.
TEST(Conv2d, PerSampleRowsAcrossTilesMatchOneExampleGradients) {
  Rng rng(10);
  const Shape in = Shape::image(2, 6, 7);
  Conv2d<double> layer(3, 3, 1, 1);
  const Shape out = layer.configure(in);
  Vector<double> theta = testing::random_vector(layer.num_parameters(), rng);
  layer.bind_parameters(theta.data());
  const Index b = 37, blocks = 2;
  const Matrix<double> X = testing::random_matrix(in.size(), b, rng);
  const Matrix<double> U = testing::random_matrix(out.size(), blocks * b, rng);
  Matrix<double> Y(out.size(), b), rows(blocks * b, layer.num_parameters());
  layer.forward(X, Y);
  layer.per_sample_gradients(X, U, rows);
  Vector<double> g(layer.num_parameters());
  for (Index j = 0; j < blocks * b; ++j) {
    Matrix<double> yj(out.size(), 1);
    layer.forward(X.col(j % b), yj);
    layer.backward(X.col(j % b), yj, U.col(j), nullptr, g.data());
    EXPECT_LT(testing::relative_error(rows.row(j).transpose().eval(), g), 1e-14) << "row " << j;
  }
}

TEST(Conv2d, RejectsBadOptionsAndShapes) {
  EXPECT_THROW(Conv2d<float>(Conv2dOptions{0, 3, 3, 1, 0}), ConfigError);
  EXPECT_THROW(Conv2d<float>(Conv2dOptions{1, 3, 3, 0, 0}), ConfigError);
  EXPECT_THROW(Conv2d<float>(Conv2dOptions{1, 3, 3, 1, -1}), ConfigError);
  Conv2d<float> layer(4, 5);
  layer.set_name("conv_a");
  try {
    layer.configure(Shape::image(1, 3, 3));
    FAIL();
  } catch (const ShapeError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Conv2d 'conv_a'"), std::string::npos) << what;
    EXPECT_NE(what.find("1x3x3"), std::string::npos) << what;
    EXPECT_NE(what.find("expected"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace curvopt

#include "curvopt/nn/dense.h"

#include <gtest/gtest.h>

#include <Eigen/QR>

#include "curvopt/core/errors.h"
#include "curvopt/core/threads.h"
#include "testing/layer_conformance.h"

namespace curvopt {
namespace {

using testing::check_layer_conformance;
using testing::ConformanceOptions;

TEST(Dense, ConformsOnRandomShapes) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Rng shapes(seed);
    const Index in = 1 + static_cast<Index>(shapes.uniform_int(6));
    const Index out = 1 + static_cast<Index>(shapes.uniform_int(5));
    const Index batch = 1 + static_cast<Index>(shapes.uniform_int(4));
    check_layer_conformance<Dense>(ConformanceOptions{Shape::flat(in), batch, seed}, out);
  }
}

TEST(Dense, FlattensImageInputs) {
  check_layer_conformance<Dense>(ConformanceOptions{Shape::image(2, 2, 3), 2, 9}, Index(3));
}

TEST(Dense, KfacFactorsMatchDefinition) {
  Rng rng(4);
  Dense<double> layer(3);
  layer.configure(Shape::flat(4));
  Vector<double> theta = testing::random_vector(layer.num_parameters(), rng);
  layer.bind_parameters(theta.data());
  const Matrix<double> X = testing::random_matrix(4, 6, rng);
  const Matrix<double> D = testing::random_matrix(3, 6, rng);
  KfacFactors<double> f;
  ASSERT_TRUE(layer.kfac_factors(X, D, f));
  Matrix<double> Xbar(5, 6);
  Xbar << X, Matrix<double>::Ones(1, 6);
  EXPECT_LT(testing::relative_error(f.A, (Xbar * Xbar.transpose() / 6.0).eval()), 1e-12);
  EXPECT_LT(testing::relative_error(f.G, (D * D.transpose() / 6.0).eval()), 1e-12);
  // EKFAC's scaling for given orthonormal bases: (1/b) Σₛ (Q_Gᵀ gₛāₛᵀ Q_A)∘².
  f.basis_A = testing::random_matrix(5, 5, rng).householderQr().householderQ();
  f.basis_G = testing::random_matrix(3, 3, rng).householderQr().householderQ();
  ASSERT_TRUE(layer.kfac_factors(X, D, f));
  Matrix<double> S = Matrix<double>::Zero(3, 5);
  for (Index s = 0; s < 6; ++s)
    S += (f.basis_G.transpose() * D.col(s) * Xbar.col(s).transpose() * f.basis_A)
             .array()
             .square()
             .matrix() /
         6.0;
  EXPECT_LT(testing::relative_error(f.scaling, S), 1e-12);
}

TEST(Dense, OneRowPerExampleGramIsTiledExactly) {
  // m = b rows (one output): the Gram is built tile by tile (128 × 128, the last tiles partial),
  // on one thread and on two. Every tile must match rows·rowsᵀ and the upper triangle of G stay
  // as it was.
  Rng rng(12);
  const Index in = 3, units = 5, b = 300;
  Dense<double> layer(units);
  layer.configure(Shape::flat(in));
  const Vector<double> theta = testing::random_vector(layer.num_parameters(), rng);
  layer.bind_parameters(theta.data());
  const Matrix<double> X = testing::random_matrix(in, b, rng);
  const Matrix<double> D = testing::random_matrix(units, b, rng);
  Matrix<double> rows(b, layer.num_parameters());
  layer.per_sample_gradients(X, D, rows);
  const Matrix<double> expected = rows * rows.transpose();
  for (const int threads : {1, 2}) {
    const int before = num_threads();
    set_num_threads(threads);
    Matrix<double> G = Matrix<double>::Constant(b, b, 7.0);
    G.triangularView<Eigen::Lower>().setZero();
    layer.accumulate_gram(X, D, G);
    set_num_threads(before);
    const Matrix<double> lower = G.triangularView<Eigen::Lower>();
    const Matrix<double> expected_lower = expected.triangularView<Eigen::Lower>();
    EXPECT_LT(testing::relative_error(lower, expected_lower), 1e-13) << threads << " threads";
    const Matrix<double> upper = G.triangularView<Eigen::StrictlyUpper>();
    EXPECT_EQ(
        upper,
        Matrix<double>(Matrix<double>::Constant(b, b, 7.0).triangularView<Eigen::StrictlyUpper>()));
  }
}

TEST(Dense, ForwardIsAffine) {
  Dense<double> layer(2);
  layer.configure(Shape::flat(3));
  // W = [[1, 2, 3], [4, 5, 6]] column-major, b = [0.5, -1].
  Vector<double> theta(8);
  theta << 1, 4, 2, 5, 3, 6, 0.5, -1;
  layer.bind_parameters(theta.data());
  Matrix<double> X(3, 1);
  X << 1, 1, 2;
  Matrix<double> Y(2, 1);
  layer.forward(X, Y);
  EXPECT_DOUBLE_EQ(Y(0, 0), 1 + 2 + 6 + 0.5);
  EXPECT_DOUBLE_EQ(Y(1, 0), 4 + 5 + 12 - 1);
}

TEST(Dense, RejectsZeroUnits) { EXPECT_THROW(Dense<float>(0), ConfigError); }

TEST(Dense, InitializersRespectTheirBounds) {
  Dense<double> layer(50);
  layer.configure(Shape::flat(20));
  Vector<double> theta(layer.num_parameters());
  Rng rng(1);
  layer.initialize(theta.data(), Initializer::kGlorotUniform, rng);
  const double glorot = std::sqrt(6.0 / 70.0);
  EXPECT_LE(theta.head(1000).cwiseAbs().maxCoeff(), glorot);
  EXPECT_GT(theta.head(1000).cwiseAbs().maxCoeff(), 0.9 * glorot);
  EXPECT_EQ(theta.tail(50).cwiseAbs().maxCoeff(), 0.0);
  layer.initialize(theta.data(), Initializer::kPyTorchDefault, rng);
  EXPECT_LE(theta.cwiseAbs().maxCoeff(), 1.0 / std::sqrt(20.0));
  EXPECT_GT(theta.tail(50).cwiseAbs().maxCoeff(), 0.0);  // PyTorch draws biases too
  layer.initialize(theta.data(), Initializer::kHeNormal, rng);
  const double variance = theta.head(1000).squaredNorm() / 1000.0;
  EXPECT_NEAR(variance, 2.0 / 20.0, 0.02);
  layer.initialize(theta.data(), Initializer::kLecunNormal, rng);
  EXPECT_NEAR(theta.head(1000).squaredNorm() / 1000.0, 1.0 / 20.0, 0.01);
  for (auto init : {Initializer::kHeUniform, Initializer::kLecunUniform}) {
    layer.initialize(theta.data(), init, rng);
    const double bound =
        init == Initializer::kHeUniform ? std::sqrt(6.0 / 20) : std::sqrt(3.0 / 20);
    EXPECT_LE(theta.head(1000).cwiseAbs().maxCoeff(), bound);
    EXPECT_EQ(parse_initializer(to_string(init)), init);
  }
}

}  // namespace
}  // namespace curvopt

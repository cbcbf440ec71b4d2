#include "curvopt/linalg/lbfgs_memory.h"

#include <gtest/gtest.h>

#include "testing/helpers.h"

namespace curvopt {
namespace {

// The two-loop recursion equals the explicit BFGS inverse update
// H ← VᵀHV + ρssᵀ, V = I − ρysᵀ, applied from H₀ = γI over the stored pairs in order.
Matrix<double> explicit_inverse(const std::vector<Vector<double>>& s,
                                const std::vector<Vector<double>>& y) {
  const Index n = s[0].size();
  const double gamma = s.back().dot(y.back()) / y.back().squaredNorm();
  Matrix<double> H = gamma * Matrix<double>::Identity(n, n);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double rho = 1 / s[i].dot(y[i]);
    const Matrix<double> V = Matrix<double>::Identity(n, n) - rho * y[i] * s[i].transpose();
    H = V.transpose() * H * V + rho * s[i] * s[i].transpose();
  }
  return H;
}

TEST(LbfgsMemory, TwoLoopEqualsTheExplicitInverseUpdate) {
  Rng rng(5);
  const Index n = 7;
  const Matrix<double> A = testing::random_matrix(n, n, rng);
  const Matrix<double> spd = A * A.transpose() + Matrix<double>::Identity(n, n);
  LbfgsMemory<double> memory;
  memory.resize(n, 4);
  std::vector<Vector<double>> s, y;
  for (int k = 0; k < 6; ++k) {  // 6 pushes into 4 slots: the ring wraps
    s.push_back(testing::random_vector(n, rng));
    y.push_back(spd * s.back());
    ASSERT_TRUE(memory.push(s.back(), y.back(), 1e-8));
  }
  const std::vector<Vector<double>> kept_s(s.end() - 4, s.end()), kept_y(y.end() - 4, y.end());
  const Vector<double> q = testing::random_vector(n, rng);
  Vector<double> out(n);
  memory.apply(q, out);
  EXPECT_LT(testing::relative_error(out, explicit_inverse(kept_s, kept_y) * q), 1e-12);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(memory.s(i), kept_s[static_cast<std::size_t>(i)]);
}

TEST(LbfgsMemory, RefusesPairsWithoutPositiveCurvature) {
  LbfgsMemory<double> memory;
  memory.resize(2, 3);
  Vector<double> s(2), y(2);
  s << 1, 0;
  y << -1, 0;
  EXPECT_FALSE(memory.push(s, y, 1e-8));
  y << 1e-12, 1;  // sᵀy > 0 but below 1e-8·‖s‖‖y‖
  EXPECT_FALSE(memory.push(s, y, 1e-8));
  EXPECT_TRUE(memory.empty());
  // Without pairs H = I.
  Vector<double> out(2);
  memory.apply(s, out);
  EXPECT_EQ(out, s);
}

TEST(LbfgsMemory, SatisfiesTheSecantEquationForTheNewestPair) {
  Rng rng(9);
  LbfgsMemory<double> memory;
  memory.resize(5, 3);
  Vector<double> s, y, out(5);
  for (int k = 0; k < 3; ++k) {
    s = testing::random_vector(5, rng);
    y = s + 0.1 * testing::random_vector(5, rng);
    ASSERT_TRUE(memory.push(s, y, 1e-8));
  }
  memory.apply(y, out);  // H y = s for the newest pair
  EXPECT_LT(testing::relative_error(out, s), 1e-12);
}

}  // namespace
}  // namespace curvopt

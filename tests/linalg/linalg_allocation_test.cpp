// After a warm-up call at the sizes in use, no linalg solver allocates: optimizers may call them
// in every step (architecture §4). Sizes are large enough for the blocked paths (LLT ≥ 32,
// Householder accumulation > 48) and the pair counts vary, as in sampled quasi-Newton.

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "curvopt/core/threads.h"
#include "curvopt/linalg/compact_quasi_newton.h"
#include "curvopt/linalg/conjugate_gradient.h"
#include "curvopt/linalg/diagonal_preconditioner.h"
#include "curvopt/linalg/gram_solve.h"
#include "curvopt/linalg/kronecker.h"
#include "curvopt/linalg/steihaug_cg.h"
#include "curvopt/linalg/symmetric_eigen.h"
#include "linalg/dense_reference.h"
#include "testing/allocation_counter.h"

namespace curvopt {
namespace {

template <class Scalar>
class LinalgAllocationTest : public ::testing::Test {};
TYPED_TEST_SUITE(LinalgAllocationTest, testing::ScalarTypes);

TYPED_TEST(LinalgAllocationTest, NoneAfterTheFirstCall) {
  using Scalar = TypeParam;
  if (!testing::allocation_counting_available()) GTEST_SKIP() << "sanitizer build";
  set_num_threads(1);  // OpenBLAS's threading layer allocates on its own; ours must not
  Rng rng(51);
  const Index n = 80, m = 50, d_in = 70, d_out = 60;
  auto random = [&](Index r, Index c) {
    return testing::to<Scalar>(testing::random_matrix(r, c, rng));
  };
  const Matrix<Scalar> A = testing::to<Scalar>(testing::spd_with_condition(n, 1e3, rng));
  const Matrix<Scalar> J = random(m, n), S = random(n, 8);
  const Matrix<Scalar> Y = A * S, Af = random(d_in, d_in), Gf = random(d_out, d_out);
  const Matrix<Scalar> Ak = Af * Af.transpose(), Gk = Gf * Gf.transpose(), V = random(d_out, d_in);
  const Vector<Scalar> b = random(n, 1), r = random(m, 1), d = Vector<Scalar>::Constant(n, 2);
  Vector<Scalar> x(n), s(n);
  Matrix<Scalar> U(d_out, d_in);
  auto product = [&](ConstVectorRef<Scalar> v, VectorRef<Scalar> out) { out.noalias() = A * v; };
  auto jvp = [&](ConstVectorRef<Scalar> v, VectorRef<Scalar> out) { out.noalias() = J * v; };
  auto vjp = [&](ConstVectorRef<Scalar> u, VectorRef<Scalar> out) {
    out.noalias() = J.transpose() * u;
  };

  ConjugateGradient<Scalar> cg({.max_iterations = 60,
                                .tolerance = 0,
                                .relative_progress = true,
                                .residual_refresh = 10,
                                .keep_history = true});
  DiagonalPreconditioner<Scalar> jacobi;
  SteihaugCg<Scalar> steihaug;
  GramSolver<Scalar> gram;
  NormalEquationsSolver<Scalar> normal;
  KroneckerCholesky<Scalar> kron_cholesky;
  KroneckerEigen<Scalar> kron_eigen;
  CompactLbfgs<Scalar> lbfgs;
  lbfgs.resize(n, 8);
  CompactLsr1<Scalar> lsr1;
  lsr1.resize(n, 8);
  SymmetricEigen<Scalar> eig;
  eig.resize(d_in);

  const std::vector<std::pair<std::string, std::function<void()>>> calls = {
      {"cg", [&] { cg.solve(product, b, x, /*warm_start=*/true); }},
      {"pcg",
       [&] {
         jacobi.set_martens(d, 0.1);
         cg.solve(product, b, x, jacobi);
       }},
      {"steihaug", [&] { steihaug.solve(product, b, 0.5, s); }},
      {"gram",
       [&] {
         gram.set_gram(J, d);
         gram.factorize(0.5);
         gram.solve_damped(J, b, s);
         gram.set_gram(J);
         gram.factorize(0.5);
         gram.solve_minimum_norm(J, r, s);
         gram.solve_damped(jvp, vjp, b, s);
       }},
      {"normal",
       [&] {
         normal.set_jacobian(J);
         normal.factorize(0.5, d);
         normal.solve(b, s);
       }},
      {"kronecker cholesky",
       [&] {
         kron_cholesky.factorize(Ak, Gk, 0.1);
         kron_cholesky.solve(V, U);
       }},
      {"kronecker eigen",
       [&] {
         kron_eigen.decompose(Ak, Gk);
         kron_eigen.solve_factored(V, 0.1, U);
         kron_eigen.solve_exact(V, 0.1, U);
       }},
      {"compact lbfgs",
       [&] {
         for (const Index k : {3, 8}) {
           lbfgs.set_pairs(S.leftCols(k), Y.leftCols(k), 1.0);
           lbfgs.apply(b, s);
           lbfgs.apply_inverse(b, s);
         }
       }},
      {"compact lsr1",
       [&] {
         for (const double gamma : {0.0, 0.5}) {  // the second fills only part of the memory
           lsr1.reset(gamma);
           lsr1.add_pairs(S.leftCols(gamma > 0 ? 5 : 8), Y.leftCols(gamma > 0 ? 5 : 8));
           lsr1.apply(b, s);
           lsr1.solve_trust_region(b, 0.5, s);
         }
       }},
      {"symmetric eigen",
       [&] {
         eig.compute(Ak);
         eig.compute(Ak.topLeftCorner(9, 9));
       }},
  };
  for (const auto& [name, call] : calls) {
    call();  // warm-up: sizes every buffer
    testing::start_counting_allocations();
    call();
    call();
    EXPECT_EQ(testing::stop_counting_allocations(), 0u) << name;
  }
}

}  // namespace
}  // namespace curvopt

#pragma once
/// What the K-FAC tests compare against: dense Kronecker products and the explicit empirical
/// Fisher of a network objective.

#include "curvopt/core/types.h"
#include "curvopt/problem/objective.h"

namespace curvopt::testing {

/// A ⊗ G in the order of vec([W b]) (column-major d_out × d_in blocks).
inline Matrix<double> kron(const Matrix<double>& A, const Matrix<double>& G) {
  const Index p = A.rows(), q = G.rows();
  Matrix<double> K(p * q, p * q);
  for (Index i = 0; i < p; ++i)
    for (Index j = 0; j < p; ++j) K.block(i * q, j * q, q, q) = A(i, j) * G;
  return K;
}

/// The empirical Fisher (1/b) Σₛ ∇ℓₛ∇ℓₛᵀ of the b bound examples, from the per-example gradient
/// rows ∇ℓₛ / b of the mean loss.
inline Matrix<double> empirical_fisher(Objective<double>& objective, const Vector<double>& theta) {
  const Index b = objective.batch_size();
  Matrix<double> rows(b, theta.size());
  objective.per_example_gradients(theta, rows);
  return static_cast<double>(b) * rows.transpose() * rows;
}

}  // namespace curvopt::testing

#include "curvopt/problem/problem.h"

#include <atomic>

#include "curvopt/core/errors.h"

namespace curvopt {

std::string_view to_string(Oracle oracle) {
  switch (oracle) {
    case Oracle::kValue:
      return "value";
    case Oracle::kGradient:
      return "gradient";
    case Oracle::kResiduals:
      return "residuals";
    case Oracle::kJacobian:
      return "jacobian";
    case Oracle::kJvp:
      return "jvp";
    case Oracle::kVjp:
      return "vjp";
    case Oracle::kGram:
      return "gram";
    case Oracle::kGgnProduct:
      return "ggn_vector_product";
    case Oracle::kHessianProduct:
      return "hessian_vector_product";
    case Oracle::kPerExampleGradients:
      return "per_example_gradients";
    case Oracle::kKfacStatistics:
      return "kfac_statistics";
    case Oracle::kGaussNewtonMatrix:
      return "gauss_newton_matrix";
    case Oracle::kStructuralDamping:
      return "structurally_damped_ggn_product";
    case Oracle::kSampledGaussNewton:
      return "sampled_gauss_newton_rows";
    case Oracle::kEmpiricalFisherDiagonal:
      return "empirical_fisher_diagonal";
    case Oracle::kGramFactors:
      return "gram_factors";
  }
  return "unknown oracle";
}

std::string OracleSet::to_string() const {
  std::string out;
  for (std::uint32_t bit = 1; bit != 0 && bit <= bits_; bit <<= 1) {
    if (!(bits_ & bit)) continue;
    if (!out.empty()) out += ", ";
    out += curvopt::to_string(static_cast<Oracle>(bit));
  }
  return out;
}

template <class Scalar>
void Problem<Scalar>::require(OracleSet required, std::string_view who) const {
  const OracleSet missing = oracles().missing(required);
  if (!missing.empty())
    throw Error(std::string(who) + " needs the oracles {" + missing.to_string() +
                "}, which this problem does not provide");
}

template <class Scalar>
void Problem<Scalar>::unsupported(Oracle oracle) const {
  throw Error("this problem does not provide the " + std::string(to_string(oracle)) + " oracle");
}

template <class Scalar>
void Problem<Scalar>::residuals(ConstVectorRef<Scalar>, VectorRef<Scalar>) {
  unsupported(Oracle::kResiduals);
}
template <class Scalar>
void Problem<Scalar>::jacobian(ConstVectorRef<Scalar>, MatrixRef<Scalar>) {
  unsupported(Oracle::kJacobian);
}
template <class Scalar>
std::uint64_t Problem<Scalar>::fresh_data_version() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

template <class Scalar>
void Problem<Scalar>::jacobian_block(ConstVectorRef<Scalar> params, Index block,
                                     MatrixRef<Scalar> J_block) {
  if (block != 0 || num_jacobian_blocks() != 1)
    throw ShapeError("Problem::jacobian_block: block " + std::to_string(block) +
                     " requested, but this problem does not split its Jacobian (1 block)");
  jacobian(params, J_block);
}
template <class Scalar>
void Problem<Scalar>::jvp(ConstVectorRef<Scalar>, ConstVectorRef<Scalar>, VectorRef<Scalar>) {
  unsupported(Oracle::kJvp);
}
template <class Scalar>
void Problem<Scalar>::vjp(ConstVectorRef<Scalar>, ConstVectorRef<Scalar>, VectorRef<Scalar>) {
  unsupported(Oracle::kVjp);
}
template <class Scalar>
void Problem<Scalar>::gram(ConstVectorRef<Scalar>, MatrixRef<Scalar>) {
  unsupported(Oracle::kGram);
}
template <class Scalar>
void Problem<Scalar>::ggn_vector_product(ConstVectorRef<Scalar>, ConstVectorRef<Scalar>,
                                         VectorRef<Scalar>) {
  unsupported(Oracle::kGgnProduct);
}
template <class Scalar>
void Problem<Scalar>::structurally_damped_ggn_product(ConstVectorRef<Scalar>,
                                                      ConstVectorRef<Scalar>, Scalar,
                                                      VectorRef<Scalar>) {
  unsupported(Oracle::kStructuralDamping);
}
template <class Scalar>
void Problem<Scalar>::hessian_vector_product(ConstVectorRef<Scalar>, ConstVectorRef<Scalar>,
                                             VectorRef<Scalar>) {
  unsupported(Oracle::kHessianProduct);
}
template <class Scalar>
void Problem<Scalar>::check_matrix_product(const char* who, ConstMatrixRef<Scalar> V,
                                           MatrixRef<Scalar> out) const {
  const Index n = num_parameters();
  if (V.rows() != n || out.rows() != n || out.cols() != V.cols())
    throw ShapeError(std::string(who) + ": V is " + std::to_string(V.rows()) + " x " +
                     std::to_string(V.cols()) + " and out " + std::to_string(out.rows()) + " x " +
                     std::to_string(out.cols()) + "; expected " + std::to_string(n) +
                     " rows for both and as many columns");
}

template <class Scalar>
void Problem<Scalar>::hessian_matrix_product(ConstVectorRef<Scalar> params,
                                             ConstMatrixRef<Scalar> V, MatrixRef<Scalar> out) {
  check_matrix_product("Problem::hessian_matrix_product", V, out);
  for (Index j = 0; j < V.cols(); ++j) hessian_vector_product(params, V.col(j), out.col(j));
}

template <class Scalar>
void Problem<Scalar>::ggn_matrix_product(ConstVectorRef<Scalar> params, ConstMatrixRef<Scalar> V,
                                         MatrixRef<Scalar> out) {
  check_matrix_product("Problem::ggn_matrix_product", V, out);
  for (Index j = 0; j < V.cols(); ++j) ggn_vector_product(params, V.col(j), out.col(j));
}

template <class Scalar>
void Problem<Scalar>::per_example_gradients(ConstVectorRef<Scalar>, MatrixRef<Scalar>) {
  unsupported(Oracle::kPerExampleGradients);
}

template <class Scalar>
void Problem<Scalar>::per_example_losses(ConstVectorRef<Scalar>, VectorRef<Scalar>) {
  unsupported(Oracle::kPerExampleGradients);
}

template <class Scalar>
void Problem<Scalar>::empirical_fisher_diagonal(ConstVectorRef<Scalar> params,
                                                VectorRef<Scalar> out) {
  if (!oracles().contains(Oracle::kPerExampleGradients)) unsupported(Oracle::kPerExampleGradients);
  const Index n = num_parameters(), b = batch_size();
  if (out.size() != n)
    throw ShapeError("Problem::empirical_fisher_diagonal: output of length " +
                     std::to_string(out.size()) + ", expected " + std::to_string(n));
  if (per_example_buffer_.rows() != b || per_example_buffer_.cols() != n)
    per_example_buffer_.resize(b, n);
  per_example_gradients(params, per_example_buffer_);
  out = static_cast<Scalar>(b) * per_example_buffer_.colwise().squaredNorm().transpose();
}

template <class Scalar>
void Problem<Scalar>::gauss_newton_matrix(ConstVectorRef<Scalar> params, MatrixRef<Scalar> JtJ) {
  if (!oracles().contains(Oracle::kJacobian)) unsupported(Oracle::kGaussNewtonMatrix);
  const Index n = num_parameters(), blocks = num_jacobian_blocks();
  if (JtJ.rows() != n || JtJ.cols() != n)
    throw ShapeError("Problem::gauss_newton_matrix: a " + std::to_string(JtJ.rows()) + " x " +
                     std::to_string(JtJ.cols()) + " output, expected " + std::to_string(n) + " x " +
                     std::to_string(n));
  // The whole J in one rank-m update when it fits: each update (BLAS syrk) reads and writes the
  // n × n output once, which for short blocks costs more than the block's own product (a
  // network's blocks are b rows, one per output). Otherwise one row block alive at a time.
  const Index m = num_residuals();
  const bool whole =
      static_cast<double>(m) * static_cast<double>(n) * sizeof(Scalar) <= kWholeJacobianBytes;
  const Index rows = whole ? m : m / blocks;
  if (gauss_newton_block_.rows() != rows || gauss_newton_block_.cols() != n)
    gauss_newton_block_.resize(rows, n);
  JtJ.template triangularView<Eigen::Lower>().setZero();
  if (whole) {
    jacobian(params, gauss_newton_block_);
    JtJ.template selfadjointView<Eigen::Lower>().rankUpdate(gauss_newton_block_.transpose());
    return;
  }
  for (Index k = 0; k < blocks; ++k) {
    jacobian_block(params, k, gauss_newton_block_);
    JtJ.template selfadjointView<Eigen::Lower>().rankUpdate(gauss_newton_block_.transpose());
  }
}

template <class Scalar>
void Problem<Scalar>::kfac_statistics(ConstVectorRef<Scalar>, KfacTargets, Rng&,
                                      std::vector<KfacFactors<Scalar>>&) {
  unsupported(Oracle::kKfacStatistics);
}
template <class Scalar>
void Problem<Scalar>::sampled_gauss_newton_rows(ConstVectorRef<Scalar>, Rng&, MatrixRef<Scalar>) {
  unsupported(Oracle::kSampledGaussNewton);
}

template <class Scalar>
bool Problem<Scalar>::share_work(SharedWork& work) {
  bool ok = true;
  for (Index t = 0; t < work.num_tasks(); ++t) ok = work.run(t) && ok;
  return ok;
}

template <class Scalar>
void Problem<Scalar>::gram_factors(ConstVectorRef<Scalar>, std::vector<Matrix<Scalar>>&) {
  unsupported(Oracle::kGramFactors);
}

template <class Scalar>
void Problem<Scalar>::gram_from_factors(const std::vector<Matrix<Scalar>>&, MatrixRef<Scalar>) {
  unsupported(Oracle::kGramFactors);
}

template class Problem<float>;
template class Problem<double>;

}  // namespace curvopt

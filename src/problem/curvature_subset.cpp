#include "curvopt/problem/curvature_subset.h"

#include <algorithm>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
CurvatureSubset<Scalar>::CurvatureSubset(Objective<Scalar>& full, Index count)
    : full_(full),
      count_(count),
      model_(full.model()),
      loss_(full.loss().clone()),
      subset_(model_, *loss_) {
  if (count < 1)
    throw ConfigError("CurvatureSubset: count = " + std::to_string(count) + ": must be >= 1");
}

template <class Scalar>
Index CurvatureSubset<Scalar>::curvature_examples() const {
  return std::min(count_, full_.batch_size());
}

template <class Scalar>
Objective<Scalar>& CurvatureSubset<Scalar>::subset() {
  if (!bound_ || bound_version_ != full_.data_version()) {
    if (full_.batch_size() == 0) throw Error("CurvatureSubset: the objective has no batch bound");
    const Index k = curvature_examples();
    subset_.set_batch(full_.batch_inputs().leftCols(k), full_.batch_targets().leftCols(k));
    bound_version_ = full_.data_version();
    bound_ = true;
  }
  return subset_;
}

template <class Scalar>
Index CurvatureSubset<Scalar>::num_residuals() const {
  return curvature_examples() * full_.num_outputs();
}

template <class Scalar>
void CurvatureSubset<Scalar>::residuals(ConstVectorRef<Scalar> params, VectorRef<Scalar> r) {
  subset().residuals(params, r);
}

template <class Scalar>
void CurvatureSubset<Scalar>::jacobian(ConstVectorRef<Scalar> params, MatrixRef<Scalar> J) {
  subset().jacobian(params, J);
}

template <class Scalar>
Index CurvatureSubset<Scalar>::num_jacobian_blocks() const {
  return full_.num_jacobian_blocks();  // one per output, as the subset's
}

template <class Scalar>
void CurvatureSubset<Scalar>::jacobian_block(ConstVectorRef<Scalar> params, Index block,
                                             MatrixRef<Scalar> J_block) {
  subset().jacobian_block(params, block, J_block);
}

template <class Scalar>
void CurvatureSubset<Scalar>::jvp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                                  VectorRef<Scalar> out) {
  subset().jvp(params, v, out);
}

template <class Scalar>
void CurvatureSubset<Scalar>::vjp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> u,
                                  VectorRef<Scalar> out) {
  subset().vjp(params, u, out);
}

template <class Scalar>
void CurvatureSubset<Scalar>::gram(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) {
  subset().gram(params, G);
}

template <class Scalar>
void CurvatureSubset<Scalar>::ggn_vector_product(ConstVectorRef<Scalar> params,
                                                 ConstVectorRef<Scalar> v, VectorRef<Scalar> out) {
  subset().ggn_vector_product(params, v, out);
}

template <class Scalar>
void CurvatureSubset<Scalar>::structurally_damped_ggn_product(ConstVectorRef<Scalar> params,
                                                              ConstVectorRef<Scalar> v,
                                                              Scalar weight,
                                                              VectorRef<Scalar> out) {
  subset().structurally_damped_ggn_product(params, v, weight, out);
}

template <class Scalar>
void CurvatureSubset<Scalar>::hessian_vector_product(ConstVectorRef<Scalar> params,
                                                     ConstVectorRef<Scalar> v,
                                                     VectorRef<Scalar> out) {
  subset().hessian_vector_product(params, v, out);
}

template <class Scalar>
void CurvatureSubset<Scalar>::hessian_matrix_product(ConstVectorRef<Scalar> params,
                                                     ConstMatrixRef<Scalar> V,
                                                     MatrixRef<Scalar> out) {
  subset().hessian_matrix_product(params, V, out);
}

template <class Scalar>
void CurvatureSubset<Scalar>::ggn_matrix_product(ConstVectorRef<Scalar> params,
                                                 ConstMatrixRef<Scalar> V, MatrixRef<Scalar> out) {
  subset().ggn_matrix_product(params, V, out);
}

template <class Scalar>
void CurvatureSubset<Scalar>::gauss_newton_matrix(ConstVectorRef<Scalar> params,
                                                  MatrixRef<Scalar> JtJ) {
  subset().gauss_newton_matrix(params, JtJ);
}

template <class Scalar>
void CurvatureSubset<Scalar>::kfac_statistics(ConstVectorRef<Scalar> params, KfacTargets targets,
                                              Rng& rng, std::vector<KfacFactors<Scalar>>& out) {
  subset().kfac_statistics(params, targets, rng, out);
}

template <class Scalar>
void CurvatureSubset<Scalar>::sampled_gauss_newton_rows(ConstVectorRef<Scalar> params, Rng& rng,
                                                        MatrixRef<Scalar> rows) {
  subset().sampled_gauss_newton_rows(params, rng, rows);
}

template <class Scalar>
double CurvatureSubset<Scalar>::loss_terms() const {
  return 1.0 / static_cast<double>(loss_->scale(curvature_examples(), full_.num_outputs()));
}

template class CurvatureSubset<float>;
template class CurvatureSubset<double>;

}  // namespace curvopt

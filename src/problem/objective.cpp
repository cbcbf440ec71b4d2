#include "curvopt/problem/objective.h"

#include <cmath>
#include <cstring>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
Objective<Scalar>::Objective(Sequential<Scalar>& model, const Loss<Scalar>& loss)
    : model_(model), loss_(loss) {}

template <class Scalar>
void Objective<Scalar>::set_batch(ConstMatrixRef<Scalar> inputs, ConstMatrixRef<Scalar> targets) {
  model_.check_input(inputs);
  if (targets.cols() != inputs.cols())
    throw ShapeError(loss_.type() + ": targets have " + std::to_string(targets.cols()) +
                     " examples, expected " + std::to_string(inputs.cols()) + " (as the inputs)");
  loss_.check_targets(model_.output_size(), targets);
  inputs_ = inputs.data();
  input_stride_ = inputs.outerStride();
  targets_ = targets.data();
  target_rows_ = targets.rows();
  target_stride_ = targets.outerStride();
  batch_ = inputs.cols();
  model_.resample_noise(batch_);
  forward_valid_ = false;
  this->mark_data_changed();
}

template <class Scalar>
void Objective<Scalar>::set_training(bool training) {
  model_.set_training(training);
  forward_valid_ = false;
  this->mark_data_changed();
}

template <class Scalar>
OracleSet Objective<Scalar>::oracles() const {
  return Oracle::kValue | Oracle::kGradient | Oracle::kResiduals | Oracle::kJacobian |
         Oracle::kJvp | Oracle::kVjp | Oracle::kGram | Oracle::kGgnProduct |
         Oracle::kHessianProduct | Oracle::kPerExampleGradients | Oracle::kKfacStatistics |
         Oracle::kStructuralDamping | Oracle::kSampledGaussNewton |
         (model_.gram_has_identities() ? OracleSet(Oracle::kGramFactors) : OracleSet());
}

template <class Scalar>
ConstMatrixRef<Scalar> Objective<Scalar>::batch_inputs() const {
  return Eigen::Map<const Mat, 0, Eigen::OuterStride<>>(inputs_, model_.input_size(), batch_,
                                                        Eigen::OuterStride<>(input_stride_));
}

template <class Scalar>
ConstMatrixRef<Scalar> Objective<Scalar>::targets() const {
  return Eigen::Map<const Mat, 0, Eigen::OuterStride<>>(targets_, target_rows_, batch_,
                                                        Eigen::OuterStride<>(target_stride_));
}

template <class Scalar>
void Objective<Scalar>::check_example_rows(const char* oracle, ConstMatrixRef<Scalar> rows) const {
  if (rows.rows() != batch_ || rows.cols() != num_parameters())
    throw ShapeError(std::string("Objective::") + oracle + ": output is " +
                     std::to_string(rows.rows()) + "x" + std::to_string(rows.cols()) +
                     ", expected " + std::to_string(batch_) + "x" +
                     std::to_string(num_parameters()));
}

template <class Scalar>
void Objective<Scalar>::check_size(const char* oracle, const char* what, Index received,
                                   Index expected) const {
  if (received != expected)
    throw ShapeError(std::string("Objective::") + oracle + ": " + what + " has " +
                     std::to_string(received) + " entries, expected " + std::to_string(expected));
}

template <class Scalar>
void Objective<Scalar>::ensure_forward(ConstVectorRef<Scalar> params) {
  if (!inputs_) throw Error("Objective: set_batch() must be called before evaluating oracles");
  model_.bind_parameters(params.data(), params.size());
  const auto bytes = static_cast<std::size_t>(params.size()) * sizeof(Scalar);
  if (forward_valid_ && cached_params_.size() == params.size() &&
      std::memcmp(cached_params_.data(), params.data(), bytes) == 0)
    return;
  model_.forward(Eigen::Map<const Mat, 0, Eigen::OuterStride<>>(
      inputs_, model_.input_size(), batch_, Eigen::OuterStride<>(input_stride_)));
  cached_params_ = params;
  forward_valid_ = true;
}

template <class Scalar>
Scalar Objective<Scalar>::value(ConstVectorRef<Scalar> params) {
  ensure_forward(params);
  return loss_.value(model_.output(), targets());
}

template <class Scalar>
Scalar Objective<Scalar>::gradient(ConstVectorRef<Scalar> params, VectorRef<Scalar> grad) {
  check_size("gradient", "the gradient", grad.size(), num_parameters());
  ensure_forward(params);
  dz_.resize(num_outputs(), batch_);
  loss_.gradient(model_.output(), targets(), dz_);
  model_.backward(dz_, grad.data());
  return loss_.value(model_.output(), targets());
}

template <class Scalar>
void Objective<Scalar>::residuals(ConstVectorRef<Scalar> params, VectorRef<Scalar> r) {
  check_size("residuals", "the residual vector", r.size(), num_residuals());
  ensure_forward(params);
  out_.resize(num_outputs(), batch_);
  loss_.residuals(model_.output(), targets(), out_);
  for (Index k = 0; k < num_outputs(); ++k) r.segment(k * batch_, batch_) = out_.row(k).transpose();
}

template <class Scalar>
void Objective<Scalar>::factor_cotangents() {
  const Index c = num_outputs();
  ublocks_.resize(c, batch_ * c);
  for (Index k = 0; k < c; ++k)
    loss_.factor_column(model_.output(), k, ublocks_.middleCols(k * batch_, batch_));
}

template <class Scalar>
void Objective<Scalar>::jacobian(ConstVectorRef<Scalar> params, MatrixRef<Scalar> J) {
  if (J.rows() != num_residuals() || J.cols() != num_parameters())
    throw ShapeError("Objective::jacobian: output is " + std::to_string(J.rows()) + "x" +
                     std::to_string(J.cols()) + ", expected " + std::to_string(num_residuals()) +
                     "x" + std::to_string(num_parameters()));
  ensure_forward(params);
  factor_cotangents();
  model_.row_cotangents(ublocks_);
  model_.jacobian_rows(J);
}

template <class Scalar>
void Objective<Scalar>::jacobian_block(ConstVectorRef<Scalar> params, Index block,
                                       MatrixRef<Scalar> J_block) {
  if (block < 0 || block >= num_outputs())
    throw ShapeError("Objective::jacobian_block: block " + std::to_string(block) +
                     " requested, the model has " + std::to_string(num_outputs()) + " outputs");
  if (J_block.rows() != batch_ || J_block.cols() != num_parameters())
    throw ShapeError("Objective::jacobian_block: output is " + std::to_string(J_block.rows()) +
                     "x" + std::to_string(J_block.cols()) + ", expected " + std::to_string(batch_) +
                     "x" + std::to_string(num_parameters()));
  ensure_forward(params);
  ublocks_.resize(num_outputs(), batch_);
  loss_.factor_column(model_.output(), block, ublocks_);
  model_.row_cotangents(ublocks_);
  model_.jacobian_rows(J_block);
}

template <class Scalar>
void Objective<Scalar>::jvp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                            VectorRef<Scalar> out) {
  check_size("jvp", "v", v.size(), num_parameters());
  check_size("jvp", "the output", out.size(), num_residuals());
  ensure_forward(params);
  const Mat& tangent = model_.jvp(v.data());
  out_.resize(num_outputs(), batch_);
  loss_.factor_transpose_product(model_.output(), tangent, out_);
  for (Index k = 0; k < num_outputs(); ++k)
    out.segment(k * batch_, batch_) = out_.row(k).transpose();
}

template <class Scalar>
void Objective<Scalar>::vjp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> u,
                            VectorRef<Scalar> out) {
  check_size("vjp", "u", u.size(), num_residuals());
  check_size("vjp", "the output", out.size(), num_parameters());
  ensure_forward(params);
  out_.resize(num_outputs(), batch_);
  for (Index k = 0; k < num_outputs(); ++k) out_.row(k) = u.segment(k * batch_, batch_).transpose();
  dz_.resize(num_outputs(), batch_);
  loss_.factor_product(model_.output(), out_, dz_);
  model_.backward(dz_, out.data());
}

template <class Scalar>
void Objective<Scalar>::gram(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) {
  if (G.rows() != num_residuals() || G.cols() != num_residuals())
    throw ShapeError("Objective::gram: output is " + std::to_string(G.rows()) + "x" +
                     std::to_string(G.cols()) + ", expected " + std::to_string(num_residuals()) +
                     " square");
  ensure_forward(params);
  factor_cotangents();
  model_.row_cotangents(ublocks_);
  G.setZero();
  model_.accumulate_gram(G);
  G.template triangularView<Eigen::StrictlyUpper>() = G.transpose();
}

template <class Scalar>
void Objective<Scalar>::gram_factors(ConstVectorRef<Scalar> params,
                                     std::vector<Matrix<Scalar>>& factors) {
  ensure_forward(params);
  factor_cotangents();
  model_.row_cotangents(ublocks_);
  model_.gram_factors(factors);
}

template <class Scalar>
void Objective<Scalar>::gram_from_factors(const std::vector<Matrix<Scalar>>& factors,
                                          MatrixRef<Scalar> G) {
  G.setZero();
  model_.accumulate_gram_from(factors, G);
  G.template triangularView<Eigen::StrictlyUpper>() = G.transpose();
}

template <class Scalar>
void Objective<Scalar>::ggn_vector_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                                           VectorRef<Scalar> out) {
  damped_ggn_product("ggn_vector_product", params, v, 0, out);
}

template <class Scalar>
void Objective<Scalar>::structurally_damped_ggn_product(ConstVectorRef<Scalar> params,
                                                        ConstVectorRef<Scalar> v, Scalar weight,
                                                        VectorRef<Scalar> out) {
  damped_ggn_product("structurally_damped_ggn_product", params, v, weight, out);
}

template <class Scalar>
void Objective<Scalar>::damped_ggn_product(const char* oracle, ConstVectorRef<Scalar> params,
                                           ConstVectorRef<Scalar> v, Scalar weight,
                                           VectorRef<Scalar> out) {
  check_size(oracle, "v", v.size(), num_parameters());
  check_size(oracle, "the output", out.size(), num_parameters());
  ensure_forward(params);
  const Mat& tangent = model_.jvp(v.data());
  rz_.resize(num_outputs(), batch_);
  loss_.gauss_newton_product(model_.output(), targets(), tangent, rz_);
  if (weight == 0)
    model_.backward(rz_, out.data());
  else
    model_.backward_with_hidden_damping(rz_, out.data(), weight / static_cast<Scalar>(batch_));
}

template <class Scalar>
void Objective<Scalar>::hessian_vector_product(ConstVectorRef<Scalar> params,
                                               ConstVectorRef<Scalar> v, VectorRef<Scalar> out) {
  check_size("hessian_vector_product", "v", v.size(), num_parameters());
  check_size("hessian_vector_product", "the output", out.size(), num_parameters());
  ensure_forward(params);
  dz_.resize(num_outputs(), batch_);
  loss_.gradient(model_.output(), targets(), dz_);
  model_.backward(dz_, nullptr);  // keeps every layer's cotangent for the R-pass
  const Mat& tangent = model_.jvp(v.data());
  rz_.resize(num_outputs(), batch_);
  loss_.hessian_product(model_.output(), targets(), tangent, rz_);
  model_.hvp_backward(v.data(), rz_, out.data());
}

template <class Scalar>
void Objective<Scalar>::hessian_matrix_product(ConstVectorRef<Scalar> params,
                                               ConstMatrixRef<Scalar> V, MatrixRef<Scalar> out) {
  this->check_matrix_product("hessian_matrix_product", V, out);
  const Index k = V.cols();
  if (k == 0) return;
  ensure_forward(params);
  dz_.resize(num_outputs(), batch_);
  loss_.gradient(model_.output(), targets(), dz_);
  model_.backward(dz_, nullptr);  // keeps every layer's cotangent for the R-pass
  const Mat& tangents = model_.jvp_columns(V.data(), V.outerStride(), k);
  column_rz_.resize(num_outputs(), k * batch_);
  for (Index j = 0; j < k; ++j)
    loss_.hessian_product(model_.output(), targets(), tangents.middleCols(j * batch_, batch_),
                          column_rz_.middleCols(j * batch_, batch_));
  model_.hvp_backward_columns(V.data(), V.outerStride(), column_rz_, out.data(), out.outerStride());
}

template <class Scalar>
void Objective<Scalar>::ggn_matrix_product(ConstVectorRef<Scalar> params, ConstMatrixRef<Scalar> V,
                                           MatrixRef<Scalar> out) {
  this->check_matrix_product("ggn_matrix_product", V, out);
  const Index k = V.cols();
  if (k == 0) return;
  ensure_forward(params);
  const Mat& tangents = model_.jvp_columns(V.data(), V.outerStride(), k);
  column_rz_.resize(num_outputs(), k * batch_);
  for (Index j = 0; j < k; ++j)
    loss_.gauss_newton_product(model_.output(), targets(), tangents.middleCols(j * batch_, batch_),
                               column_rz_.middleCols(j * batch_, batch_));
  model_.backward_columns(column_rz_, out.data(), out.outerStride());
}

template <class Scalar>
void Objective<Scalar>::per_example_gradients(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) {
  check_example_rows("per_example_gradients", G);
  ensure_forward(params);
  dz_.resize(num_outputs(), batch_);
  loss_.gradient(model_.output(), targets(), dz_);
  model_.row_cotangents(dz_);
  model_.jacobian_rows(G);
}

template <class Scalar>
void Objective<Scalar>::per_example_losses(ConstVectorRef<Scalar> params, VectorRef<Scalar> out) {
  check_size("per_example_losses", "the output", out.size(), batch_);
  ensure_forward(params);
  loss_.example_values(model_.output(), targets(), out);
}

template <class Scalar>
void Objective<Scalar>::empirical_fisher_diagonal(ConstVectorRef<Scalar> params,
                                                  VectorRef<Scalar> out) {
  check_size("empirical_fisher_diagonal", "the output", out.size(), num_parameters());
  ensure_forward(params);
  dz_.resize(num_outputs(), batch_);
  loss_.gradient(model_.output(), targets(), dz_);
  model_.row_cotangents(dz_);  // rows gₛ with Σₛ gₛ = ∇f, as per_example_gradients
  model_.squared_row_sums(out);
  out *= static_cast<Scalar>(batch_);
}

template <class Scalar>
void Objective<Scalar>::kfac_statistics(ConstVectorRef<Scalar> params, KfacTargets which, Rng& rng,
                                        std::vector<KfacFactors<Scalar>>& out) {
  ensure_forward(params);
  const Mat& Z = model_.output();
  const Index c = num_outputs();
  if (which == KfacTargets::kExact) {
    // Column k of every example's factor, Q e_k, in block k: the factor is that of the reduced
    // loss scale·Σℓₛ (QQᵀ = scale·∂²ℓₛ/∂z²), so 1/√scale makes it the per-example loss's.
    dz_.resize(c, c * batch_);
    for (Index k = 0; k < c; ++k) loss_.factor_column(Z, k, dz_.middleCols(k * batch_, batch_));
    dz_ /= std::sqrt(loss_.scale(batch_, c));
    model_.row_cotangents(dz_);
    model_.kfac_factors(out);
    return;
  }
  dz_.resize(c, batch_);
  if (which == KfacTargets::kSampled) {
    sampled_.resize(num_outputs(), batch_);
    loss_.sample_targets(Z, rng, sampled_);
    loss_.gradient(Z, sampled_, dz_);
  } else {
    loss_.gradient(Z, targets(), dz_);
  }
  // Per-example gradients of the unreduced per-example loss ℓ_s.
  dz_ /= loss_.scale(batch_, num_outputs());
  model_.row_cotangents(dz_);
  model_.kfac_factors(out);
}

template <class Scalar>
void Objective<Scalar>::sampled_gauss_newton_rows(ConstVectorRef<Scalar> params, Rng& rng,
                                                  MatrixRef<Scalar> rows) {
  check_example_rows("sampled_gauss_newton_rows", rows);
  ensure_forward(params);
  dz_.resize(num_outputs(), batch_);
  loss_.sample_gauss_newton_cotangents(model_.output(), rng, dz_);
  model_.row_cotangents(dz_);
  model_.jacobian_rows(rows);
}

template <class Scalar>
double Objective<Scalar>::loss_terms() const {
  return 1.0 / static_cast<double>(loss_.scale(batch_, num_outputs()));
}

template class Objective<float>;
template class Objective<double>;

}  // namespace curvopt

#include "curvopt/optim/kfac/kfac_curvature.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "curvopt/core/enum_names.h"
#include "curvopt/core/errors.h"
#include "curvopt/core/random.h"
#include "curvopt/optim/option_fields.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(KfacInverse, {KfacInverse::kCholesky, "cholesky"},
                   {KfacInverse::kEigen, "eigen"})
CURVOPT_ENUM_NAMES(KfacTargets, {KfacTargets::kSampled, "sampled"},
                   {KfacTargets::kEmpirical, "empirical"})

std::optional<std::string> KfacCurvatureOptions::validate() const {
  if (!(decay >= 0 && decay < 1))
    return "KfacCurvatureOptions::decay = " + format_option_value(decay) + ": must be in [0, 1)";
  return std::nullopt;
}

template <class Scalar>
KfacCurvature<Scalar>::KfacCurvature(const KfacCurvatureOptions& options) : options_(options) {
  if (const auto error = options.validate()) throw ConfigError(*error);
}

template <class Scalar>
void KfacCurvature<Scalar>::check_coverage(Index n) const {
  // The blocks come in layer order; they must tile [0, n) without gaps or overlaps.
  Index next = 0;
  for (const Layer& l : layers_) {
    if (l.offset != next)
      throw Error("kfac: parameters " + std::to_string(next) + ".." + std::to_string(l.offset - 1) +
                  " belong to no Dense or Conv2d layer; K-FAC covers only those");
    next = l.offset + l.rows * l.cols;
  }
  if (next != n)
    throw Error("kfac: parameters " + std::to_string(next) + ".." + std::to_string(n - 1) +
                " belong to no Dense or Conv2d layer; K-FAC covers only those");
}

template <class Scalar>
bool KfacCurvature<Scalar>::update(Problem<Scalar>& problem, ConstVectorRef<Scalar> params) {
  // One stream per update, so that a resumed run draws what an uninterrupted one would.
  Rng rng(options_.seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(draws_++));
  problem.kfac_statistics(params, options_.targets, rng, statistics_);
  for (const KfacFactors<Scalar>& s : statistics_)
    if (!s.A.allFinite() || !s.G.allFinite()) return false;
  if (layers_.size() != statistics_.size()) {
    layers_.clear();
    layers_.resize(statistics_.size());
    updates_ = 0;
    inverted_ = false;
  }
  for (std::size_t i = 0; i < statistics_.size(); ++i) {
    const KfacFactors<Scalar>& s = statistics_[i];
    Layer& l = layers_[i];
    if (l.A.rows() != s.A.rows() || l.G.rows() != s.G.rows() || l.offset != s.offset) {
      l.offset = s.offset;
      l.rows = s.G.rows();
      l.cols = s.A.rows();
      l.A.setZero(l.cols, l.cols);
      l.G.setZero(l.rows, l.rows);
      l.saved_A.resize(l.cols, l.cols);  // sized here, so snapshot() never allocates
      l.saved_G.resize(l.rows, l.rows);
      l.block.resize(l.rows, l.cols);
      l.solved.resize(l.rows, l.cols);
      updates_ = 0;
      inverted_ = false;
    }
  }
  check_coverage(params.size());
  // ε = min(1 − 1/k, decay): the first update takes the statistics as they are.
  const double k = static_cast<double>(updates_ + 1);
  const double eps = std::min(1 - 1 / k, options_.decay);
  for (std::size_t i = 0; i < statistics_.size(); ++i) {
    Layer& l = layers_[i];
    l.A = eps * l.A + (1 - eps) * statistics_[i].A.template cast<double>();
    l.G = eps * l.G + (1 - eps) * statistics_[i].G.template cast<double>();
  }
  ++updates_;
  return true;
}

template <class Scalar>
bool KfacCurvature<Scalar>::invert(double gamma) {
  if (!has_statistics()) return false;
  for (Layer& l : layers_) {
    const bool ok = options_.inverse == KfacInverse::kCholesky
                        ? l.cholesky.factorize(l.A, l.G, gamma) == FactorStatus::kPositiveDefinite
                        : l.eigen.decompose(l.A, l.G);
    if (!ok) {
      // A failed factor leaves this layer's previous inverse half overwritten: recompute them all
      // for the old γ, which succeeded.
      if (inverted_ && gamma != gamma_) invert(gamma_);
      return false;
    }
  }
  gamma_ = gamma;
  inverted_ = true;
  inverted_since_snapshot_ = true;
  return true;
}

template <class Scalar>
void KfacCurvature<Scalar>::snapshot() {
  for (Layer& l : layers_) {
    l.saved_A = l.A;
    l.saved_G = l.G;
  }
  saved_ = {.valid = true,
            .layers = layers_.size(),
            .updates = updates_,
            .draws = draws_,
            .gamma = gamma_,
            .inverted = inverted_};
  inverted_since_snapshot_ = false;
}

template <class Scalar>
void KfacCurvature<Scalar>::restore() {
  if (!saved_.valid) return;
  draws_ = saved_.draws;
  if (saved_.updates == 0 || saved_.layers != layers_.size()) {
    // Before the first statistics (or before the layers were known): back to empty.
    const std::int64_t draws = draws_;
    reset();
    draws_ = draws;
    return;
  }
  for (Layer& l : layers_) {
    l.A = l.saved_A;
    l.G = l.saved_G;
  }
  updates_ = saved_.updates;
  if (inverted_since_snapshot_) {
    inverted_ = false;
    if (saved_.inverted) invert(saved_.gamma);  // the same factors and γ: the same inverses
  }
  inverted_since_snapshot_ = false;
}

template <class Scalar>
void KfacCurvature<Scalar>::precondition(ConstVectorRef<Scalar> gradient, VectorRef<Scalar> out) {
  for (Layer& l : layers_) {
    l.block =
        ConstMatrixMap<Scalar>(gradient.data() + l.offset, l.rows, l.cols).template cast<double>();
    if (options_.inverse == KfacInverse::kCholesky)
      l.cholesky.solve(l.block, l.solved);
    else
      l.eigen.solve_factored(l.block, gamma_, l.solved);
    MatrixMap<Scalar>(out.data() + l.offset, l.rows, l.cols) = l.solved.template cast<Scalar>();
  }
}

template <class Scalar>
void KfacCurvature<Scalar>::reset() {
  layers_.clear();
  updates_ = 0;
  draws_ = 0;
  gamma_ = 0;
  inverted_ = false;
  saved_ = {};
}

template <class Scalar>
void KfacCurvature<Scalar>::save(OptimizerState& state) const {
  state.put("kfac_updates", static_cast<double>(updates_));
  state.put("kfac_draws", static_cast<double>(draws_));
  state.put("kfac_gamma", inverted_ ? gamma_ : 0.0);
  Vector<double> shapes(3 * static_cast<Index>(layers_.size()));
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    shapes.segment(3 * static_cast<Index>(i), 3) << static_cast<double>(l.offset),
        static_cast<double>(l.rows), static_cast<double>(l.cols);
    state.put("kfac_A" + std::to_string(i), l.A);
    state.put("kfac_G" + std::to_string(i), l.G);
  }
  state.put("kfac_layers", shapes);
}

template <class Scalar>
void KfacCurvature<Scalar>::load(const OptimizerState& state, Index n) {
  reset();
  updates_ = state.get_count("kfac_updates");
  draws_ = state.get_count("kfac_draws");
  const double gamma = state.get_scalar("kfac_gamma");
  const std::span<const double> shapes = state.get("kfac_layers");
  if (shapes.size() % 3 != 0) throw ValueError("kfac: state entry kfac_layers is malformed");
  layers_.resize(shapes.size() / 3);
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Layer& l = layers_[i];
    for (int j = 0; j < 3; ++j)
      if (!OptimizerState::is_count(shapes[3 * i + static_cast<std::size_t>(j)]))
        throw ValueError("kfac: state entry kfac_layers holds a value that is not a count");
    l.offset = static_cast<Index>(shapes[3 * i]);
    l.rows = static_cast<Index>(shapes[3 * i + 1]);
    l.cols = static_cast<Index>(shapes[3 * i + 2]);
    if (l.offset + l.rows * l.cols > n)
      throw ValueError("kfac: state's layer " + std::to_string(i) + " ends past the " +
                       std::to_string(n) + " parameters");
    l.A.resize(l.cols, l.cols);
    l.G.resize(l.rows, l.rows);
    state.get_into("kfac_A" + std::to_string(i), l.A);
    state.get_into("kfac_G" + std::to_string(i), l.G);
    if (!l.A.allFinite() || !l.G.allFinite())
      throw ValueError("kfac: state's factors of layer " + std::to_string(i) + " are not finite");
    l.block.resize(l.rows, l.cols);
    l.solved.resize(l.rows, l.cols);
    l.saved_A.resize(l.cols, l.cols);
    l.saved_G.resize(l.rows, l.rows);
  }
  if (!layers_.empty()) check_coverage(n);
  if (!(gamma >= 0) || !std::isfinite(gamma))
    throw ValueError("kfac: state entry kfac_gamma must be finite and >= 0");
  if (gamma > 0 && !invert(gamma))
    throw ValueError("kfac: the state's factors are not positive definite at its damping");
}

template class KfacCurvature<float>;
template class KfacCurvature<double>;

}  // namespace curvopt

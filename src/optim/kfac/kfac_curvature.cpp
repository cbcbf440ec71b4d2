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
                   {KfacInverse::kEigen, "eigen"}, {KfacInverse::kEkfac, "ekfac"})
CURVOPT_ENUM_NAMES(KfacTargets, {KfacTargets::kSampled, "sampled"},
                   {KfacTargets::kEmpirical, "empirical"}, {KfacTargets::kExact, "exact"})

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
                  " belong to no Dense, Conv2d or Embedding layer; K-FAC covers only those");
    next = l.offset + l.rows * l.cols;
  }
  if (next != n)
    throw Error("kfac: parameters " + std::to_string(next) + ".." + std::to_string(n - 1) +
                " belong to no Dense, Conv2d or Embedding layer; K-FAC covers only those");
}

template <class Scalar>
void KfacCurvature<Scalar>::size_buffers(Layer& l) const {
  l.saved_A.resize(l.A.rows(), l.A.cols());
  l.saved_G.resize(l.rows, l.rows);
  l.block.resize(l.rows, l.cols);
  l.solved.resize(l.rows, l.cols);
  const bool full = explicit_inverses(l);
  l.inverse_A_d.resize(full ? l.cols : 0, full ? l.cols : 0);
  l.inverse_G_d.resize(full ? l.rows : 0, full ? l.rows : 0);
  l.inverse_A.resize(l.inverse_A_d.rows(), l.inverse_A_d.cols());
  l.inverse_G.resize(l.inverse_G_d.rows(), l.inverse_G_d.cols());
  l.half.resize(full ? l.rows : 0, full ? l.cols : 0);
  l.scaling.resize(scaled(l) ? l.rows : 0, scaled(l) ? l.cols : 0);
  l.saved_scaling.resize(l.scaling.rows(), l.scaling.cols());
  l.inverted_A.resize(l.A.rows(), l.A.cols());
  l.inverted_G.resize(l.rows, l.rows);
  l.saved_inverted_A.resize(l.A.rows(), l.A.cols());
  l.saved_inverted_G.resize(l.rows, l.rows);
}

template <class Scalar>
void KfacCurvature<Scalar>::pass_bases() {
  const bool ekfac = options_.inverse == KfacInverse::kEkfac && inverted_;
  // A loaded state has layers but no statistics yet: their entries carry the bases in.
  if (ekfac && statistics_.size() < layers_.size()) statistics_.resize(layers_.size());
  for (std::size_t i = 0; i < statistics_.size(); ++i) {
    KfacFactors<Scalar>& s = statistics_[i];
    if (ekfac && i < layers_.size() && scaled(layers_[i])) {
      s.basis_A = layers_[i].eigen.basis_a().template cast<Scalar>();
      s.basis_G = layers_[i].eigen.basis_g().template cast<Scalar>();
    } else {
      s.basis_A.resize(0, 0);
      s.basis_G.resize(0, 0);
    }
  }
}

template <class Scalar>
void KfacCurvature<Scalar>::fold_scalings() {
  // The scalings drawn since the bases were refreshed, averaged as the factors are; the first
  // replaces the Kronecker eigenvalues the refresh started from.
  const double k = static_cast<double>(++scaling_updates_);
  const double eps = std::min(1 - 1 / k, options_.decay);
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Layer& l = layers_[i];
    const KfacFactors<Scalar>& s = statistics_[i];
    if (!scaled(l) || s.basis_A.size() == 0 || s.scaling.rows() != l.scaling.rows() ||
        s.scaling.cols() != l.scaling.cols())
      continue;
    l.scaling = eps * l.scaling + (1 - eps) * s.scaling.template cast<double>();
  }
}

template <class Scalar>
bool KfacCurvature<Scalar>::update(Problem<Scalar>& problem, ConstVectorRef<Scalar> params) {
  // One stream per update, so that a resumed run draws what an uninterrupted one would.
  Rng rng(options_.seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(draws_++));
  pass_bases();
  const bool with_scalings = options_.inverse == KfacInverse::kEkfac && inverted_;
  problem.kfac_statistics(params, options_.targets, rng, statistics_);
  for (const KfacFactors<Scalar>& s : statistics_)
    if (!s.A.allFinite() || !s.G.allFinite() || (s.basis_A.size() > 0 && !s.scaling.allFinite()))
      return false;
  if (layers_.size() != statistics_.size()) {
    layers_.clear();
    layers_.resize(statistics_.size());
    updates_ = 0;
    inverted_ = false;
  }
  for (std::size_t i = 0; i < statistics_.size(); ++i) {
    const KfacFactors<Scalar>& s = statistics_[i];
    Layer& l = layers_[i];
    if (l.A.rows() != s.A.rows() || l.A.cols() != s.A.cols() || l.G.rows() != s.G.rows() ||
        l.offset != s.offset || l.diagonal != s.diagonal_A) {
      l.offset = s.offset;
      l.diagonal = s.diagonal_A;
      l.rows = s.G.rows();
      l.cols = s.A.rows();
      l.A.setZero(l.cols, l.diagonal ? 1 : l.cols);
      l.G.setZero(l.rows, l.rows);
      size_buffers(l);  // here, so that snapshot(), invert() and precondition() never allocate
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
  // Bases handed out before a reshape (updates_ reset above) belong to no current layer.
  if (with_scalings && inverted_) fold_scalings();
  return true;
}

template <class Scalar>
bool KfacCurvature<Scalar>::factor_layer(std::size_t i, double gamma, bool current) {
  Layer& l = layers_[i];
  const Matrix<double>& A = current ? l.A : l.inverted_A;
  const Matrix<double>& G = current ? l.G : l.inverted_G;
  const bool ok = l.diagonal ? l.cholesky.factorize_diagonal(A.col(0), G, gamma) ==
                                   FactorStatus::kPositiveDefinite
                  : options_.inverse == KfacInverse::kCholesky
                      ? l.cholesky.factorize(A, G, gamma) == FactorStatus::kPositiveDefinite
                      : l.eigen.decompose(A, G);
  if (ok && explicit_inverses(l)) l.cholesky.inverses(l.inverse_A_d, l.inverse_G_d);
  return ok;
}

template <class Scalar>
bool KfacCurvature<Scalar>::factor_layers(double gamma, bool current, Problem<Scalar>* share) {
  bool ok = true;
  explicit_layers_.clear();
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (share && explicit_inverses(layers_[i]))
      explicit_layers_.push_back(i);  // spread over the ranks below
    else if (!factor_layer(i, gamma, current))
      return false;
  }
  if (!explicit_layers_.empty()) {
    InverseWork work(*this);  // on the stack: KfacCurvature stays copyable
    work.gamma = gamma;
    work.current = current;
    ok = share->share_work(work);
  }
  if (!ok) return false;
  for (Layer& l : layers_)
    if (explicit_inverses(l)) {
      l.inverse_A = l.inverse_A_d.template cast<Scalar>();
      l.inverse_G = l.inverse_G_d.template cast<Scalar>();
    }
  return true;
}

template <class Scalar>
double KfacCurvature<Scalar>::InverseWork::cost(Index task) const {
  const Layer& l = owner_.layers_[owner_.explicit_layers_[static_cast<std::size_t>(task)]];
  const auto a = static_cast<double>(l.cols), g = static_cast<double>(l.rows);
  return a * a * a + g * g * g;  // factor and invert: ∝ d³ for each factor
}

template <class Scalar>
bool KfacCurvature<Scalar>::InverseWork::run(Index task) {
  return owner_.factor_layer(owner_.explicit_layers_[static_cast<std::size_t>(task)], gamma,
                             current);
}

template <class Scalar>
std::span<double> KfacCurvature<Scalar>::InverseWork::output(Index task, int part) {
  Layer& l = owner_.layers_[owner_.explicit_layers_[static_cast<std::size_t>(task)]];
  Matrix<double>& m = part == 0 ? l.inverse_A_d : l.inverse_G_d;
  return {m.data(), static_cast<std::size_t>(m.size())};
}

template <class Scalar>
bool KfacCurvature<Scalar>::invert(double gamma, Problem<Scalar>* share) {
  if (!has_statistics()) return false;
  if (!factor_layers(gamma, true, share)) {
    // A failed layer leaves the inverses half overwritten: back to the last ones that worked.
    if (inverted_) factor_layers(gamma_, false, share);
    return false;
  }
  // The factors behind the inverses, which go on moving until the next refresh: a checkpoint
  // and restore() rebuild the inverses from these, bit for bit.
  for (Layer& l : layers_) {
    l.inverted_A = l.A;
    l.inverted_G = l.G;
    if (scaled(l)) l.eigen.kronecker_eigenvalues(l.scaling);  // new bases, fresh start
  }
  if (options_.inverse == KfacInverse::kEkfac) scaling_updates_ = 0;
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
    l.saved_scaling = l.scaling;
    l.saved_inverted_A = l.inverted_A;
    l.saved_inverted_G = l.inverted_G;
  }
  saved_ = {.valid = true,
            .layers = layers_.size(),
            .updates = updates_,
            .draws = draws_,
            .scaling_updates = scaling_updates_,
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
    // The inverses of the snapshot: its inverted factors at its γ, refactored.
    inverted_ = false;
    for (Layer& l : layers_) {
      l.inverted_A = l.saved_inverted_A;
      l.inverted_G = l.saved_inverted_G;
    }
    if (saved_.inverted && factor_layers(saved_.gamma, false)) {
      gamma_ = saved_.gamma;
      inverted_ = true;
    }
  }
  // After invert(), which restarts EKFAC's scalings from the eigenvalues.
  for (Layer& l : layers_) l.scaling = l.saved_scaling;
  scaling_updates_ = saved_.scaling_updates;
  inverted_since_snapshot_ = false;
}

template <class Scalar>
void KfacCurvature<Scalar>::precondition(ConstVectorRef<Scalar> gradient, VectorRef<Scalar> out) {
  for (Layer& l : layers_) {
    const ConstMatrixMap<Scalar> V(gradient.data() + l.offset, l.rows, l.cols);
    if (explicit_inverses(l)) {
      l.half.noalias() = l.inverse_G * V;  // V is read in full before `out` is written
      MatrixMap<Scalar>(out.data() + l.offset, l.rows, l.cols).noalias() = l.half * l.inverse_A;
      continue;
    }
    l.block = V.template cast<double>();
    if (l.diagonal)
      l.cholesky.solve(l.block, l.solved);
    else if (scaled(l))
      l.eigen.solve_scaled(l.block, l.scaling, gamma_ * gamma_, l.solved);
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
  scaling_updates_ = 0;
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
  Vector<double> diagonal(static_cast<Index>(layers_.size()));
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    shapes.segment(3 * static_cast<Index>(i), 3) << static_cast<double>(l.offset),
        static_cast<double>(l.rows), static_cast<double>(l.cols);
    diagonal(static_cast<Index>(i)) = l.diagonal ? 1 : 0;
    state.put("kfac_A" + std::to_string(i), l.A);
    state.put("kfac_G" + std::to_string(i), l.G);
    if (inverted_) {
      state.put("kfac_inverted_A" + std::to_string(i), l.inverted_A);
      state.put("kfac_inverted_G" + std::to_string(i), l.inverted_G);
    }
  }
  state.put("kfac_layers", shapes);
  state.put("kfac_diagonal", diagonal);
  if (options_.inverse == KfacInverse::kEkfac) {
    state.put("kfac_scaling_updates", static_cast<double>(scaling_updates_));
    for (std::size_t i = 0; i < layers_.size(); ++i)
      if (scaled(layers_[i])) state.put("kfac_S" + std::to_string(i), layers_[i].scaling);
  }
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
  // Absent from the checkpoints of versions without Embedding blocks: every A is then full.
  const std::span<const double> diagonal =
      state.contains("kfac_diagonal") ? state.get("kfac_diagonal") : std::span<const double>();
  if (!diagonal.empty() && diagonal.size() != layers_.size())
    throw ValueError("kfac: state entry kfac_diagonal does not match kfac_layers");
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
    l.diagonal = !diagonal.empty() && diagonal[i] != 0;
    l.A.resize(l.cols, l.diagonal ? 1 : l.cols);
    l.G.resize(l.rows, l.rows);
    state.get_into("kfac_A" + std::to_string(i), l.A);
    state.get_into("kfac_G" + std::to_string(i), l.G);
    if (!l.A.allFinite() || !l.G.allFinite())
      throw ValueError("kfac: state's factors of layer " + std::to_string(i) + " are not finite");
    size_buffers(l);
    // The factors the inverses were computed from (older checkpoints: the current ones).
    const std::string ia = "kfac_inverted_A" + std::to_string(i);
    const std::string ig = "kfac_inverted_G" + std::to_string(i);
    if (state.contains(ia) && state.contains(ig)) {
      state.get_into(ia, l.inverted_A);
      state.get_into(ig, l.inverted_G);
    } else {
      l.inverted_A = l.A;
      l.inverted_G = l.G;
    }
    if (!l.inverted_A.allFinite() || !l.inverted_G.allFinite())
      throw ValueError("kfac: state's inverted factors of layer " + std::to_string(i) +
                       " are not finite");
  }
  if (!layers_.empty()) check_coverage(n);
  if (!(gamma >= 0) || !std::isfinite(gamma))
    throw ValueError("kfac: state entry kfac_gamma must be finite and >= 0");
  if (gamma > 0) {
    if (!factor_layers(gamma, false))
      throw ValueError("kfac: the state's factors are not positive definite at its damping");
    gamma_ = gamma;
    inverted_ = true;
  }
  if (options_.inverse == KfacInverse::kEkfac && gamma > 0) {
    // The bases are those of the saved inverted factors, the scalings the saved ones.
    scaling_updates_ = state.get_count("kfac_scaling_updates");
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      Layer& l = layers_[i];
      if (!scaled(l)) continue;
      state.get_into("kfac_S" + std::to_string(i), l.scaling);
      if (!l.scaling.allFinite())
        throw ValueError("kfac: state's EKFAC scaling of layer " + std::to_string(i) +
                         " is not finite");
    }
  }
}

template class KfacCurvature<float>;
template class KfacCurvature<double>;

}  // namespace curvopt

#pragma once
/// The Kronecker-factored curvature of K-FAC (Martens & Grosse 2015) and KFC (Grosse & Martens
/// 2016): per layer, moving averages of the factors A (inputs) and G (pre-activation gradients)
/// from the problem's K-FAC statistics oracle, their damped inverses, and the preconditioned
/// gradient F̃⁻¹g. The piece both faces of K-FAC share: the full optimizer's descent and the
/// preconditioner in front of a first-order method.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "curvopt/linalg/kronecker.h"
#include "curvopt/optim/optimizer_state.h"
#include "curvopt/problem/problem.h"

namespace curvopt {

/// How the damped factor inverses are computed.
enum class KfacInverse {
  kCholesky,  ///< (A + πγI)⁻¹ and (G + (γ/π)I)⁻¹ by Cholesky: (d³_in + d³_out)/3 per refresh
  kEigen,  ///< eigendecompositions of A and G: ~9(d³_in + d³_out) per refresh, but a new γ
           ///< between refreshes costs nothing
};

std::string_view to_string(KfacInverse k);
bool parse_enum(std::string_view text, KfacInverse& out);
std::string enum_choices(KfacInverse);

std::string_view to_string(KfacTargets t);
bool parse_enum(std::string_view text, KfacTargets& out);
std::string enum_choices(KfacTargets);

struct KfacCurvatureOptions {
  /// Where Ĝ's gradients come from: targets sampled from the model (the Fisher, Martens &
  /// Grosse's choice) or the data labels (the empirical Fisher).
  KfacTargets targets = KfacTargets::kSampled;
  /// The moving average Ā ← εĀ + (1 − ε)A with ε = min(1 − 1/k, decay) at the k-th update
  /// (Martens & Grosse 2015). Default 0.95, in [0, 1).
  double decay = 0.95;
  KfacInverse inverse = KfacInverse::kCholesky;
  /// Seed of the sampled targets (each statistics update draws from its own stream).
  std::uint64_t seed = 0;

  std::optional<std::string> validate() const;
};

/// Factors are accumulated and inverted in float64 whatever the network's precision: their
/// entries are means of products over a batch whose float32 sums lose digits, and the damped
/// inverses of their ill-conditioned moving averages (condition numbers of 1e6 and more once γ
/// is small) are where float32 Cholesky fails first; the factors are small (d² per layer) next
/// to the network, so double costs little. The layers of the statistics must cover every
/// parameter exactly once (a network of Dense and Conv2d layers); update() throws Error naming
/// the first uncovered parameter otherwise.
/// Checkpoint keys: kfac_updates, kfac_draws, kfac_gamma, kfac_layers, kfac_A<i>, kfac_G<i>
/// (the inverses are recomputed from the factors and γ on load, bit for bit).
/// @tparam Scalar the network's float or double
template <class Scalar>
class KfacCurvature {
 public:
  /// Throws ConfigError when the options are invalid.
  explicit KfacCurvature(const KfacCurvatureOptions& options = {});

  /// Draws the statistics at θ on the problem's (curvature) batch and folds them into the
  /// moving averages. False, with the averages untouched, when a statistic is not finite.
  bool update(Problem<Scalar>& problem, ConstVectorRef<Scalar> params);
  /// Recomputes the damped inverses of the current averages for factored damping γ > 0.
  /// False when a damped factor is not positive definite (the previous inverses stay).
  bool invert(double gamma);
  /// out = F̃⁻¹ g with the last inverses, F̃ = blockdiag(Āᵢ ⊗ Ĝᵢ) with factored damping γ.
  void precondition(ConstVectorRef<Scalar> gradient, VectorRef<Scalar> out);

  bool has_statistics() const { return updates_ > 0; }
  bool has_inverses() const { return inverted_; }
  /// γ of the last successful invert().
  double gamma() const { return gamma_; }
  std::int64_t updates() const { return updates_; }
  int num_layers() const { return static_cast<int>(layers_.size()); }
  /// The moving averages of layer i (float64).
  const Matrix<double>& A(int i) const { return layers_[static_cast<std::size_t>(i)].A; }
  const Matrix<double>& G(int i) const { return layers_[static_cast<std::size_t>(i)].G; }

  /// Remembers the averages and counters (into buffers kept between calls), so that restore()
  /// can undo the updates and inversions made after it.
  void snapshot();
  void restore();

  void reset();
  void save(OptimizerState& state) const;
  /// Restores the averages for a problem of n parameters and recomputes the inverses.
  void load(const OptimizerState& state, Index n);

 private:
  struct Layer {
    Index offset = 0, rows = 0, cols = 0;  // the block [W b] is rows × cols at θ + offset
    Matrix<double> A, G;                   // moving averages
    Matrix<double> saved_A, saved_G;       // snapshot()
    KroneckerCholesky<double> cholesky;
    KroneckerEigen<double> eigen;
    Matrix<double> block, solved;  // the gradient block and its solve, in double
  };
  void check_coverage(Index n) const;

  KfacCurvatureOptions options_;
  std::vector<Layer> layers_;
  std::vector<KfacFactors<Scalar>> statistics_;
  std::int64_t updates_ = 0, draws_ = 0;
  double gamma_ = 0;
  bool inverted_ = false;
  struct Saved {
    bool valid = false;
    std::size_t layers = 0;
    std::int64_t updates = 0, draws = 0;
    double gamma = 0;
    bool inverted = false;
  } saved_;
  bool inverted_since_snapshot_ = false;
};

extern template class KfacCurvature<float>;
extern template class KfacCurvature<double>;

}  // namespace curvopt

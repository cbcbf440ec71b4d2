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
  /// EKFAC (George et al. 2018): the eigenbases of A and G as kEigen, with the eigenvalues gᵢaⱼ
  /// replaced by the second moments Sᵢⱼ of the per-example gradients in that basis (moving
  /// averages, drawn with the statistics; the optimal diagonal there), damped as S + γ²
  kEkfac,
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
/// to the network, so double costs little. An Embedding table's A is diagonal (one-hot inputs)
/// and is kept and inverted as a diagonal, by Cholesky of G whatever `inverse` says. The blocks
/// of the statistics must cover every parameter exactly once (Dense, Conv2d and Embedding
/// layers); update() throws Error naming the first uncovered parameter otherwise.
/// Checkpoint keys: kfac_updates, kfac_draws, kfac_gamma, kfac_layers, kfac_diagonal, kfac_A<i>,
/// kfac_G<i>, kfac_inverted_A<i> and kfac_inverted_G<i> (the averages of the last inversion,
/// from which load() recomputes the inverses bit for bit), and with EKFAC kfac_scaling_updates
/// and kfac_S<i>.
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
  /// False when a damped factor is not positive definite (the previous inverses stay). With
  /// `share` (the problem of the step), the Cholesky inverses of the layers are spread over its
  /// ranks by Problem::share_work — each layer inverted on one rank — and are the same bits as
  /// inverting them all here.
  bool invert(double gamma, Problem<Scalar>* share = nullptr);
  /// out = F̃⁻¹ g with the last inverses, F̃ = blockdiag(Āᵢ ⊗ Ĝᵢ) with factored damping γ. With
  /// Cholesky inverses a block is two GEMMs in the network's precision with the explicit damped
  /// inverses (formed in double at each invert(), d³ flops amortized over the inverse period):
  /// every step applies them, and triangular solves in double cost 4-6× as much.
  /// `out` may alias `gradient`.
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
  /// With eigen or EKFAC inverses: layer i's eigenbases (after invert()).
  ConstMatrixMap<double> basis_A(int i) const {
    return layers_[static_cast<std::size_t>(i)].eigen.basis_a();
  }
  ConstMatrixMap<double> basis_G(int i) const {
    return layers_[static_cast<std::size_t>(i)].eigen.basis_g();
  }
  /// With EKFAC inverses: layer i's scaling S (rows × cols of its block; empty for a diagonal A).
  const Matrix<double>& scaling(int i) const {
    return layers_[static_cast<std::size_t>(i)].scaling;
  }

  /// Remembers the averages and counters (into buffers kept between calls), so that restore()
  /// can undo the updates and inversions made after it.
  void snapshot();
  void restore();
  /// Forgets the snapshot: restore() then changes nothing.
  void drop_snapshot() { saved_.valid = false; }

  void reset();
  void save(OptimizerState& state) const;
  /// Restores the averages for a problem of n parameters and recomputes the inverses.
  void load(const OptimizerState& state, Index n);

 private:
  struct Layer {
    Index offset = 0, rows = 0, cols = 0;  // the block [W b] is rows × cols at θ + offset
    bool diagonal = false;                 // A is a diagonal, held as one column (Embedding)
    Matrix<double> A, G;                   // moving averages
    Matrix<double> saved_A, saved_G;       // snapshot()
    KroneckerCholesky<double> cholesky;
    KroneckerEigen<double> eigen;
    Matrix<double> block, solved;  // the gradient block and its solve, in double
    // Cholesky, not diagonal: the damped inverses, in double and in the network's precision,
    // and G⁻¹V between the two products.
    Matrix<double> inverse_A_d, inverse_G_d;
    Matrix<Scalar> inverse_A, inverse_G, half;
    Matrix<double> scaling, saved_scaling;  // EKFAC's S, not diagonal: rows × cols
    Matrix<double> inverted_A, inverted_G;  // the averages the inverses were computed from
    Matrix<double> saved_inverted_A, saved_inverted_G;
  };
  void check_coverage(Index n) const;
  /// Factors every layer's damped inverse from its current averages or from those of the last
  /// inversion; false if a layer fails. The explicit Cholesky inverses go through
  /// share->share_work() when given.
  bool factor_layers(double gamma, bool current, Problem<Scalar>* share = nullptr);
  /// Factors layer l (and forms its explicit inverses).
  bool factor_layer(std::size_t l, double gamma, bool current);
  /// The explicit-inverse layers as SharedWork: task t is layer explicit_layers_[t], its outputs
  /// the two damped inverses in double.
  class InverseWork final : public SharedWork {
   public:
    explicit InverseWork(KfacCurvature& owner) : owner_(owner) {}
    Index num_tasks() const override { return static_cast<Index>(owner_.explicit_layers_.size()); }
    double cost(Index task) const override;
    int num_outputs() const override { return 2; }
    bool run(Index task) override;
    std::span<double> output(Index task, int part) override;
    double gamma = 0;
    bool current = true;

   private:
    KfacCurvature& owner_;
  };
  friend class InverseWork;
  /// Sizes a layer's buffers for its shape (so that later steps never allocate).
  void size_buffers(Layer& l) const;
  /// Whether a layer is preconditioned with its explicit inverses.
  bool explicit_inverses(const Layer& l) const {
    return !l.diagonal && options_.inverse == KfacInverse::kCholesky;
  }
  bool scaled(const Layer& l) const {
    return !l.diagonal && options_.inverse == KfacInverse::kEkfac;
  }
  /// EKFAC: hands the current eigenbases to the statistics (empties them otherwise).
  void pass_bases();
  /// EKFAC: folds the statistics' scalings into the moving averages.
  void fold_scalings();

  KfacCurvatureOptions options_;
  std::vector<Layer> layers_;
  std::vector<std::size_t> explicit_layers_;  // InverseWork's tasks, reserved once
  std::vector<KfacFactors<Scalar>> statistics_;
  std::int64_t updates_ = 0, draws_ = 0;
  std::int64_t scaling_updates_ = 0;  // EKFAC: scalings drawn in the current bases
  double gamma_ = 0;
  bool inverted_ = false;
  struct Saved {
    bool valid = false;
    std::size_t layers = 0;
    std::int64_t updates = 0, draws = 0, scaling_updates = 0;
    double gamma = 0;
    bool inverted = false;
  } saved_;
  bool inverted_since_snapshot_ = false;
};

extern template class KfacCurvature<float>;
extern template class KfacCurvature<double>;

}  // namespace curvopt

#pragma once
/// NLLSL: stochastic nonlinear least squares with a rank-L Jacobian estimate (Brust 2021).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "curvopt/optim/first_order_optimizer.h"

namespace curvopt {

/// The three places where the paper and its authors' code differ (Brust 2021). The defaults are
/// the paper's; the code's choices reproduce the published curves.
enum class NllslJacobianScale {
  kPaper,  ///< entries (L/2)·g_i/r_col(i), as the paper's eqs. 9–11
  kCode,   ///< entries g_i/r_col(i) (jac_scale = 1 in SNLLSL.py)
};
enum class NllslStructure {
  kSampled,     ///< the solve uses the sampled singleton set of the step (paper-consistent)
  kPositional,  ///< the solve treats the first L−1 parameters as singletons (the code)
};
enum class NllslResidualGuard {
  kSignPreserving,  ///< r ← sign(r)·max(|r|, floor)
  kClamp,           ///< r ← r where |r| > floor, else +floor: the sign is lost (the code)
};

std::string_view to_string(NllslJacobianScale v);
std::string_view to_string(NllslStructure v);
std::string_view to_string(NllslResidualGuard v);
bool parse_enum(std::string_view text, NllslJacobianScale& out);
bool parse_enum(std::string_view text, NllslStructure& out);
bool parse_enum(std::string_view text, NllslResidualGuard& out);
std::string enum_choices(NllslJacobianScale);
std::string enum_choices(NllslStructure);
std::string enum_choices(NllslResidualGuard);

/// Options of Nllsl.
struct NllslOptions {
  /// α > 0, the step scale. Default 0.05 (Brust 2021).
  double learning_rate = 0.05;
  /// d²₀ > 0, the starting accumulator of squared gradients. Default 1e-10 (Brust 2021).
  double initial_diagonal = 1e-10;
  NllslJacobianScale jacobian_scale = NllslJacobianScale::kPaper;
  NllslStructure structure = NllslStructure::kSampled;
  NllslResidualGuard residual_guard = NllslResidualGuard::kSignPreserving;
  /// Residuals smaller than this in magnitude are replaced by the guard. Default 1e-5 (Brust 2021).
  double residual_floor = 1e-5;
  /// Seed of the random structures; step t draws from a generator seeded by (seed, t).
  std::uint64_t seed = 0;
  UpdateControlOptions control;

  std::optional<std::string> validate() const;
};

/// NLLSL (Brust 2021). f must be ‖r‖²/L (mean reduction); the residuals r of the paper are
/// recovered from the problem's as r = r̂·√(L/2). Per batch of L residuals: d² ← d² + g⊙g,
/// β = α ⊘ √d²; draw a residual→column permutation π and L−1 singleton parameters; every
/// parameter gets one Jacobian entry c_i = scale·g_i / r_π(col(i)) in its column (singletons
/// their own, the rest the shared last one), accumulated over steps (c ← c + c_new); then the
/// structured Sherman-Morrison-Woodbury solve of (diag(1/β) + ĴᵀĴ)s = −g reduces to L scalar
/// solves. Cost per step: one gradient, the residuals (same forward pass) and O(n + L).
/// Memory 4n + O(L). Oracles: value, gradient, residuals. Registry name: `nllsl`.
/// @tparam Scalar float or double
template <class Scalar>
class Nllsl final : public FirstOrderOptimizer<Scalar> {
 public:
  using Options = NllslOptions;

  explicit Nllsl(const Options& options = {});

  std::string_view name() const override { return "nllsl"; }
  OracleSet method_oracles() const override {
    return Oracle::kValue | Oracle::kGradient | Oracle::kResiduals;
  }
  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

  /// State and the structure of the last step (for inspection and tests).
  const Vector<Scalar>& accumulated_jacobian() const { return c_; }
  const Vector<Scalar>& accumulated_squares() const { return d2_; }
  /// Column of every parameter in the last solve (L−1 = the shared column).
  const std::vector<Index>& last_columns() const { return columns_; }

 private:
  void initialize_state(Index n) override;
  void propose(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> grad, double lr,
               std::int64_t t, VectorRef<Scalar> next) override;
  void commit() override;
  void save_method_state(OptimizerState& state) const override;
  void load_method_state(const OptimizerState& state, Index n) override;
  Scalar guarded(Scalar r) const;

  Options options_;
  Vector<Scalar> c_, c_next_, d2_, d2_next_, beta_, s0_;
  Vector<Scalar> residuals_;            // grown to the largest batch seen
  std::vector<Index> parameter_order_;  // a permutation of 0..n−1; its head is the sample
  std::vector<Index> parameter_order_next_;
  std::vector<Index> residual_order_;  // π
  std::vector<Index> columns_;         // col(i) of the last solve
  std::vector<Scalar> column_p_, column_q_;
};

extern template class Nllsl<float>;
extern template class Nllsl<double>;

}  // namespace curvopt

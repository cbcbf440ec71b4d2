#pragma once
/// The trust-region Newton-CG descent (Steihaug 1983): min gᵀs + ½sᵀBs over ‖s‖ ≤ Δ by truncated
/// CG, with B the Hessian or the Gauss-Newton matrix given only as products, the method SciPy
/// calls trust-ncg. The descent S-LSR1 and Hessian-free-with-a-trust-region build on.

#include <optional>
#include <string>
#include <string_view>

#include "curvopt/linalg/steihaug_cg.h"
#include "curvopt/optim/descent/descent.h"

namespace curvopt {

/// Which curvature B the model uses.
enum class CurvatureProduct {
  kHessian,      ///< ∇²f v (the hessian_vector_product oracle); may be indefinite
  kGaussNewton,  ///< JᵀJ v (the ggn_vector_product oracle); positive semi-definite
};

std::string_view to_string(CurvatureProduct c);
bool parse_enum(std::string_view text, CurvatureProduct& out);
std::string enum_choices(CurvatureProduct);

struct NewtonCgDescentOptions {
  CurvatureProduct curvature = CurvatureProduct::kHessian;
  /// The Steihaug-CG solve: iteration limit (0: n) and stop ‖r‖ ≤ max(abs, rel·‖g‖). Defaults
  /// 0 and min(0.5, √‖g‖) relative (the forcing sequence of Nocedal & Wright 2006, §7.1, which
  /// makes the method superlinear), chosen per point when relative_tolerance is empty.
  int max_iterations = 0;
  std::optional<double> relative_tolerance;
  double absolute_tolerance = 0;

  std::optional<std::string> validate() const;
};

/// Scalar: the radius Δ. curvature() of the last step comes from the solve; of another vector it
/// costs one product.
/// @tparam Scalar float or double
template <class Scalar>
class NewtonCgDescent final : public Descent<Scalar> {
 public:
  /// Throws ConfigError when the options are invalid.
  explicit NewtonCgDescent(const NewtonCgDescentOptions& options = {});

  StepScalar scalar() const override { return StepScalar::kRadius; }
  OracleSet required_oracles() const override;
  std::string_view begin(Problem<Scalar>& problem, Index n) override;
  bool prepare(const DescentPoint<Scalar>& point, StepReport& report) override;
  DescentResult step(double radius, VectorRef<Scalar> step) override;
  double curvature(ConstVectorRef<Scalar> s) override;
  const Vector<Scalar>& base_step() const override { return step_; }
  int curvature_products() const override { return products_; }
  void reset() override {}

  /// Why the last solve stopped.
  SteihaugTermination termination() const { return termination_; }

 private:
  void product(ConstVectorRef<Scalar> v, VectorRef<Scalar> out);

  NewtonCgDescentOptions options_;
  SteihaugCg<Scalar> cg_;
  const DescentPoint<Scalar>* point_ = nullptr;
  Vector<Scalar> step_, product_;
  int products_ = 0;           // since prepare()
  double step_curvature_ = 0;  // sᵀBs of step_, from the solve's model value
  SteihaugTermination termination_ = SteihaugTermination::kConverged;
};

extern template class NewtonCgDescent<float>;
extern template class NewtonCgDescent<double>;

}  // namespace curvopt

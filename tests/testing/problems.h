#pragma once
/// Standard problems the optimizer tests share: a 2-D quadratic, Rosenbrock, and a small network
/// regression on synthetic data.

#include <cmath>
#include <limits>
#include <memory>

#include "curvopt/core/random.h"
#include "curvopt/loss/squared_error.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/dense.h"
#include "curvopt/nn/sequential.h"
#include "curvopt/problem/function_problem.h"
#include "curvopt/problem/objective.h"

namespace curvopt::testing {

/// f(θ) = ½(θ₁² + 10θ₂²), ∇f = (θ₁, 10θ₂), ∇²f = diag(1, 10): minimum 0 at the origin,
/// condition number 10.
template <class Scalar>
FunctionProblem<Scalar> quadratic_2d() {
  return FunctionProblem<Scalar>(
      2, [](ConstVectorRef<Scalar> x) { return Scalar(0.5) * (x(0) * x(0) + 10 * x(1) * x(1)); },
      [](ConstVectorRef<Scalar> x, VectorRef<Scalar> g) {
        g(0) = x(0);
        g(1) = 10 * x(1);
        return Scalar(0.5) * (x(0) * x(0) + 10 * x(1) * x(1));
      },
      [](ConstVectorRef<Scalar>, ConstVectorRef<Scalar> v, VectorRef<Scalar> out) {
        out(0) = v(0);
        out(1) = 10 * v(1);
      });
}

/// Chained Rosenbrock Σᵢ 100(θᵢ₊₁ − θᵢ²)² + (1 − θᵢ)² in n ≥ 2 dimensions, with its exact Hessian
/// products; minimum 0 at (1, …, 1).
template <class Scalar>
FunctionProblem<Scalar> rosenbrock(Index n = 2) {
  auto value = [](ConstVectorRef<Scalar> x) {
    Scalar f = 0;
    for (Index i = 0; i + 1 < x.size(); ++i) {
      const Scalar a = x(i + 1) - x(i) * x(i), b = 1 - x(i);
      f += 100 * a * a + b * b;
    }
    return f;
  };
  auto gradient = [value](ConstVectorRef<Scalar> x, VectorRef<Scalar> g) {
    g.setZero();
    for (Index i = 0; i + 1 < x.size(); ++i) {
      const Scalar a = x(i + 1) - x(i) * x(i), b = 1 - x(i);
      g(i) += -400 * a * x(i) - 2 * b;
      g(i + 1) += 200 * a;
    }
    return value(x);
  };
  auto hessian_product = [](ConstVectorRef<Scalar> x, ConstVectorRef<Scalar> v,
                            VectorRef<Scalar> out) {
    out.setZero();
    for (Index i = 0; i + 1 < x.size(); ++i) {
      // The Hessian of 100(x_{i+1} − x_i²)² + (1 − x_i)² in (x_i, x_{i+1}).
      const Scalar hii = 1200 * x(i) * x(i) - 400 * x(i + 1) + 2, hij = -400 * x(i), hjj = 200;
      out(i) += hii * v(i) + hij * v(i + 1);
      out(i + 1) += hij * v(i) + hjj * v(i + 1);
    }
  };
  return FunctionProblem<Scalar>(n, value, gradient, hessian_product);
}

/// The 2-D quadratic, except that while poisoned its value, gradient and Hessian products are NaN
/// (as a batch with a corrupt example would give). Switching counts as a change of data.
template <class Scalar>
class PoisonableProblem final : public Problem<Scalar> {
 public:
  void set_poisoned(bool poisoned) {
    poisoned_ = poisoned;
    this->mark_data_changed();
  }
  Index num_parameters() const override { return 2; }
  OracleSet oracles() const override {
    return Oracle::kValue | Oracle::kGradient | Oracle::kHessianProduct;
  }
  Scalar value(ConstVectorRef<Scalar> x) override {
    return poisoned_ ? std::numeric_limits<Scalar>::quiet_NaN() : inner_.value(x);
  }
  void hessian_vector_product(ConstVectorRef<Scalar>, ConstVectorRef<Scalar> v,
                              VectorRef<Scalar> out) override {
    out(0) = v(0);
    out(1) = 10 * v(1);
    if (poisoned_) out(1) = std::numeric_limits<Scalar>::quiet_NaN();
  }
  Scalar gradient(ConstVectorRef<Scalar> x, VectorRef<Scalar> g) override {
    const Scalar f = inner_.gradient(x, g);
    if (!poisoned_) return f;
    g(1) = std::numeric_limits<Scalar>::quiet_NaN();
    return std::numeric_limits<Scalar>::quiet_NaN();
  }

 private:
  FunctionProblem<Scalar> inner_ = quadratic_2d<Scalar>();
  bool poisoned_ = false;
};

/// y = sin(x) + noise on x ∈ [−3, 3], fitted by 1 → 8 tanh → 1 with squared error.
template <class Scalar>
struct SineRegression {
  explicit SineRegression(Index examples = 64, std::uint64_t seed = 3)
      : model(Shape::flat(1)), inputs(1, examples), targets(1, examples) {
    Rng rng(seed);
    for (Index s = 0; s < examples; ++s) {
      const double x = -3 + 6 * static_cast<double>(s) / static_cast<double>(examples - 1);
      inputs(0, s) = static_cast<Scalar>(x);
      targets(0, s) = static_cast<Scalar>(std::sin(x) + 0.05 * rng.normal());
    }
    model.template add<Dense>(Index(8));
    model.template add<Tanh>();
    model.template add<Dense>(Index(1));
    model.initialize(Initializer::kPyTorchDefault, seed);
    objective = std::make_unique<Objective<Scalar>>(model, loss);
    objective->set_batch(inputs, targets);
  }

  Sequential<Scalar> model;
  SquaredError<Scalar> loss;
  Matrix<Scalar> inputs, targets;
  std::unique_ptr<Objective<Scalar>> objective;
};

/// Three classes of Gaussian points in 4 features (example s is class s mod 3, shifted by
/// `separation` along feature s mod 3) and a 4 → hidden tanh → 3 network for them, to be trained
/// with softmax cross-entropy.
struct ThreeClassBlobs {
  ThreeClassBlobs(Index examples, double separation, Index hidden)
      : model(Shape::flat(4)), inputs(4, examples), labels(1, examples) {
    Rng rng(2);
    for (Index s = 0; s < examples; ++s) {
      labels(0, s) = static_cast<double>(s % 3);
      for (Index f = 0; f < 4; ++f) inputs(f, s) = rng.normal() + (f == s % 3 ? separation : 0.0);
    }
    model.add<Dense>(hidden);
    model.add<Tanh>();
    model.add<Dense>(Index(3));
    model.initialize(Initializer::kPyTorchDefault, 3);
  }

  Sequential<double> model;
  Matrix<double> inputs, labels;
};

}  // namespace curvopt::testing

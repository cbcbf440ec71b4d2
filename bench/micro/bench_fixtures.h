#pragma once
/// The benchmark models and batches, shared by the curvopt benchmarks.

#include <benchmark/benchmark.h>

#include <memory>

#include "curvopt/curvopt.h"

namespace curvopt_bench {

/// Two parameter vectors that differ in every entry, handed out alternately: each oracle call
/// then sees new parameters and Objective cannot reuse its cached forward pass (as in training,
/// where every step moves every parameter).
class AlternatingParameters {
 public:
  explicit AlternatingParameters(const curvopt::Vector<float>& initial)
      : params_{initial, (initial.array() + 1e-4f).matrix()} {}
  const curvopt::Vector<float>& next() {
    flip_ ^= 1;
    return params_[flip_];
  }

 private:
  curvopt::Vector<float> params_[2];
  int flip_ = 0;
};

/// (a), (b), (d): MLP 1 → 64 → 64 → 1 with ELU (4353 parameters), batch 1000, squared error
/// (mean reduction) on y = sin(2x), x evenly spaced in [−2, 2].
struct MlpProblem {
  static constexpr curvopt::Index kBatch = 1000;
  static constexpr curvopt::Index kHidden = 64;

  curvopt::Sequential<float> model{curvopt::Shape::flat(1)};
  curvopt::SquaredError<float> loss;
  curvopt::Matrix<float> inputs, targets;
  std::unique_ptr<curvopt::Objective<float>> objective;

  MlpProblem();
};

/// (c): CNN on 1 × 28 × 28 inputs, batch 64, softmax cross-entropy with class-index targets:
/// Conv2d(32, 5) → ReLU → MaxPool2d(2) → Conv2d(64, 5) → ReLU → MaxPool2d(2) → Flatten →
/// Dense(10) (62 346 parameters). Inputs U[0, 1), labels s mod 10.
struct CnnProblem {
  static constexpr curvopt::Index kBatch = 64;

  curvopt::Sequential<float> model{curvopt::Shape::image(1, 28, 28)};
  curvopt::SoftmaxCrossEntropy<float> loss;
  curvopt::Matrix<float> inputs, targets;
  std::unique_ptr<curvopt::Objective<float>> objective;

  CnnProblem();
};

/// Times Objective::value (forward pass and loss) on Problem, with fresh parameters every call.
template <class Problem>
void time_forward(benchmark::State& state) {
  Problem problem;
  AlternatingParameters params(problem.model.parameters());
  problem.objective->value(params.next());  // warm-up: first-call allocations
  for (auto _ : state) {
    float f = problem.objective->value(params.next());
    benchmark::DoNotOptimize(f);
  }
}

/// Times Objective::gradient (forward + backward) on Problem, with fresh parameters every call.
template <class Problem>
void time_gradient(benchmark::State& state) {
  Problem problem;
  AlternatingParameters params(problem.model.parameters());
  curvopt::Vector<float> grad(problem.objective->num_parameters());
  problem.objective->gradient(params.next(), grad);  // warm-up: first-call allocations
  for (auto _ : state) {
    float f = problem.objective->gradient(params.next(), grad);
    benchmark::DoNotOptimize(f);
    benchmark::DoNotOptimize(grad.data());
    benchmark::ClobberMemory();
  }
}

/// Times Objective::jacobian into a preallocated J, with fresh parameters every call; writing J
/// dominates, so "J_GB/s" reports the rate at which it is written.
template <class Problem>
void time_jacobian(benchmark::State& state) {
  Problem problem;
  AlternatingParameters params(problem.model.parameters());
  curvopt::Matrix<float> J(problem.objective->num_residuals(), problem.objective->num_parameters());
  problem.objective->jacobian(params.next(), J);  // warm-up: first-call allocations
  for (auto _ : state) {
    problem.objective->jacobian(params.next(), J);
    benchmark::DoNotOptimize(J.data());
    benchmark::ClobberMemory();
  }
  const double bytes = static_cast<double>(J.size()) * sizeof(float);
  state.counters["J_GB/s"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace curvopt_bench

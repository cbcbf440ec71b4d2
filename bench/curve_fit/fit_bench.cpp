// Accuracy and speed of full-batch least squares on the Moré, Garbow & Hillstrom (1981) test
// set and two real datasets (Longley, sunspots: testing/real_curve_data.h): each problem from its
// standard start with default options, solved by curvopt::solve and,
// when built with CURVOPT_CERES, by ceres::Solve on the same templated residual functor in the
// same process. "Solved" means the final f = Σrᵢ² is within 1e-5 (relative) of a minimum the
// paper lists. Times are the fastest of repeated solves from the start (problem built once),
// the two libraries' repetitions interleaved.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "curvopt/solve/solver.h"
#include "testing/mgh_problems.h"
#include "testing/real_curve_data.h"

#ifdef CURVOPT_BENCH_HAVE_CERES
#include <ceres/ceres.h>
#endif

namespace {

using curvopt::Index;
using Clock = std::chrono::steady_clock;

struct Outcome {
  double f = 0;  // Σrᵢ²
  int iterations = 0;
  bool solved = false;
  std::string termination;
  double seconds = 0;  // per solve
};

std::string seconds_text(double s) {  // also used for costs: 4 significant digits
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", s);
  return buffer;
}

bool reached(double f, const std::vector<double>& minima) {
  for (double m : minima)
    if (f <= m * (1 + 1e-5) + 1e-10 && f >= m * (1 - 1e-5) - 1e-10) return true;
  return false;
}

// A solve that can be repeated from the start, and what its last run found.
struct Solver {
  std::function<void()> once;
  std::function<Outcome()> outcome;
};

double seconds_of(const std::function<void()>& f) {
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The solvers run alternately, so that a change of the machine's speed while measuring (another
// process, the clock) falls on all of them alike; each one's time is its fastest repetition, the
// estimate least disturbed by interference.
std::vector<Outcome> time_alternately(const std::vector<Solver>& solvers, double min_seconds) {
  std::vector<double> best(solvers.size(), std::numeric_limits<double>::infinity());
  const auto begin = Clock::now();
  int repetitions = 0;
  do {
    for (std::size_t k = 0; k < solvers.size(); ++k)
      best[k] = std::min(best[k], seconds_of(solvers[k].once));
    ++repetitions;
  } while (std::chrono::duration<double>(Clock::now() - begin).count() <
               min_seconds * static_cast<double>(solvers.size()) ||
           repetitions < 5);
  std::vector<Outcome> out;
  for (std::size_t k = 0; k < solvers.size(); ++k) {
    out.push_back(solvers[k].outcome());
    out.back().seconds = best[k];
  }
  return out;
}

template <class Functor>
Solver curvopt_solver(const Functor& functor, Index n, Index m, const std::vector<double>& start,
                      const std::vector<double>& minima, const curvopt::SolverOptions& options) {
  struct State {
    curvopt::LeastSquaresProblem problem;
    curvopt::Summary summary;
    curvopt::Vector<double> x;
  };
  auto state = std::make_shared<State>(State{curvopt::LeastSquaresProblem(n), {}, {}});
  state->problem.add_residual_block(functor, m);
  return {[state, start, n, options] {
            state->x = Eigen::Map<const curvopt::Vector<double>>(start.data(), n);
            state->summary = curvopt::solve(state->problem, state->x, options);
          },
          [state, minima] {
            Outcome o;
            o.f = 2 * state->summary.final_cost;
            o.iterations =
                state->summary.num_successful_steps + state->summary.num_unsuccessful_steps;
            o.termination = std::string(curvopt::to_string(state->summary.termination));
            o.solved = reached(o.f, minima);
            return o;
          }};
}

#ifdef CURVOPT_BENCH_HAVE_CERES
// The functor in Ceres' dynamic cost-function shape (one parameter block).
template <class Functor>
struct CeresAdapter {
  Functor f;
  template <class T>
  bool operator()(T const* const* parameters, T* residuals) const {
    return f(parameters[0], residuals);
  }
};

// Ceres' dynamic-size autodiff with the chunk width curvopt's LeastSquaresProblem picks for the
// same n (2, 4, 8, 12 or 16 derivative directions per pass), so both differentiate alike.
template <int Stride, class Functor>
ceres::CostFunction* ceres_cost(const Functor& functor, Index n, Index m) {
  using Adapter = CeresAdapter<Functor>;
  auto* cost = new ceres::DynamicAutoDiffCostFunction<Adapter, Stride>(new Adapter{functor});
  cost->AddParameterBlock(static_cast<int>(n));
  cost->SetNumResiduals(static_cast<int>(m));
  return cost;
}

template <class Functor>
Solver ceres_solver(const Functor& functor, Index n, Index m, const std::vector<double>& start,
                    const std::vector<double>& minima) {
  struct State {
    std::vector<double> x;
    ceres::Problem problem;
    ceres::Solver::Options options;  // Ceres' defaults, as a user gets them
    ceres::Solver::Summary summary;
  };
  auto state = std::make_shared<State>();
  state->x = start;
  ceres::CostFunction* cost = n <= 2    ? ceres_cost<2>(functor, n, m)
                              : n <= 4  ? ceres_cost<4>(functor, n, m)
                              : n <= 8  ? ceres_cost<8>(functor, n, m)
                              : n <= 12 ? ceres_cost<12>(functor, n, m)
                                        : ceres_cost<16>(functor, n, m);
  state->problem.AddResidualBlock(cost, nullptr, state->x.data());
  state->options.logging_type = ceres::SILENT;
  return {[state, start] {
            std::copy(start.begin(), start.end(), state->x.begin());
            ceres::Solve(state->options, &state->problem, &state->summary);
          },
          [state, minima] {
            Outcome o;
            o.f = 2 * state->summary.final_cost;
            o.iterations = static_cast<int>(state->summary.iterations.size()) - 1;
            o.termination = ceres::TerminationTypeToString(state->summary.termination_type);
            o.solved = reached(o.f, minima);
            return o;
          }};
}
#endif

}  // namespace

int main(int argc, char** argv) {
  double min_seconds = 0.2;
  const char* out_path = nullptr;
  curvopt::SolverOptions options;  // curvopt's defaults but for --method
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--min-seconds") == 0 && i + 1 < argc) {
      min_seconds = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
      out_path = argv[++i];
    } else if (std::strcmp(argv[i], "--method") == 0 && i + 1 < argc &&
               curvopt::parse_enum(argv[i + 1], options.method)) {
      ++i;
    } else {
      std::fprintf(stderr, "usage: %s [--min-seconds S] [--out results.csv] [--method %s]\n",
                   argv[0], curvopt::enum_choices(curvopt::SolverMethod{}).c_str());
      return 2;
    }
  }
  std::string csv = "problem,n,m,solver,f,iterations,termination,solved,seconds\n";
  int solved_curvopt = 0, total = 0;
  [[maybe_unused]] int solved_ceres = 0;
  std::vector<double> ratios, both_ratios;  // all problems; those both libraries solve
  std::printf("%-30s %3s %3s | %-13s %4s %5s %9s | %-13s %4s %5s %9s | %6s\n", "problem", "n", "m",
              "curvopt f", "it", "ok", "us/solve", "ceres f", "it", "ok", "us/solve", "ratio");
  const auto run_case = [&](std::string name, Index n, Index m, std::vector<double> start,
                            std::vector<double> minima, auto functor) {
    ++total;
    std::vector<Solver> solvers{curvopt_solver(functor, n, m, start, minima, options)};
#ifdef CURVOPT_BENCH_HAVE_CERES
    solvers.push_back(ceres_solver(functor, n, m, start, minima));
#endif
    const std::vector<Outcome> outcomes = time_alternately(solvers, min_seconds);
    const Outcome& ours = outcomes[0];
    solved_curvopt += ours.solved;
    const auto row = [&](const char* solver, const Outcome& o) {
      csv += name + "," + std::to_string(n) + "," + std::to_string(m) + "," + solver + "," +
             seconds_text(o.f) + "," + std::to_string(o.iterations) + "," + o.termination + "," +
             (o.solved ? "1" : "0") + "," + seconds_text(o.seconds) + "\n";
    };
    row("curvopt", ours);
    std::printf("%-30s %3ld %3ld | %-13.6g %4d %5s %9.1f", name.c_str(), static_cast<long>(n),
                static_cast<long>(m), ours.f, ours.iterations, ours.solved ? "yes" : "NO",
                ours.seconds * 1e6);
#ifdef CURVOPT_BENCH_HAVE_CERES
    const Outcome& peer = outcomes[1];
    solved_ceres += peer.solved;
    row("ceres", peer);
    const double ratio = ours.seconds / peer.seconds;
    ratios.push_back(ratio);
    if (ours.solved && peer.solved) both_ratios.push_back(ratio);
    std::printf(" | %-13.6g %4d %5s %9.1f | %6.2f\n", peer.f, peer.iterations,
                peer.solved ? "yes" : "NO", peer.seconds * 1e6, ratio);
#else
    std::printf(" | (built without CURVOPT_CERES)\n");
#endif
  };
  curvopt::testing::for_each_mgh_problem(run_case);
  // The real datasets, when scripts/fetch_data has put them in the data directory: Longley
  // against NIST's certified residual sum of squares, the sunspot cycle against the best period
  // on a fine grid (the linear parameters solved exactly for each).
  if (const auto longley = curvopt::testing::load_longley())
    run_case("longley (NIST StRD, real)", 7, 16, std::vector<double>(7, 0.0),
             {curvopt::testing::LongleyResiduals::kCertifiedRss}, *longley);
  else
    std::printf("longley: not in the data directory (scripts/fetch_data curve-fitting)\n");
  if (const auto sunspots = curvopt::testing::load_sunspots())
    run_case("sunspot cycle (real)", 4, sunspots->y.size(), sunspots->start(),
             {2 * sunspots->grid_minimum().second}, *sunspots);
  else
    std::printf("sunspots: not in the data directory (scripts/fetch_data curve-fitting)\n");
  std::printf("\nsolved: curvopt %d of %d", solved_curvopt, total);
#ifdef CURVOPT_BENCH_HAVE_CERES
  std::sort(ratios.begin(), ratios.end());
  std::sort(both_ratios.begin(), both_ratios.end());
  std::printf(
      ", ceres %d of %d; time ratio curvopt/ceres: median %.2f (range %.2f to %.2f); "
      "on the %zu both solve: median %.2f",
      solved_ceres, total, ratios[ratios.size() / 2], ratios.front(), ratios.back(),
      both_ratios.size(), both_ratios.empty() ? 0.0 : both_ratios[both_ratios.size() / 2]);
#endif
  std::printf("\n");
  if (out_path) {
    std::ofstream out(out_path);
    out << csv;
    if (!out) {
      std::fprintf(stderr, "fit_bench: cannot write %s\n", out_path);
      return 1;
    }
  }
  return 0;
}

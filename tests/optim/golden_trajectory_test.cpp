// Golden trajectories: every registered optimizer and preset, a few steps on two small problems
// (a full-batch regression and a minibatch classification with a short last batch), in float and
// double. The record of each run (status, losses, damping, step norm of every step, and the final
// parameters, all as exact hexadecimal floats) is compared with tests/optim/golden/.
//
// Why: the architecture refactor must not change any result. Bits depend on the instruction set,
// the OpenBLAS kernels and the compiler, so the golden file keeps one section per build
// fingerprint. On a fingerprint the file knows, every bit must agree; on another machine the run
// is compared with the reference section: double runs within a tolerance that lets last-bit
// differences grow over ten steps (the refactor guard is the exact check; the tolerance check
// still catches a changed algorithm).
//
// Recording: CURVOPT_GOLDEN_RECORD=1 appends (or replaces) this build's section in the source
// tree's golden file.

#include <gtest/gtest.h>

#include <cblas.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "curvopt/core/threads.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/dense.h"
#include "curvopt/optim/registry.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

// Every registered name, and the option combinations that select other code paths.
const char* const kSpecs[] = {
    "gd lr=0.05",
    "sgd lr=0.05 momentum=0.9",
    "sgd lr=0.05 momentum=0.9 nesterov=true weight_decay=1e-3",
    "adagrad lr=0.05",
    "rmsprop lr=0.005 centered=true",
    "adam lr=0.01",
    "adam lr=0.01 amsgrad=true averaging=polyak averaging_start=3",
    "adamw lr=0.01",
    "lbfgs",
    "lbfgs line_search=armijo memory=4",
    "lm",
    "lm form=parameter-space",
    "lm form=data-space",
    "lm form=cg",
    "lm damping_matrix=marquardt rule=nielsen",
    "lm rule=delayed-gratification",
    "lm rule=gain-ratio",
    "lm rule=trust-region",
    "lm geodesic=true",
    "lm curvature=empirical-fisher",
    "lm curvature=sampled-gauss-newton seed=3",
    "lm curvature=root-loss",
    "lm function_tolerance=1e-3 step_tolerance=1e-4",
    "lm-modified",
    "lm-modified lr_search_grid=s1",
    "lm momentum=true lr_search=true",
    "gauss-newton",
    "nlls1",
    "nllsl",
    "nlls-full",
    // Not `lsr1 solver=exact`: on the sine in double its step-8 verdict rests on the last bits
    // (rejected with OpenBLAS's Haswell kernels, accepted with Cooperlake's), which the
    // cross-build comparison cannot absorb.
    "bfgs",
    "sr1",
    "lsr1 memory=4",
    "slbfgs",
    "slbfgs sampling=gradient memory=4 radius=0.1",
    "slsr1",
    "slsr1 solver=exact memory=5",
    // Hessian-free without the pieces whose results vary by build beyond the tolerance: CG
    // backtracking's ties, and the preconditioned warm-started long CG runs (measured: 2e-6
    // relative drift by step 10 in the CURVOPT_NATIVE=OFF sanitizer build).
    "hf max_cg=10 preconditioner=none warm_start_decay=0 cg_backtracking=false",
    "kfac inverse_period=3 damping_period=2",
};

constexpr int kSteps = 10;

std::string hex(double x) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%a", x);
  return buffer;
}

// The machine and build facts that decide the last bits.
std::string fingerprint() {
  std::string f = "gcc-" + std::string(__VERSION__);
#if defined(__AVX512F__)
  f += " avx512";
#elif defined(__AVX2__)
  f += " avx2";
#else
  f += " sse2";
#endif
#if defined(__FMA__)
  f += "+fma";
#endif
  f += " march-" + std::string(CURVOPT_TEST_COMPILE_TARGET);
#if defined(__SANITIZE_ADDRESS__)
  f += " asan";
#endif
  f += " openblas-" + std::string(openblas_get_corename());
  for (char& c : f)
    if (c == ' ' || c == '\t') c = '_';
  return f;
}

// A 3-class softmax classification of 30 examples with 4 features, in minibatches of 16 and 14.
template <class Scalar>
struct Classification {
  Classification() : model(Shape::flat(4)), inputs(4, 30), labels(1, 30) {
    Rng rng(11);
    for (Index s = 0; s < 30; ++s) {
      const Index label = s % 3;
      labels(0, s) = static_cast<Scalar>(label);
      for (Index f = 0; f < 4; ++f)
        inputs(f, s) = static_cast<Scalar>((f == label ? 1.5 : 0.0) + 0.7 * rng.normal());
    }
    model.template add<Dense>(Index(6));
    model.template add<Elu>();
    model.template add<Dense>(Index(3));
    model.initialize(Initializer::kPyTorchDefault, 5);
    objective = std::make_unique<Objective<Scalar>>(model, loss);
  }
  // Batch k: examples [0, 16) for even k, [16, 30) for odd k.
  void bind(int k) {
    const Index start = k % 2 == 0 ? 0 : 16, size = k % 2 == 0 ? 16 : 14;
    objective->set_batch(inputs.middleCols(start, size), labels.middleCols(start, size));
  }

  Sequential<Scalar> model;
  SoftmaxCrossEntropy<Scalar> loss;
  Matrix<Scalar> inputs, labels;
  std::unique_ptr<Objective<Scalar>> objective;
};

// The record of one run: one line per step and one for the final parameters.
template <class Scalar, class Task>
std::vector<std::string> run(const char* spec, Task& task, bool minibatches) {
  std::vector<std::string> lines;
  auto optimizer = make_optimizer<Scalar>(spec);
  Vector<Scalar> theta = task.model.parameters();
  for (int k = 0; k < kSteps; ++k) {
    if constexpr (requires { task.bind(k); }) {
      if (minibatches) task.bind(k);
    }
    const StepReport r = optimizer->step(*task.objective, theta);
    std::ostringstream line;
    line << "step " << k << ' ' << to_string(r.status) << ' ' << hex(r.loss_before) << ' '
         << (r.loss_after ? hex(*r.loss_after) : "-") << ' ' << (r.damping ? hex(*r.damping) : "-")
         << ' ' << hex(r.step_norm) << ' ' << r.num_trials << (r.converged ? " converged" : "")
         << (r.stop_training ? " stop" : "");
    lines.push_back(line.str());
  }
  std::ostringstream params;
  params << "theta";
  for (Index i = 0; i < theta.size(); ++i) params << ' ' << hex(static_cast<double>(theta(i)));
  lines.push_back(params.str());
  return lines;
}

// Every run of this build, keyed "spec | problem | scalar".
std::map<std::string, std::vector<std::string>> record_all() {
  set_num_threads(1);
  std::map<std::string, std::vector<std::string>> out;
  for (const char* spec : kSpecs) {
    {
      testing::SineRegression<float> task;
      out[std::string(spec) + " | sine | float"] = run<float>(spec, task, false);
    }
    {
      testing::SineRegression<double> task;
      out[std::string(spec) + " | sine | double"] = run<double>(spec, task, false);
    }
    {
      Classification<float> task;
      out[std::string(spec) + " | classes | float"] = run<float>(spec, task, true);
    }
    {
      Classification<double> task;
      out[std::string(spec) + " | classes | double"] = run<double>(spec, task, true);
    }
  }
  return out;
}

using Section = std::map<std::string, std::vector<std::string>>;

// File format: "[fingerprint]" opens a section; "> key" opens a run; other lines belong to it.
std::map<std::string, Section> read_golden(const std::string& file) {
  std::map<std::string, Section> sections;
  std::ifstream in(file);
  std::string line, section, key;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
      sections[section];
    } else if (line.rfind("> ", 0) == 0) {
      key = line.substr(2);
      sections[section][key];
    } else {
      sections[section][key].push_back(line);
    }
  }
  return sections;
}

void write_golden(const std::string& file, const std::map<std::string, Section>& sections,
                  const std::string& reference) {
  std::ofstream out(file + ".tmp");
  out << "# Golden optimizer trajectories (tests/optim/golden_trajectory_test.cpp); one section\n"
         "# per build fingerprint. The first section, '"
      << reference
      << "', is the reference\n# other builds are compared with. Re-record a section with "
         "CURVOPT_GOLDEN_RECORD=1.\n";
  auto emit = [&](const std::string& name, const Section& runs) {
    out << '[' << name << "]\n";
    for (const auto& [key, lines] : runs) {
      out << "> " << key << '\n';
      for (const auto& l : lines) out << l << '\n';
    }
  };
  emit(reference, sections.at(reference));
  for (const auto& [name, runs] : sections)
    if (name != reference) emit(name, runs);
  out.close();
  std::rename((file + ".tmp").c_str(), file.c_str());
}

// The numbers of a record line (hex floats), skipping words.
std::vector<double> numbers(const std::string& line) {
  std::vector<double> out;
  std::istringstream in(line);
  std::string word;
  while (in >> word) {
    if (word.find("0x") == std::string::npos) continue;
    out.push_back(std::strtod(word.c_str(), nullptr));
  }
  return out;
}

std::string words(const std::string& line) {
  std::istringstream in(line);
  std::string word, out;
  while (in >> word)
    if (word.find("0x") == std::string::npos) out += word + ' ';
  return out;
}

const std::string kGoldenFile = std::string(CURVOPT_TEST_GOLDEN_DIR) + "/trajectories.txt";
// The section other builds are compared with: the build the file was first recorded on.
std::string reference_section(const std::map<std::string, Section>& sections) {
  std::ifstream in(kGoldenFile);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line.front() == '[') return line.substr(1, line.size() - 2);
  return sections.empty() ? fingerprint() : sections.begin()->first;
}

TEST(GoldenTrajectory, EveryOptimizerMatchesTheRecordedRuns) {
  const auto runs = record_all();
  auto sections = read_golden(kGoldenFile);
  const std::string me = fingerprint();
  if (std::getenv("CURVOPT_GOLDEN_RECORD") != nullptr) {
    const std::string reference = sections.empty() ? me : reference_section(sections);
    sections[me] = runs;
    write_golden(kGoldenFile, sections, reference);
    GTEST_SKIP() << "recorded section " << me << " in " << kGoldenFile;
  }
  ASSERT_FALSE(sections.empty()) << "no golden file at " << kGoldenFile;
  const bool known = sections.count(me) > 0;
  const Section& reference = sections.at(reference_section(sections));
  if (!known)
    std::printf("golden: no section for %s; comparing with the reference within tolerances\n",
                me.c_str());
  for (const auto& [key, lines] : runs) {
    // A section may lack the runs whose rounding changed after it was recorded (on a machine
    // not at hand): those are compared with the reference within tolerances.
    const bool exact = known && sections.at(me).count(key) > 0;
    const Section& golden = exact ? sections.at(me) : reference;
    ASSERT_TRUE(golden.count(key)) << "no golden run for '" << key << "': re-record";
    const auto& expected = golden.at(key);
    ASSERT_EQ(lines.size(), expected.size()) << key;
    // On another build, float runs are not compared: Gauss-Newton on a 16-example batch with
    // vanishing damping solves a system whose condition number approaches 1/ε_float, so the last
    // bits of one BLAS kernel grow to several percent within ten steps (measured: 3 % in the
    // step norm between OpenBLAS's Haswell and SkylakeX kernels). In double the same growth stays
    // below 1e-7 relative.
    if (!exact && key.find("| float") != std::string::npos) continue;
    constexpr double tolerance = 1e-7;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (exact) {
        EXPECT_EQ(lines[i], expected[i]) << key << ", line " << i;
        continue;
      }
      EXPECT_EQ(words(lines[i]), words(expected[i])) << key << ", line " << i;
      const auto got = numbers(lines[i]), want = numbers(expected[i]);
      ASSERT_EQ(got.size(), want.size()) << key << ", line " << i;
      for (std::size_t j = 0; j < got.size(); ++j)
        EXPECT_LE(std::abs(got[j] - want[j]), tolerance * (1 + std::abs(want[j])))
            << key << ", line " << i << ", number " << j << ": " << got[j] << " vs " << want[j];
    }
  }
}

}  // namespace
}  // namespace curvopt

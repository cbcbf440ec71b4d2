#include "curvopt/optim/registry.h"

#include <functional>
#include <set>
#include <type_traits>

#include "curvopt/core/errors.h"
#include "curvopt/optim/adagrad.h"
#include "curvopt/optim/adam.h"
#include "curvopt/optim/classical_quasi_newton.h"
#include "curvopt/optim/hessian_free.h"
#include "curvopt/optim/kfac.h"
#include "curvopt/optim/lbfgs.h"
#include "curvopt/optim/levenberg_marquardt.h"
#include "curvopt/optim/nlls1.h"
#include "curvopt/optim/nlls_full.h"
#include "curvopt/optim/nllsl.h"
#include "curvopt/optim/rmsprop.h"
#include "curvopt/optim/sampled_quasi_newton.h"
#include "curvopt/optim/sgd.h"

namespace curvopt {
namespace {

// One registered name: its summary, its defaults, and how to build it in either precision.
struct Entry {
  std::string_view name;
  std::string_view summary;
  std::function<std::unique_ptr<Optimizer<float>>(std::string_view, const OptionList&)> make_float;
  std::function<std::unique_ptr<Optimizer<double>>(std::string_view, const OptionList&)>
      make_double;
  std::function<std::vector<OptionDescription>()> describe;
};

// Methods registered under several names (lm, gauss-newton) take the name as well.
template <class Scalar, class M, class Options>
std::unique_ptr<Optimizer<Scalar>> build(const Options& options, std::string_view name) {
  if constexpr (std::is_constructible_v<M, const Options&, std::string_view>) {
    return std::make_unique<M>(options, name);
  } else {
    return std::make_unique<M>(options);
  }
}

template <template <class> class Method, class Options>
Entry entry(std::string_view name, std::string_view summary, Options defaults) {
  using Fields = OptionFields<Options>;
  auto configure = [defaults](std::string_view owner, const OptionList& list) {
    const Fields& fields = Method<double>::option_fields();
    Options options = defaults;
    std::set<std::string, std::less<>> seen;
    for (const auto& [key, value] : list) {
      // Resolve aliases so that "lr" and "learning_rate" count as the same key.
      std::string canonical = key;
      for (char& c : canonical)
        if (c == '-') c = '_';
      for (const auto& f : fields)
        if (!f.alias.empty() && canonical == f.alias) canonical = std::string(f.name);
      if (!seen.insert(canonical).second)
        throw ConfigError(std::string(owner) + ": option '" + canonical + "' given twice");
      set_option(fields, options, owner, key, value);
    }
    return options;
  };
  return Entry{name, summary,
               [configure](std::string_view owner, const OptionList& list) {
                 return std::unique_ptr<Optimizer<float>>(
                     std::make_unique<Method<float>>(configure(owner, list)));
               },
               [configure](std::string_view owner, const OptionList& list) {
                 return std::unique_ptr<Optimizer<double>>(
                     std::make_unique<Method<double>>(configure(owner, list)));
               },
               [defaults] {
                 std::vector<OptionDescription> out;
                 for (const auto& f : Method<double>::option_fields())
                   out.push_back({std::string(f.name), std::string(f.alias), f.get(defaults),
                                  std::string(f.help)});
                 return out;
               }};
}

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = [] {
    std::vector<Entry> e;
    e.push_back(entry<Sgd>("gd", "gradient descent: sgd without momentum", SgdOptions{}));
    e.push_back(entry<Sgd>("sgd",
                           "SGD with heavy-ball (Polyak 1964) or Nesterov (Nesterov 1983) momentum",
                           SgdOptions{}));
    e.push_back(
        entry<Adagrad>("adagrad", "Adagrad (Duchi, Hazan & Singer 2011)", AdagradOptions{}));
    e.push_back(entry<Rmsprop>("rmsprop", "RMSprop (Tieleman & Hinton 2012)", RmspropOptions{}));
    e.push_back(entry<Adam>("adam", "Adam (Kingma & Ba 2015)", AdamOptions{}));
    AdamOptions adamw;
    adamw.weight_decay = 0.01;  // PyTorch's AdamW default
    adamw.decoupled_weight_decay = true;
    e.push_back(entry<Adam>(
        "adamw", "AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019)", adamw));
    e.push_back(entry<Lbfgs>("lbfgs",
                             "L-BFGS (Liu & Nocedal 1989) with strong-Wolfe or Armijo line search",
                             LbfgsOptions{}));
    e.push_back(entry<LevenbergMarquardt>(
        "lm", "Levenberg-Marquardt: damped Gauss-Newton, n x n / m x m / CG",
        LevenbergMarquardtOptions{}));
    LevenbergMarquardtOptions modified;  // the "modified LM" of Pooladzandi & Zhou (2022)
    modified.damping_matrix = DampingMatrix::kMaxDiagonal;
    modified.initial_diagonal = 0.01;
    modified.momentum = true;
    modified.lr_search = true;
    // The paper's 72-point grid costs up to 72 evaluations per failed trial: within a wall-clock
    // budget the preset then makes a quarter of vanilla LM's steps and only ties it on the sine
    // task. Halving (at most 6 evaluations) keeps the search and its guard, and is what wins
    // there; `lm-modified lr_search_grid=s1` reproduces the published grid exactly.
    modified.lr_search_grid = LrSearchGrid::kHalving;
    modified.uphill = true;
    modified.uphill_exponent = 2;
    modified.keep_best = true;
    e.push_back(entry<LevenbergMarquardt>(
        "lm-modified",
        "the modified LM of Pooladzandi & Zhou (2022): max-diagonal damping, adaptive "
        "momentum, lr search (halving; lr_search_grid=s1 for the published grid), uphill steps",
        modified));
    LevenbergMarquardtOptions gauss_newton;
    gauss_newton.damping.initial_damping = 1e-9;  // λ → 0 recovers Gauss-Newton
    e.push_back(entry<LevenbergMarquardt>(
        "gauss-newton", "Gauss-Newton: lm with vanishing damping (a safeguard only)",
        gauss_newton));
    e.push_back(entry<Bfgs>("bfgs",
                            "BFGS: dense inverse Hessian from past steps, Armijo backtracking "
                            "(Nocedal & Wright 2006)",
                            BfgsOptions{}));
    e.push_back(entry<Sr1>(
        "sr1", "SR1: dense Hessian from past steps in a Steihaug-CG trust region (small n)",
        Sr1Options{}));
    e.push_back(entry<Lsr1>(
        "lsr1", "L-SR1: compact SR1 from the newest past steps in a trust region", Sr1Options{}));
    e.push_back(
        entry<SampledLbfgs>("slbfgs",
                            "S-LBFGS: L-BFGS from pairs sampled at each step, Armijo backtracking "
                            "(Berahas, Jahani, Richtarik & Takac 2022)",
                            SampledLbfgsOptions{}));
    e.push_back(entry<SampledLsr1>("slsr1",
                                   "S-LSR1: L-SR1 from pairs sampled at each step, trust region "
                                   "(Berahas, Jahani, Richtarik & Takac 2022)",
                                   SampledLsr1Options{}));
    e.push_back(entry<HessianFree>(
        "hessian-free",
        "Hessian-free: truncated CG on the damped Gauss-Newton system, warm starts, CG "
        "backtracking, Martens' preconditioner (Martens 2010)",
        HessianFreeOptions{}));
    e.push_back(entry<HessianFree>("hf", "alias of hessian-free", HessianFreeOptions{}));
    e.push_back(entry<Kfac>("kfac",
                            "K-FAC: Kronecker-factored natural gradient, KFC for convolutions, "
                            "quadratic-model step and momentum (Martens & Grosse 2015)",
                            KfacOptions{}));
    e.push_back(entry<Nlls1>("nlls1", "NLLS1: rank-1 Jacobian estimate, O(n) per step (Brust 2021)",
                             Nlls1Options{}));
    e.push_back(entry<Nllsl>("nllsl",
                             "NLLSL: rank-L Jacobian estimate, O(n + L) per step (Brust 2021)",
                             NllslOptions{}));
    e.push_back(entry<NllsFull>("nlls-full",
                                "full-Jacobian NLLS baseline: (I + J'J)s = -g via the m x m Gram",
                                NllsFullOptions{}));
    return e;
  }();
  return entries;
}

const Entry& find(std::string_view name) {
  for (const Entry& e : registry())
    if (e.name == name) return e;
  std::string known;
  for (const Entry& e : registry()) {
    if (!known.empty()) known += ", ";
    known += e.name;
  }
  throw ConfigError("unknown optimizer '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace

std::vector<OptimizerDescription> optimizer_catalog() {
  std::vector<OptimizerDescription> out;
  for (const Entry& e : registry())
    out.push_back({std::string(e.name), std::string(e.summary), e.describe()});
  return out;
}

OptimizerDescription describe_optimizer(std::string_view name) {
  const Entry& e = find(name);
  return {std::string(e.name), std::string(e.summary), e.describe()};
}

namespace {
std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}
}  // namespace

void append_option_words(std::string_view owner, std::string_view words, OptionList& out) {
  for (std::string_view word : split_words(words)) {
    const std::size_t eq = word.find('=');
    if (eq == std::string_view::npos || eq == 0)
      throw ConfigError(std::string(owner) + ": expected key=value, got '" + std::string(word) +
                        "'");
    out.emplace_back(std::string(word.substr(0, eq)), std::string(word.substr(eq + 1)));
  }
}

std::pair<std::string, OptionList> parse_optimizer_spec(std::string_view spec) {
  const std::vector<std::string_view> words = split_words(spec);
  if (words.empty()) throw ConfigError("empty optimizer specification");
  std::pair<std::string, OptionList> out{std::string(words[0]), {}};
  const std::size_t rest =
      static_cast<std::size_t>(words[0].data() + words[0].size() - spec.data());
  append_option_words(out.first, spec.substr(rest), out.second);
  return out;
}

template <class Scalar>
std::unique_ptr<Optimizer<Scalar>> make_optimizer(std::string_view name,
                                                  const OptionList& options) {
  const Entry& e = find(name);
  if constexpr (std::is_same_v<Scalar, float>) {
    return e.make_float(e.name, options);
  } else {
    return e.make_double(e.name, options);
  }
}

template <class Scalar>
std::unique_ptr<Optimizer<Scalar>> make_optimizer(std::string_view spec) {
  const auto [name, options] = parse_optimizer_spec(spec);
  return make_optimizer<Scalar>(name, options);
}

template std::unique_ptr<Optimizer<float>> make_optimizer<float>(std::string_view,
                                                                 const OptionList&);
template std::unique_ptr<Optimizer<double>> make_optimizer<double>(std::string_view,
                                                                   const OptionList&);
template std::unique_ptr<Optimizer<float>> make_optimizer<float>(std::string_view);
template std::unique_ptr<Optimizer<double>> make_optimizer<double>(std::string_view);

}  // namespace curvopt

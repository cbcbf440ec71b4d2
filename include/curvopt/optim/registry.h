#pragma once
/// Builds any optimizer from its name and key=value options, as the command line does:
/// `make_optimizer<float>("adam lr=1e-3 beta1=0.9")`.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "curvopt/optim/optimizer.h"

namespace curvopt {

/// (key, value) text pairs.
using OptionList = std::vector<std::pair<std::string, std::string>>;

/// One option of a registered optimizer, for help texts.
struct OptionDescription {
  std::string name;
  std::string alias;          ///< short form, or empty
  std::string default_value;  ///< as text, under this optimizer's defaults
  std::string help;
};

/// A registered optimizer.
struct OptimizerDescription {
  std::string name;
  std::string summary;
  std::vector<OptionDescription> options;
};

/// Every registered optimizer, in the order a help text lists them.
std::vector<OptimizerDescription> optimizer_catalog();
/// The description of `name`; throws ConfigError for an unknown name, listing the known ones.
OptimizerDescription describe_optimizer(std::string_view name);

/// Builds `name` with `options` applied over its defaults. Throws ConfigError naming the
/// optimizer and the key for an unknown optimizer, an unknown key (listing the known ones), a
/// value that does not parse, a key given twice, or options that fail validate().
template <class Scalar>
std::unique_ptr<Optimizer<Scalar>> make_optimizer(std::string_view name, const OptionList& options);
/// Same from one string: the name followed by whitespace-separated key=value tokens.
template <class Scalar>
std::unique_ptr<Optimizer<Scalar>> make_optimizer(std::string_view spec);

/// Splits "adam lr=1e-3 beta1=0.9" into the name and its options; throws ConfigError for an
/// empty spec or a token without '='. The one parser of option specs: the command line and the
/// task defaults go through it (or append_option_words) too.
std::pair<std::string, OptionList> parse_optimizer_spec(std::string_view spec);
/// Appends the whitespace-separated "key=value" words of `words` to `out`; throws ConfigError
/// naming `owner` (the optimizer) and the word when a word has no key=value form.
void append_option_words(std::string_view owner, std::string_view words, OptionList& out);

extern template std::unique_ptr<Optimizer<float>> make_optimizer<float>(std::string_view,
                                                                        const OptionList&);
extern template std::unique_ptr<Optimizer<double>> make_optimizer<double>(std::string_view,
                                                                          const OptionList&);
extern template std::unique_ptr<Optimizer<float>> make_optimizer<float>(std::string_view);
extern template std::unique_ptr<Optimizer<double>> make_optimizer<double>(std::string_view);

}  // namespace curvopt

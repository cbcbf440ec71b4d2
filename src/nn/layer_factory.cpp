// Layer::config() of every layer with constructor arguments, and make_layer() that reads them
// back. Both live here so that the writing and the reading of one layer's words sit side by side.

#include "curvopt/nn/layer_factory.h"

#include <charconv>
#include <cmath>
#include <map>
#include <string>

#include "curvopt/core/errors.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/conv2d.h"
#include "curvopt/nn/dense.h"
#include "curvopt/nn/embedding.h"
#include "curvopt/nn/flatten.h"
#include "curvopt/nn/max_pool2d.h"

namespace curvopt {
namespace {

// Shortest text that reads back to the same double.
std::string exact(double x) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, x).ptr;
  return std::string(buffer, end);
}

// The "key=value" words of one layer, consumed as the builder reads them; whatever is left is an
// unknown key.
class ConfigWords {
 public:
  ConfigWords(std::string_view type, std::string_view config) : type_(type) {
    std::size_t i = 0;
    while (i < config.size()) {
      while (i < config.size() && config[i] == ' ') ++i;
      std::size_t j = i;
      while (j < config.size() && config[j] != ' ') ++j;
      if (j > i) {
        const std::string_view word = config.substr(i, j - i);
        const std::size_t eq = word.find('=');
        if (eq == std::string_view::npos || eq == 0 || eq + 1 == word.size())
          fail("expected key=value, got '" + std::string(word) + "'");
        const std::string key(word.substr(0, eq));
        if (!words_.emplace(key, std::string(word.substr(eq + 1))).second)
          fail("'" + key + "' given twice");
      }
      i = j;
    }
  }

  Index integer(const std::string& key, Index fallback) {
    const auto it = words_.find(key);
    if (it == words_.end()) return fallback;
    const std::string text = take(it);
    Index value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size())
      fail(key + " = '" + text + "': expected an integer");
    return value;
  }

  double number(const std::string& key, double fallback) {
    const auto it = words_.find(key);
    if (it == words_.end()) return fallback;
    const std::string text = take(it);
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
      fail(key + " = '" + text + "': expected a finite number");
    return value;
  }

  std::vector<Index> integers(const std::string& key) {
    const auto it = words_.find(key);
    if (it == words_.end()) fail("missing '" + key + "'");
    const std::string text = take(it);
    std::vector<Index> out;
    const char* p = text.data();
    const char* const last = text.data() + text.size();
    while (p < last) {
      Index value = 0;
      const auto [end, error] = std::from_chars(p, last, value);
      if (error != std::errc() || (end != last && *end != ','))
        fail(key + " = '" + text + "': expected comma-separated integers");
      out.push_back(value);
      p = end == last ? end : end + 1;
    }
    return out;
  }

  // Throws for any key no builder asked for.
  void finish() const {
    if (!words_.empty()) fail("unknown option '" + words_.begin()->first + "'");
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw ValueError("layer " + std::string(type_) + ": " + what);
  }

 private:
  std::string take(std::map<std::string, std::string>::iterator it) {
    std::string value = std::move(it->second);
    words_.erase(it);
    return value;
  }

  std::string_view type_;
  std::map<std::string, std::string> words_;
};

template <class Scalar>
std::unique_ptr<Layer<Scalar>> build(std::string_view type, ConfigWords& w) {
  if (type == "Dense") return std::make_unique<Dense<Scalar>>(w.integer("units", 0));
  if (type == "Conv2d") {
    Conv2dOptions o;
    o.out_channels = w.integer("out_channels", o.out_channels);
    o.kernel_h = w.integer("kernel_h", o.kernel_h);
    o.kernel_w = w.integer("kernel_w", o.kernel_w);
    o.stride = w.integer("stride", o.stride);
    o.padding = w.integer("padding", o.padding);
    return std::make_unique<Conv2d<Scalar>>(o);
  }
  if (type == "MaxPool2d") {
    const Index kernel = w.integer("kernel", 2);
    return std::make_unique<MaxPool2d<Scalar>>(kernel, w.integer("stride", 0));
  }
  if (type == "Embedding") {
    std::vector<Index> vocab = w.integers("vocab_sizes");
    return std::make_unique<Embedding<Scalar>>(std::move(vocab), w.integer("dim", 0));
  }
  if (type == "Flatten") return std::make_unique<Flatten<Scalar>>();
  if (type == "ReLU") return std::make_unique<Relu<Scalar>>();
  if (type == "LeakyReLU")
    return std::make_unique<LeakyRelu<Scalar>>(w.number("negative_slope", 0.01));
  if (type == "RReLU") {
    const double lower = w.number("lower", 1.0 / 8.0);
    return std::make_unique<Rrelu<Scalar>>(lower, w.number("upper", 1.0 / 3.0));
  }
  if (type == "ELU") return std::make_unique<Elu<Scalar>>(w.number("alpha", 1.0));
  if (type == "Sigmoid") return std::make_unique<Sigmoid<Scalar>>();
  if (type == "Tanh") return std::make_unique<Tanh<Scalar>>();
  if (type == "Softplus") return std::make_unique<Softplus<Scalar>>();
  std::string known;
  for (const auto& t : layer_types()) {
    if (!known.empty()) known += ", ";
    known += t;
  }
  throw ValueError("unknown layer type '" + std::string(type) + "' (known: " + known + ")");
}

}  // namespace

std::vector<std::string> layer_types() {
  return {"Dense",     "Conv2d", "MaxPool2d", "Flatten", "Embedding", "ReLU",
          "LeakyReLU", "RReLU",  "ELU",       "Sigmoid", "Tanh",      "Softplus"};
}

template <class Scalar>
std::unique_ptr<Layer<Scalar>> make_layer(std::string_view type, std::string_view config) {
  ConfigWords words(type, config);
  std::unique_ptr<Layer<Scalar>> layer;
  try {
    layer = build<Scalar>(type, words);
  } catch (const ConfigError& e) {  // a constructor's range check: name it as a layer word
    words.fail(e.what());
  }
  words.finish();
  return layer;
}

template <class Scalar>
std::string Dense<Scalar>::config() const {
  return "units=" + std::to_string(units_);
}

template <class Scalar>
std::string Conv2d<Scalar>::config() const {
  return "out_channels=" + std::to_string(opt_.out_channels) +
         " kernel_h=" + std::to_string(opt_.kernel_h) +
         " kernel_w=" + std::to_string(opt_.kernel_w) + " stride=" + std::to_string(opt_.stride) +
         " padding=" + std::to_string(opt_.padding);
}

template <class Scalar>
std::string MaxPool2d<Scalar>::config() const {
  return "kernel=" + std::to_string(kernel_) + " stride=" + std::to_string(stride_);
}

template <class Scalar>
std::string Embedding<Scalar>::config() const {
  std::string words = "vocab_sizes=";
  for (std::size_t f = 0; f < vocab_.size(); ++f) {
    if (f > 0) words += ',';
    words += std::to_string(vocab_[f]);
  }
  words += " dim=";
  words += std::to_string(dim_);
  return words;
}

template <class Scalar>
std::string LeakyRelu<Scalar>::config() const {
  return "negative_slope=" + exact(slope_);
}

template <class Scalar>
std::string Rrelu<Scalar>::config() const {
  return "lower=" + exact(lower_) + " upper=" + exact(upper_);
}

template <class Scalar>
std::string Elu<Scalar>::config() const {
  return "alpha=" + exact(alpha_);
}

#define CURVOPT_INSTANTIATE_LAYER_CONFIG(S)                                             \
  template std::unique_ptr<Layer<S>> make_layer<S>(std::string_view, std::string_view); \
  template std::string Dense<S>::config() const;                                        \
  template std::string Conv2d<S>::config() const;                                       \
  template std::string MaxPool2d<S>::config() const;                                    \
  template std::string Embedding<S>::config() const;                                    \
  template std::string LeakyRelu<S>::config() const;                                    \
  template std::string Rrelu<S>::config() const;                                        \
  template std::string Elu<S>::config() const;
CURVOPT_INSTANTIATE_LAYER_CONFIG(float)
CURVOPT_INSTANTIATE_LAYER_CONFIG(double)
#undef CURVOPT_INSTANTIATE_LAYER_CONFIG

}  // namespace curvopt

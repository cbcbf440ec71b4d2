// Model descriptions: words → LayerSpec (the grammar's one table, kLayerWords) → make_layer(), and
// a built network back to words.

#include "curvopt/nn/model_spec.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>
#include <sstream>

#include "curvopt/core/errors.h"
#include "curvopt/nn/layer_factory.h"

namespace curvopt {
namespace {

struct Word {
  std::string text;
  std::size_t number = 0;  // 1-based
  std::size_t column = 0;  // 1-based
};

std::vector<Word> split_words(std::string_view text) {
  std::vector<Word> words;
  std::size_t column = 1, i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n') {
      column = 1;
      ++i;
      continue;
    }
    if (c == '#') {  // a comment runs to the end of the line
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++column;
      ++i;
      continue;
    }
    Word w;
    w.column = column;
    w.number = words.size() + 1;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) &&
           text[i] != '#') {
      w.text += text[i++];
      ++column;
    }
    words.push_back(std::move(w));
  }
  return words;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

[[noreturn]] void fail_at(const Word& w, const std::string& why) {
  throw ValueError("model description: word " + std::to_string(w.number) + " '" + w.text +
                   "' (column " + std::to_string(w.column) + "): " + why);
}

// Sizes and options beyond this are refused as written, so that no shape arithmetic overflows.
constexpr Index kMaxCount = Index{1} << 20;
constexpr Index kMaxValuesPerExample = Index{1} << 30;

std::optional<Index> positive_integer(std::string_view text) {
  Index value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1 || value > kMaxCount)
    return std::nullopt;
  return value;
}

bool looks_like_number(std::string_view text) {
  return !text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-' ||
                           text[0] == '+' || text[0] == '.');
}

// What the words of one layer name: how many counts follow it, and how its options map to
// make_layer()'s keys.
struct LayerWords {
  const char* name;        // as written in descriptions
  const char* type;        // Layer::type()
  int counts;              // positional counts after the name (pool's one is optional)
  const char* count_help;  // what the counts are, for messages
  std::vector<std::pair<const char*, const char*>> options;  // description key → config key
};

const std::vector<LayerWords>& layer_words() {
  static const std::vector<LayerWords> table = {
      {"dense", "Dense", 1, "the number of units, e.g. 'dense 64'", {}},
      {"conv",
       "Conv2d",
       2,
       "the output channels and the kernel size, e.g. 'conv 32 5' or 'conv 32 3x5'",
       {{"stride", "stride"}, {"padding", "padding"}}},
      {"pool", "MaxPool2d", 1, "the window size, e.g. 'pool 2'", {{"stride", "stride"}}},
      {"flatten", "Flatten", 0, "", {}},
      {"embedding",
       "Embedding",
       1,
       "the embedding width, e.g. 'embedding 32 vocab=943,1682'",
       {{"vocab", "vocab_sizes"}}},
      {"relu", "ReLU", 0, "", {}},
      {"leaky-relu", "LeakyReLU", 0, "", {{"slope", "negative_slope"}}},
      {"rrelu", "RReLU", 0, "", {{"lower", "lower"}, {"upper", "upper"}}},
      {"elu", "ELU", 0, "", {{"alpha", "alpha"}}},
      {"sigmoid", "Sigmoid", 0, "", {}},
      {"tanh", "Tanh", 0, "", {}},
      {"softplus", "Softplus", 0, "", {}},
  };
  return table;
}

// Other spellings users write.
std::string canonical_name(const std::string& name) {
  static const std::map<std::string, std::string> aliases = {
      {"linear", "dense"},         {"fc", "dense"},
      {"conv2d", "conv"},          {"maxpool", "pool"},
      {"max-pool", "pool"},        {"maxpool2d", "pool"},
      {"leakyrelu", "leaky-relu"}, {"leaky_relu", "leaky-relu"},
      {"logistic", "sigmoid"}};
  const auto it = aliases.find(name);
  return it == aliases.end() ? name : it->second;
}

const LayerWords* find_layer(const std::string& name) {
  for (const LayerWords& l : layer_words())
    if (name == l.name) return &l;
  return nullptr;
}

const LayerWords& layer_for_type(const std::string& type) {
  for (const LayerWords& l : layer_words())
    if (type == l.type) return l;
  throw ValueError("model description: a " + type + " layer cannot be written as a description");
}

std::string known_names() {
  std::string known;
  for (const LayerWords& l : layer_words())
    known += std::string(known.empty() ? "" : ", ") + l.name;
  return known;
}

// The counts of one layer as make_layer() words.
std::string count_config(const LayerWords& l, const std::vector<Word>& counts) {
  const auto integer = [&](const Word& w, const char* what) {
    const auto value = positive_integer(w.text);
    if (!value) fail_at(w, std::string(what) + " must be a positive integer");
    return std::to_string(*value);
  };
  const std::string type = l.type;
  if (type == "Dense") return "units=" + integer(counts[0], "the number of units");
  if (type == "Embedding") return "dim=" + integer(counts[0], "the embedding width");
  if (type == "MaxPool2d")
    return counts.empty() ? "kernel=2" : "kernel=" + integer(counts[0], "the window size");
  if (type == "Conv2d") {
    std::string words = "out_channels=" + integer(counts[0], "the number of output channels");
    const std::string& k = counts[1].text;
    const std::size_t x = k.find('x');
    if (x == std::string::npos) {
      const std::string size = integer(counts[1], "the kernel size");
      return words + " kernel_h=" + size + " kernel_w=" + size;
    }
    const auto h = positive_integer(std::string_view(k).substr(0, x));
    const auto w = positive_integer(std::string_view(k).substr(x + 1));
    if (!h || !w) fail_at(counts[1], "the kernel size must be K or HxW with positive integers");
    return words + " kernel_h=" + std::to_string(*h) + " kernel_w=" + std::to_string(*w);
  }
  return "";
}

}  // namespace

std::vector<LayerSpec> parse_model_spec(std::string_view text) {
  const std::vector<Word> words = split_words(text);
  if (words.empty())
    throw ValueError("model description: empty; name layers such as 'dense 64 relu dense 1' (" +
                     known_names() + ")");
  std::vector<LayerSpec> layers;
  std::size_t i = 0;
  while (i < words.size()) {
    const Word& head = words[i];
    const LayerWords* l = find_layer(canonical_name(lower(head.text)));
    if (!l) {
      if (head.text.find('=') != std::string::npos)
        fail_at(head, "an option must follow the layer it belongs to");
      if (looks_like_number(head.text))
        fail_at(head, "a number where a layer name belongs (known layers: " + known_names() + ")");
      fail_at(head, "unknown layer (known: " + known_names() + ")");
    }
    LayerSpec spec;
    spec.type = l->type;
    spec.word = head.number;
    spec.column = head.column;
    spec.text = head.text;
    ++i;
    std::vector<Word> counts;
    const bool optional = std::string(l->type) == "MaxPool2d";
    while (static_cast<int>(counts.size()) < l->counts) {
      if (i < words.size() && looks_like_number(words[i].text)) {
        counts.push_back(words[i]);
        spec.text += ' ' + words[i++].text;
        continue;
      }
      if (optional) break;
      fail_at(i < words.size() ? words[i] : head,
              std::string(i < words.size() ? "expected " : "the description ends; expected ") +
                  l->count_help + " after '" + head.text + "'");
    }
    spec.config = count_config(*l, counts);
    std::map<std::string, std::string> options;
    while (i < words.size() && words[i].text.find('=') != std::string::npos) {
      const Word& w = words[i++];
      spec.text += ' ' + w.text;
      const std::size_t eq = w.text.find('=');
      const std::string key = lower(w.text.substr(0, eq));
      std::string value = w.text.substr(eq + 1);
      const auto option = std::find_if(l->options.begin(), l->options.end(),
                                       [&](const auto& o) { return key == o.first; });
      if (option == l->options.end()) {
        std::string takes;
        for (const auto& o : l->options) takes += std::string(takes.empty() ? "" : ", ") + o.first;
        fail_at(w, std::string("'") + l->name + "' takes " +
                       (takes.empty() ? "no options" : "the options " + takes));
      }
      if (value.empty()) fail_at(w, "the option has no value");
      const bool integer_option = key == "stride" || key == "padding";
      if (integer_option && !(key == "padding" && (lower(value) == "same" || value == "0")) &&
          !positive_integer(value))
        fail_at(w, "'" + key + "' must be " + (key == "padding" ? "'same' or " : "") +
                       "an integer from " + (key == "padding" ? "0" : "1") + " to " +
                       std::to_string(kMaxCount));
      if (!options.emplace(key, value).second) fail_at(w, "'" + key + "' given twice");
      if (key == "padding" && lower(value) == "same") {  // keeps the image size at stride 1
        const std::size_t kh = spec.config.find("kernel_h="), kw = spec.config.find("kernel_w=");
        const Index h = std::stol(spec.config.substr(kh + 9)),
                    wd = std::stol(spec.config.substr(kw + 9));
        if (h != wd || h % 2 == 0) fail_at(w, "padding=same needs an odd square kernel");
        value = std::to_string(h / 2);
      }
      spec.config += std::string(" ") + option->second + "=" + value;
    }
    if (i < words.size() && looks_like_number(words[i].text))
      fail_at(words[i], std::string("a number after '") + spec.text + "', which takes " +
                            (l->counts == 0 ? "none" : "only " + std::to_string(l->counts)));
    layers.push_back(std::move(spec));
  }
  return layers;
}

template <class Scalar>
Sequential<Scalar> build_model(std::string_view text, const Shape& input, Initializer init,
                               std::uint64_t seed, Index max_parameters) {
  const std::vector<LayerSpec> specs = parse_model_spec(text);
  Sequential<Scalar> model(input);
  for (const LayerSpec& spec : specs) {
    const std::string where = "model description: word " + std::to_string(spec.word) + " '" +
                              spec.text + "' (column " + std::to_string(spec.column) + "): ";
    const Shape before = model.num_layers() == 0 ? input : model.output_shape();
    try {
      std::unique_ptr<Layer<Scalar>> layer = make_layer<Scalar>(spec.type, spec.config);
      // Sized before the model allocates its weights, so a slip of the keyboard
      // ("dense 6400000") is one line, not an exhausted memory.
      const Shape out = layer->configure(before);
      const Index total = model.num_parameters() + layer->num_parameters();
      if (total > max_parameters)
        throw ValueError("the network would have " + std::to_string(total) +
                         " parameters, more than the " + std::to_string(max_parameters) +
                         " allowed");
      // In floating point: the product of three sizes may not fit in an Index.
      const double values = static_cast<double>(out.channels) * static_cast<double>(out.height) *
                            static_cast<double>(out.width);
      if (values > static_cast<double>(kMaxValuesPerExample))
        throw ValueError("the layer gives " + std::to_string(values) +
                         " values per example, more than " + std::to_string(kMaxValuesPerExample));
      model.add(std::move(layer));
    } catch (const Error& e) {
      std::string hint;
      if ((spec.type == "Conv2d" || spec.type == "MaxPool2d") && before.is_flat())
        hint = " (its input is " + std::to_string(before.size()) +
               " flat features; images need channels x height x width, as idx files or "
               "(N, C, H, W) .npy arrays give)";
      throw ValueError(where + e.what() + hint);
    }
  }
  model.initialize(init, seed);
  return model;
}

// One layer as description words ("conv 32 5 stride=2").
template <class Scalar>
std::string layer_description(const Layer<Scalar>& layer) {
  const LayerWords& l = layer_for_type(layer.type());
  std::map<std::string, std::string> config;
  std::istringstream words(layer.config());
  for (std::string w; words >> w;) config[w.substr(0, w.find('='))] = w.substr(w.find('=') + 1);
  std::string text = l.name;
  const std::string type = l.type;
  if (type == "Dense") text += " " + config["units"];
  if (type == "Embedding") text += " " + config["dim"] + " vocab=" + config["vocab_sizes"];
  if (type == "MaxPool2d") {
    text += " " + config["kernel"];
    if (config["stride"] != config["kernel"] && config["stride"] != "0")
      text += " stride=" + config["stride"];
  }
  if (type == "Conv2d") {
    text += " " + config["out_channels"] + " " + config["kernel_h"];
    if (config["kernel_w"] != config["kernel_h"]) text += "x" + config["kernel_w"];
    if (config["stride"] != "1") text += " stride=" + config["stride"];
    if (config["padding"] != "0") text += " padding=" + config["padding"];
  }
  // Activation options: written only where they differ from the layer's default.
  if (type == "LeakyReLU" || type == "RReLU" || type == "ELU") {
    std::istringstream d(make_layer<Scalar>(type, "")->config());
    std::map<std::string, std::string> default_config;
    for (std::string w; d >> w;)
      default_config[w.substr(0, w.find('='))] = w.substr(w.find('=') + 1);
    for (const auto& [key, name] : l.options)
      if (config[name] != default_config[name]) text += std::string(" ") + key + "=" + config[name];
  }
  return text;
}

template <class Scalar>
std::string format_model_spec(const Sequential<Scalar>& model) {
  std::string out;
  for (Index i = 0; i < model.num_layers(); ++i) {
    if (i > 0) out += ' ';
    out += layer_description(model.layer(i));
  }
  return out;
}

template <class Scalar>
std::string describe_model(const Sequential<Scalar>& model) {
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof line, "%-4s %-28s %-14s %12s\n", "#", "layer", "output", "parameters");
  out << line;
  std::snprintf(line, sizeof line, "%-4s %-28s %s\n", "", "input",
                to_string(model.input_shape()).c_str());
  out << line;
  Shape shape = model.input_shape();
  for (Index i = 0; i < model.num_layers(); ++i) {
    const Layer<Scalar>& layer = model.layer(i);
    shape = layer.output_shape();
    const std::string words = layer_description(layer);
    std::snprintf(line, sizeof line, "%-4lld %-28s %-14s %12lld\n", static_cast<long long>(i + 1),
                  words.substr(0, 28).c_str(), to_string(shape).c_str(),
                  static_cast<long long>(layer.num_parameters()));
    out << line;
  }
  out << "parameters: " << model.num_parameters() << "\n";
  out << "description: " << format_model_spec(model) << "\n";
  return out.str();
}

Shape parse_shape(std::string_view text) {
  std::vector<Index> dims;
  std::size_t start = 0;
  while (true) {
    const std::size_t x = text.find('x', start);
    const auto value = positive_integer(
        text.substr(start, x == std::string_view::npos ? std::string_view::npos : x - start));
    if (!value)
      throw ValueError("input shape '" + std::string(text) +
                       "': expected N (flat features), HxW or CxHxW with positive integers");
    dims.push_back(*value);
    if (x == std::string_view::npos) break;
    start = x + 1;
  }
  if (dims.size() == 1) return Shape::flat(dims[0]);
  if (dims.size() == 2) return Shape::image(1, dims[0], dims[1]);
  if (dims.size() == 3) return Shape::image(dims[0], dims[1], dims[2]);
  throw ValueError("input shape '" + std::string(text) + "': at most three sizes (CxHxW)");
}

template Sequential<float> build_model<float>(std::string_view, const Shape&, Initializer,
                                              std::uint64_t, Index);
template Sequential<double> build_model<double>(std::string_view, const Shape&, Initializer,
                                                std::uint64_t, Index);
template std::string format_model_spec<float>(const Sequential<float>&);
template std::string format_model_spec<double>(const Sequential<double>&);
template std::string describe_model<float>(const Sequential<float>&);
template std::string describe_model<double>(const Sequential<double>&);

}  // namespace curvopt

#include "curvopt/data/data_schema.h"

#include <charconv>
#include <cmath>
#include <map>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

// Column and class names may hold any bytes; the metadata value is one line of comma-separated
// items, so '%', ',' and control characters are written as %XX.
std::string encode_list(const std::vector<std::string>& items) {
  std::string out;
  static const char* hex = "0123456789ABCDEF";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    for (const char ch : items[i]) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '%' || c == ',' || c < 0x20 || c == 0x7f) {
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
      } else {
        out += ch;
      }
    }
  }
  return out;
}

std::vector<std::string> decode_list(const std::string& text, const std::string& where) {
  std::vector<std::string> items(1);
  if (text.empty()) return {};
  const auto nibble = [&](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw ValueError(where + ": a malformed %XX escape");
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ',') {
      items.emplace_back();
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) throw ValueError(where + ": a malformed %XX escape");
      items.back() += static_cast<char>(nibble(text[i + 1]) * 16 + nibble(text[i + 2]));
      i += 2;
    } else {
      items.back() += text[i];
    }
  }
  return items;
}

std::string encode_numbers(const std::vector<double>& values) {
  std::string out;
  char buffer[32];
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, values[i]).ptr);
  }
  return out;
}

std::vector<double> decode_numbers(const std::string& text, const std::string& where) {
  std::vector<double> out;
  for (const std::string& item : decode_list(text, where)) {
    double v = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (error != std::errc() || end != item.data() + item.size() || !std::isfinite(v))
      throw ValueError(where + ": '" + item + "' is not a finite number");
    out.push_back(v);
  }
  return out;
}

}  // namespace

std::string to_string(TargetKind kind) {
  switch (kind) {
    case TargetKind::kRegression:
      return "regression";
    case TargetKind::kClasses:
      return "classes";
    case TargetKind::kBinary:
      return "binary";
  }
  return "regression";
}

std::optional<TargetKind> parse_target_kind(std::string_view name) {
  for (TargetKind k : {TargetKind::kRegression, TargetKind::kClasses, TargetKind::kBinary})
    if (name == to_string(k)) return k;
  return std::nullopt;
}

template <class Scalar>
FeatureStandardizer FeatureStandardizer::fit(const Matrix<Scalar>& inputs) {
  if (inputs.cols() < 1) throw ValueError("standardization needs at least one example");
  FeatureStandardizer s;
  const Index n = inputs.cols();
  for (Index r = 0; r < inputs.rows(); ++r) {
    double mean = 0;
    for (Index c = 0; c < n; ++c) mean += static_cast<double>(inputs(r, c));
    mean /= static_cast<double>(n);
    double squares = 0;  // two passes: no cancellation for features far from zero
    for (Index c = 0; c < n; ++c) {
      const double d = static_cast<double>(inputs(r, c)) - mean;
      squares += d * d;
    }
    const double sd = std::sqrt(squares / static_cast<double>(n));
    s.mean.push_back(mean);
    // A constant feature (or one constant to rounding) keeps its unit: dividing by ~0 would
    // turn a stray value at prediction time into a huge input.
    s.scale.push_back(sd > 1e-12 * std::max(1.0, std::abs(mean)) ? sd : 1.0);
  }
  return s;
}

template <class Scalar>
void FeatureStandardizer::apply(Matrix<Scalar>& inputs) const {
  if (static_cast<std::size_t>(inputs.rows()) != mean.size())
    throw ValueError("standardization was fitted to " + std::to_string(mean.size()) +
                     " features, the data has " + std::to_string(inputs.rows()));
  for (Index c = 0; c < inputs.cols(); ++c)
    for (Index r = 0; r < inputs.rows(); ++r) {
      const auto i = static_cast<std::size_t>(r);
      inputs(r, c) = static_cast<Scalar>((static_cast<double>(inputs(r, c)) - mean[i]) / scale[i]);
    }
}

std::vector<std::pair<std::string, std::string>> DataSchema::to_metadata() const {
  std::vector<std::pair<std::string, std::string>> m = {
      {"data.format", format},
      {"data.kind", to_string(kind)},
      {"data.target_encoding", target_encoding},
      {"data.loss", loss},
  };
  if (format == "csv") {
    m.emplace_back("data.features", encode_list(feature_columns));
    m.emplace_back("data.targets", encode_list(target_columns));
    m.emplace_back("data.header", header ? "yes" : "no");
    m.emplace_back("data.delimiter", std::to_string(static_cast<unsigned char>(delimiter)));
  }
  if (num_classes > 0) m.emplace_back("data.num_classes", std::to_string(num_classes));
  if (!class_names.empty()) m.emplace_back("data.classes", encode_list(class_names));
  if (!standardizer.empty()) {
    m.emplace_back("data.standardize.mean", encode_numbers(standardizer.mean));
    m.emplace_back("data.standardize.scale", encode_numbers(standardizer.scale));
  }
  return m;
}

std::optional<DataSchema> DataSchema::from_metadata(
    const std::vector<std::pair<std::string, std::string>>& metadata, const std::string& source) {
  std::map<std::string, std::string> m;
  for (const auto& [key, value] : metadata)
    if (key.rfind("data.", 0) == 0) m[key] = value;
  if (m.empty()) return std::nullopt;
  const auto where = [&](const std::string& key) { return source + ": metadata '" + key + "'"; };
  const auto get = [&](const std::string& key) -> const std::string& {
    const auto it = m.find(key);
    if (it == m.end()) throw ValueError(where(key) + ": missing");
    return it->second;
  };
  DataSchema s;
  s.format = get("data.format");
  if (s.format != "csv" && s.format != "npy" && s.format != "idx")
    throw ValueError(where("data.format") + ": '" + s.format + "' is not csv, npy or idx");
  const auto kind = parse_target_kind(get("data.kind"));
  if (!kind) throw ValueError(where("data.kind") + ": '" + get("data.kind") + "'");
  s.kind = *kind;
  s.target_encoding = get("data.target_encoding");
  if (s.target_encoding != "numbers" && s.target_encoding != "labels")
    throw ValueError(where("data.target_encoding") + ": '" + s.target_encoding + "'");
  s.loss = get("data.loss");
  if (s.format == "csv") {
    s.feature_columns = decode_list(get("data.features"), where("data.features"));
    s.target_columns = decode_list(get("data.targets"), where("data.targets"));
    const std::string& header = get("data.header");
    if (header != "yes" && header != "no") throw ValueError(where("data.header") + ": " + header);
    s.header = header == "yes";
    const std::string& d = get("data.delimiter");
    int code = 0;
    const auto [end, error] = std::from_chars(d.data(), d.data() + d.size(), code);
    if (error != std::errc() || end != d.data() + d.size() || code < 1 || code > 255)
      throw ValueError(where("data.delimiter") + ": '" + d + "'");
    s.delimiter = static_cast<char>(code);
  }
  if (m.count("data.num_classes")) {
    const std::string& text = m["data.num_classes"];
    const auto [end, error] =
        std::from_chars(text.data(), text.data() + text.size(), s.num_classes);
    if (error != std::errc() || end != text.data() + text.size() || s.num_classes < 1)
      throw ValueError(where("data.num_classes") + ": '" + text + "'");
  }
  if (m.count("data.classes"))
    s.class_names = decode_list(m["data.classes"], where("data.classes"));
  if (m.count("data.standardize.mean")) {
    s.standardizer.mean =
        decode_numbers(m["data.standardize.mean"], where("data.standardize.mean"));
    s.standardizer.scale =
        decode_numbers(get("data.standardize.scale"), where("data.standardize.scale"));
    if (s.standardizer.mean.size() != s.standardizer.scale.size())
      throw ValueError(where("data.standardize.scale") + ": " +
                       std::to_string(s.standardizer.scale.size()) + " values for " +
                       std::to_string(s.standardizer.mean.size()) + " means");
    for (double v : s.standardizer.scale)
      if (!(v > 0)) throw ValueError(where("data.standardize.scale") + ": a scale <= 0");
  }
  if (s.kind != TargetKind::kRegression && s.num_classes < 1)
    throw ValueError(where("data.num_classes") + ": missing for kind " + to_string(s.kind));
  return s;
}

template FeatureStandardizer FeatureStandardizer::fit<float>(const Matrix<float>&);
template FeatureStandardizer FeatureStandardizer::fit<double>(const Matrix<double>&);
template void FeatureStandardizer::apply<float>(Matrix<float>&) const;
template void FeatureStandardizer::apply<double>(Matrix<double>&) const;

}  // namespace curvopt

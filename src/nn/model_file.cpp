// Layout (docs/model_file.md), every integer and weight little-endian:
//   8 bytes  magic "CVMODEL\n"
//   u32      format version
//   u32      header length H
//   H bytes  header text: "precision float32", "input C H W", one "layer TYPE WORDS..." line
//            per layer, "parameters N", then (version 2) "meta KEY VALUE" lines
//   N·4|8    the flat parameter vector in the header's precision
//   u32      CRC-32 (zlib's) of every byte before it
// The checksum is verified before anything else is trusted, so a flipped bit anywhere, a
// truncated copy or a spliced file is refused with one line instead of loading wrong weights.

#include "curvopt/nn/model_file.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include "curvopt/core/atomic_file.h"
#include "curvopt/core/checksum.h"
#include "curvopt/core/errors.h"
#include "curvopt/nn/layer_factory.h"

namespace curvopt {
namespace {

static_assert(std::endian::native == std::endian::little,
              "model files are little-endian; add byte swapping for this platform");

constexpr char kMagic[8] = {'C', 'V', 'M', 'O', 'D', 'E', 'L', '\n'};
constexpr std::size_t kFixedBytes = sizeof kMagic + 4 + 4;  // magic, version, header length
// Headers are a few lines per layer; anything larger is not a model file of ours.
constexpr std::uint32_t kMaxHeaderBytes = 1u << 24;

template <class Scalar>
const char* precision_name() {
  return sizeof(Scalar) == 4 ? "float32" : "float64";
}

void append_u32(std::string& out, std::uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}

std::uint32_t read_u32(const std::string& bytes, std::size_t at) {
  std::uint32_t v;
  std::memcpy(&v, bytes.data() + at, 4);
  return v;
}

struct Parsed {
  ModelFileInfo info;
  std::size_t weights_at = 0;  // offset of the first weight in the file's bytes
};

std::string read_all(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw ValueError(file.string() + ": is a directory, not a model file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ValueError("cannot open model file " + file.string());
  // The magic first, so that a large file of another kind is refused without reading it whole.
  char magic[sizeof kMagic] = {};
  in.read(magic, sizeof magic);
  if (in.gcount() != static_cast<std::streamsize>(sizeof magic) ||
      std::memcmp(magic, kMagic, sizeof kMagic) != 0)
    throw ValueError(file.string() + ": not a curvopt model file (wrong magic bytes)");
  std::ostringstream content;
  content.write(magic, sizeof magic);
  content << in.rdbuf();
  return std::move(content).str();
}

Parsed parse(const std::filesystem::path& file, const std::string& bytes) {
  const std::string f = file.string();
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw ValueError(f + ": not a curvopt model file (wrong magic bytes)");
  if (bytes.size() < kFixedBytes + 4)
    throw ValueError(f + ": truncated model file (" + std::to_string(bytes.size()) + " bytes)");
  Parsed p;
  p.info.format_version = static_cast<int>(read_u32(bytes, sizeof kMagic));
  if (p.info.format_version < 1 || p.info.format_version > kModelFileVersion)
    throw ValueError(f + ": model file format version " + std::to_string(p.info.format_version) +
                     "; this build reads versions 1 to " + std::to_string(kModelFileVersion));
  const std::uint32_t header_bytes = read_u32(bytes, sizeof kMagic + 4);
  if (header_bytes > kMaxHeaderBytes || kFixedBytes + header_bytes + 4 > bytes.size())
    throw ValueError(f + ": truncated model file (the header claims " +
                     std::to_string(header_bytes) + " bytes)");
  const std::uint32_t stored = read_u32(bytes, bytes.size() - 4);
  if (crc32_of(bytes.data(), bytes.size() - 4) != stored)
    throw ValueError(f + ": checksum mismatch: the model file is corrupt or truncated");

  std::istringstream header(bytes.substr(kFixedBytes, header_bytes));
  std::string line;
  int line_number = 0;
  bool has_parameters = false;
  auto bad = [&](const std::string& what) {
    throw ValueError(f + ": header line " + std::to_string(line_number) + ": " + what);
  };
  while (std::getline(header, line)) {
    ++line_number;
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key == "precision") {
      words >> p.info.precision;
      if (p.info.precision != "float32" && p.info.precision != "float64")
        bad("precision '" + p.info.precision + "' (expected float32 or float64)");
    } else if (key == "input") {
      if (!(words >> p.info.input_shape.channels >> p.info.input_shape.height >>
            p.info.input_shape.width) ||
          p.info.input_shape.channels < 1 || p.info.input_shape.height < 1 ||
          p.info.input_shape.width < 1)
        bad("expected 'input C H W' with positive sizes");
    } else if (key == "layer") {
      std::string rest;
      std::getline(words >> std::ws, rest);
      if (rest.empty()) bad("a layer line without a type");
      p.info.layers.push_back(rest);
    } else if (key == "parameters") {
      if (!(words >> p.info.num_parameters) || p.info.num_parameters < 0)
        bad("expected 'parameters N' with N >= 0");
      has_parameters = true;
    } else if (key == "meta" && p.info.format_version >= 2) {
      std::string name, value;
      words >> name;
      if (words.peek() == ' ') words.get();  // the one separating space; the value keeps the rest
      std::getline(words, value);
      if (name.empty()) bad("a meta line without a key");
      p.info.metadata.emplace_back(name, value);
    } else if (!key.empty()) {
      bad("unknown entry '" + key + "'");
    }
  }
  if (p.info.precision.empty() || !has_parameters || p.info.layers.empty())
    throw ValueError(f + ": the header lacks its precision, layers or parameter count");
  const std::size_t scalar = p.info.precision == "float32" ? 4 : 8;
  p.weights_at = kFixedBytes + header_bytes;
  const std::size_t expected =
      p.weights_at + scalar * static_cast<std::size_t>(p.info.num_parameters) + 4;
  if (bytes.size() != expected)
    throw ValueError(f + ": " + std::to_string(bytes.size()) + " bytes where the header implies " +
                     std::to_string(expected) + " (truncated, or trailing bytes)");
  return p;
}

template <class Scalar, class Stored>
void copy_weights(const std::string& bytes, std::size_t at, Vector<Scalar>& out) {
  for (Index i = 0; i < out.size(); ++i) {
    Stored v;
    std::memcpy(&v, bytes.data() + at + static_cast<std::size_t>(i) * sizeof(Stored),
                sizeof(Stored));
    out(i) = static_cast<Scalar>(v);
  }
}

template <class Scalar>
void read_weights(const std::string& bytes, const Parsed& p, Vector<Scalar>& out) {
  if (p.info.precision == "float32")
    copy_weights<Scalar, float>(bytes, p.weights_at, out);
  else
    copy_weights<Scalar, double>(bytes, p.weights_at, out);
}

}  // namespace

template <class Scalar>
std::vector<std::string> describe_layers(const Sequential<Scalar>& model) {
  std::vector<std::string> out;
  for (Index i = 0; i < model.num_layers(); ++i) {
    const std::string config = model.layer(i).config();
    out.push_back(model.layer(i).type() + (config.empty() ? "" : " " + config));
  }
  return out;
}

template <class Scalar>
void save_model(const std::filesystem::path& file, const Sequential<Scalar>& model,
                const ModelMetadata& metadata) {
  std::ostringstream header;
  const Shape& in = model.input_shape();
  header << "precision " << precision_name<Scalar>() << '\n'
         << "input " << in.channels << ' ' << in.height << ' ' << in.width << '\n';
  for (const auto& layer : describe_layers(model)) header << "layer " << layer << '\n';
  header << "parameters " << model.num_parameters() << '\n';
  for (const auto& [key, value] : metadata) {
    const bool key_ok = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
    });
    if (!key_ok)
      throw ValueError(file.string() + ": model metadata key '" + key +
                       "': use letters, digits, '_' and '.'");
    if (value.find_first_of("\n\r") != std::string::npos)
      throw ValueError(file.string() + ": model metadata '" + key + "' holds a line break");
    header << "meta " << key << ' ' << value << '\n';
  }
  const std::string text = header.str();

  std::string bytes(kMagic, sizeof kMagic);
  append_u32(bytes, static_cast<std::uint32_t>(metadata.empty() ? 1 : kModelFileVersion));
  append_u32(bytes, static_cast<std::uint32_t>(text.size()));
  bytes += text;
  const Vector<Scalar>& params = model.parameters();
  bytes.append(reinterpret_cast<const char*>(params.data()),
               static_cast<std::size_t>(params.size()) * sizeof(Scalar));
  append_u32(bytes, crc32_of(bytes.data(), bytes.size()));
  write_file_atomically(file, bytes, "model file");
}

ModelFileInfo read_model_info(const std::filesystem::path& file) {
  return parse(file, read_all(file)).info;
}

template <class Scalar>
Sequential<Scalar> load_model(const std::filesystem::path& file) {
  const std::string bytes = read_all(file);
  const Parsed p = parse(file, bytes);
  Sequential<Scalar> model(p.info.input_shape);
  for (std::size_t i = 0; i < p.info.layers.size(); ++i) {
    const std::string& line = p.info.layers[i];
    const std::size_t space = line.find(' ');
    const std::string type = line.substr(0, space);
    const std::string config = space == std::string::npos ? "" : line.substr(space + 1);
    try {
      model.add(make_layer<Scalar>(type, config));
    } catch (const Error& e) {
      throw ValueError(file.string() + ": layer " + std::to_string(i) + ": " + e.what());
    }
  }
  if (model.num_parameters() != p.info.num_parameters)
    throw ValueError(file.string() + ": the layers have " + std::to_string(model.num_parameters()) +
                     " parameters, the file " + std::to_string(p.info.num_parameters));
  read_weights(bytes, p, model.parameters());
  return model;
}

template <class Scalar>
void load_model_parameters(const std::filesystem::path& file, Sequential<Scalar>& model) {
  const std::string bytes = read_all(file);
  const Parsed p = parse(file, bytes);
  const std::string f = file.string();
  if (p.info.input_shape != model.input_shape())
    throw ValueError(f + ": the model in the file takes inputs of shape " +
                     to_string(p.info.input_shape) + ", this model " +
                     to_string(model.input_shape()));
  const std::vector<std::string> mine = describe_layers(model);
  for (std::size_t i = 0; i < std::max(mine.size(), p.info.layers.size()); ++i) {
    const std::string theirs = i < p.info.layers.size() ? p.info.layers[i] : "(none)";
    const std::string ours = i < mine.size() ? mine[i] : "(none)";
    if (theirs != ours)
      throw ValueError(f + ": another architecture: layer " + std::to_string(i) + " is '" + theirs +
                       "' in the file, '" + ours + "' in this model");
  }
  read_weights(bytes, p, model.parameters());
}

#define CURVOPT_INSTANTIATE_MODEL_FILE(S)                                               \
  template void save_model<S>(const std::filesystem::path&, const Sequential<S>&,       \
                              const ModelMetadata&);                                    \
  template Sequential<S> load_model<S>(const std::filesystem::path&);                   \
  template void load_model_parameters<S>(const std::filesystem::path&, Sequential<S>&); \
  template std::vector<std::string> describe_layers<S>(const Sequential<S>&);
CURVOPT_INSTANTIATE_MODEL_FILE(float)
CURVOPT_INSTANTIATE_MODEL_FILE(double)
#undef CURVOPT_INSTANTIATE_MODEL_FILE

}  // namespace curvopt

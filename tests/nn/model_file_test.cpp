#include "curvopt/nn/model_file.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "curvopt/core/errors.h"
#include "curvopt/core/random.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/conv2d.h"
#include "curvopt/nn/dense.h"
#include "curvopt/nn/embedding.h"
#include "curvopt/nn/flatten.h"
#include "curvopt/nn/layer_factory.h"
#include "curvopt/nn/max_pool2d.h"

namespace curvopt {
namespace {

std::filesystem::path temp_file(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("curvopt_model_file_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

std::string read_bytes(const std::filesystem::path& f) {
  std::ifstream in(f, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_bytes(const std::filesystem::path& f, const std::string& bytes) {
  std::ofstream(f, std::ios::binary | std::ios::trunc) << bytes;
}

// A CNN with every image layer and every activation that takes arguments.
template <class Scalar>
Sequential<Scalar> image_model() {
  Sequential<Scalar> m(Shape::image(2, 9, 9));
  m.template add<Conv2d>(Conv2dOptions{3, 3, 2, 1, 1});
  m.template add<LeakyRelu>(0.03);
  m.template add<MaxPool2d>(Index(2), Index(2));
  m.template add<Conv2d>(Index(4), Index(2));
  m.template add<Elu>(0.7);
  m.template add<Flatten>();
  m.template add<Dense>(Index(6));
  m.template add<Rrelu>(0.1, 0.2);
  m.template add<Dense>(Index(5));
  m.template add<Softplus>();
  m.template add<Dense>(Index(4));
  m.template add<Sigmoid>();
  m.template add<Dense>(Index(3));
  m.template add<Tanh>();
  m.template add<Relu>();
  m.initialize(Initializer::kHeNormal, 3);
  m.set_training(false);  // RReLU's evaluation slope: predictions are deterministic
  return m;
}

Matrix<double> image_batch() {
  Rng rng(9);
  Matrix<double> X(2 * 9 * 9, 5);
  for (Index i = 0; i < X.size(); ++i) X.data()[i] = rng.normal();
  return X;
}

TEST(ModelFile, SaveThenLoadPredictsBitForBit) {
  const auto file = temp_file("cnn.bin");
  Sequential<double> model = image_model<double>();
  save_model(file, model);
  Sequential<double> loaded = load_model<double>(file);
  loaded.set_training(false);
  EXPECT_EQ(loaded.parameters(), model.parameters());
  EXPECT_EQ(describe_layers(loaded), describe_layers(model));
  const Matrix<double> X = image_batch();
  EXPECT_EQ(loaded.forward(X), model.forward(X));

  const ModelFileInfo info = read_model_info(file);
  EXPECT_EQ(info.format_version, 1);  // no metadata: the version older builds read
  EXPECT_EQ(info.precision, "float64");
  EXPECT_EQ(info.input_shape, Shape::image(2, 9, 9));
  EXPECT_EQ(info.num_parameters, model.num_parameters());
  EXPECT_EQ(info.layers[0], "Conv2d out_channels=3 kernel_h=3 kernel_w=2 stride=1 padding=1");
}

TEST(ModelFile, EmbeddingModelsRoundTrip) {
  const auto file = temp_file("embedding.bin");
  Sequential<float> model(Shape::flat(2));
  model.add<Embedding>(std::vector<Index>{7, 5}, Index(3));
  model.add<Dense>(Index(2));
  model.initialize(Initializer::kPyTorchDefault, 1);
  save_model(file, model);
  Sequential<float> loaded = load_model<float>(file);
  Matrix<float> X(2, 3);
  X << 0, 6, 3, 4, 1, 0;
  EXPECT_EQ(loaded.forward(X), model.forward(X));
}

TEST(ModelFile, ConvertsBetweenPrecisions) {
  const auto file = temp_file("float.bin");
  Sequential<float> model = image_model<float>();
  save_model(file, model);
  Sequential<double> wide = load_model<double>(file);
  EXPECT_EQ(wide.parameters(), model.parameters().cast<double>());  // float → double is exact
}

TEST(ModelFile, LoadsParametersIntoTheSameArchitectureOnly) {
  const auto file = temp_file("params.bin");
  Sequential<double> model = image_model<double>();
  save_model(file, model);
  Sequential<double> same = image_model<double>();
  same.initialize(Initializer::kGlorotUniform, 99);
  load_model_parameters(file, same);
  EXPECT_EQ(same.parameters(), model.parameters());

  Sequential<double> other(Shape::image(2, 9, 9));
  other.add<Conv2d>(Conv2dOptions{3, 3, 2, 1, 1});
  other.add<LeakyRelu>(0.05);  // another slope
  try {
    load_model_parameters(file, other);
    FAIL() << "loaded into another architecture";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("another architecture: layer 1 is 'LeakyReLU"),
              std::string::npos)
        << e.what();
  }
  Sequential<double> wrong_input(Shape::image(1, 9, 9));
  wrong_input.add<Dense>(Index(2));
  EXPECT_THROW(load_model_parameters(file, wrong_input), ValueError);
}

// Every corruption is refused with one line naming the file and the problem.
void expect_refused(const std::filesystem::path& file, const std::string& fragment) {
  try {
    load_model<double>(file);
    FAIL() << "accepted a corrupt file; expected '" << fragment << "'";
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(file.string()), std::string::npos) << what;
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(ModelFile, RefusesTruncatedFlippedAndPaddedFiles) {
  const auto good = temp_file("good.bin"), bad = temp_file("bad.bin");
  save_model(good, image_model<double>());
  const std::string bytes = read_bytes(good);
  // Every truncation, from empty to one byte short.
  for (std::size_t n = 0; n < bytes.size(); n += (n < 64 ? 1 : 97)) {
    write_bytes(bad, bytes.substr(0, n));
    EXPECT_THROW(load_model<double>(bad), ValueError) << n << " bytes";
  }
  write_bytes(bad, bytes.substr(0, bytes.size() - 1));
  expect_refused(bad, "");
  // A flipped bit anywhere: magic, version, header, weights or checksum.
  for (std::size_t at = 0; at < bytes.size(); at += 13) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    write_bytes(bad, flipped);
    EXPECT_THROW(load_model<double>(bad), ValueError) << "bit flipped at byte " << at;
  }
  std::string flipped = bytes;
  flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 1);
  write_bytes(bad, flipped);
  expect_refused(bad, "checksum mismatch");
  write_bytes(bad, bytes + "x");
  expect_refused(bad, "checksum mismatch");
  write_bytes(bad, "not a model at all");
  expect_refused(bad, "not a curvopt model file");
  expect_refused(temp_file("missing.bin"), "cannot open model file");
}

// A file with a valid checksum but other contents: a newer version, or an edited header.
std::string with_checksum(std::string body) {
  const uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(body.data()),
                          static_cast<uInt>(body.size()));
  const auto v = static_cast<std::uint32_t>(crc);
  char b[4];
  std::memcpy(b, &v, 4);
  return body + std::string(b, 4);
}

TEST(ModelFile, StoresMetadataInVersion2AndNoneInVersion1) {
  const auto plain = temp_file("plain.bin"), with_meta = temp_file("meta.bin");
  const Sequential<float> model = image_model<float>();
  save_model(plain, model);
  EXPECT_EQ(read_model_info(plain).format_version, 1);  // older builds still read it
  EXPECT_TRUE(read_model_info(plain).metadata.empty());

  const ModelMetadata metadata = {{"data.kind", "classes"},
                                  {"data.classes", "setosa,versi color,%2C"},
                                  {"empty", ""},
                                  {"data.standardize.mean", "0.5,-1e-300"}};
  save_model(with_meta, model, metadata);
  const ModelFileInfo info = read_model_info(with_meta);
  EXPECT_EQ(info.format_version, 2);
  EXPECT_EQ(info.metadata, metadata);
  Sequential<float> loaded = load_model<float>(with_meta);
  EXPECT_EQ(loaded.parameters(), model.parameters());

  EXPECT_THROW(save_model(with_meta, model, {{"bad key", "x"}}), ValueError);
  EXPECT_THROW(save_model(with_meta, model, {{"key", "two\nlines"}}), ValueError);
  EXPECT_EQ(read_model_info(with_meta).metadata, metadata);  // a refused save leaves the file
}

TEST(ModelFile, RefusesNewerVersionsAndBadHeaders) {
  const auto good = temp_file("good2.bin"), bad = temp_file("bad2.bin");
  save_model(good, image_model<double>());
  const std::string bytes = read_bytes(good);
  const std::string body = bytes.substr(0, bytes.size() - 4);

  std::string newer = body;
  newer[8] = 3;  // format version 3
  write_bytes(bad, with_checksum(newer));
  expect_refused(bad, "format version 3");

  // A version 1 file may not carry metadata lines (a version 2 entry).
  std::string meta = body;
  meta.insert(meta.find("parameters "), "meta data.kind classes\n");
  const std::uint32_t longer = static_cast<std::uint32_t>(meta.size() - body.size()) + [&] {
    std::uint32_t h;
    std::memcpy(&h, body.data() + 12, 4);
    return h;
  }();
  std::memcpy(meta.data() + 12, &longer, 4);
  write_bytes(bad, with_checksum(meta));
  expect_refused(bad, "unknown entry 'meta'");

  std::string edited = body;
  const std::size_t at = edited.find("units=6");
  edited.replace(at, 7, "units=7");  // the weights no longer fit the layers
  write_bytes(bad, with_checksum(edited));
  expect_refused(bad, "parameters");

  edited = body;
  edited.replace(edited.find("Softplus"), 8, "Softplux");
  write_bytes(bad, with_checksum(edited));
  expect_refused(bad, "unknown layer type 'Softplux'");
}

TEST(LayerFactory, RebuildsEveryLayerFromItsWordsAndNamesBadOnes) {
  for (const std::string& type : layer_types()) {
    const std::string config = type == "Dense"       ? "units=3"
                               : type == "Conv2d"    ? "out_channels=2 kernel_h=2 kernel_w=2"
                               : type == "Embedding" ? "vocab_sizes=4,5 dim=2"
                                                     : "";
    const auto layer = make_layer<float>(type, config);
    EXPECT_EQ(layer->type(), type);
    if (!config.empty() && type != "Conv2d") {
      EXPECT_EQ(layer->config(), config);
    }
  }
  auto message = [](const char* type, const char* config) {
    try {
      make_layer<double>(type, config);
    } catch (const ValueError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message("Dense", "units=3 width=2"), "layer Dense: unknown option 'width'");
  EXPECT_EQ(message("Dense", "units=x"), "layer Dense: units = 'x': expected an integer");
  EXPECT_EQ(message("ELU", "alpha=nan"), "layer ELU: alpha = 'nan': expected a finite number");
  EXPECT_EQ(message("Dense", "units"), "layer Dense: expected key=value, got 'units'");
  EXPECT_NE(message("Dense", "units=0").find("layer Dense: Dense::units"), std::string::npos)
      << message("Dense", "units=0");
  EXPECT_NE(message("Dense2", "").find("unknown layer type 'Dense2' (known: Dense, Conv2d"),
            std::string::npos);
}

}  // namespace
}  // namespace curvopt

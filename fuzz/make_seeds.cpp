// Writes the seed corpora of the fuzz targets that need files only curvopt itself produces:
// a checkpoint of the run fuzz_checkpoint loads (sine task network, Adam), model files of a
// dense and a convolutional network, a run config, and small idx files (plain and gzip).
// The CSV-based corpora are copied from tests/data/files and the real datasets by scripts/fuzz.
// Usage: make_seeds CORPUS_DIR

#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "curvopt/data/npy.h"
#include "curvopt/data/synthetic.h"
#include "curvopt/loss/squared_error.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/conv2d.h"
#include "curvopt/nn/dense.h"
#include "curvopt/nn/flatten.h"
#include "curvopt/nn/max_pool2d.h"
#include "curvopt/nn/model_file.h"
#include "curvopt/optim/registry.h"
#include "curvopt/train/budgets.h"
#include "curvopt/train/trainer.h"
#include "run_config.h"

namespace fs = std::filesystem;
using namespace curvopt;

namespace {

std::string idx_bytes(const std::vector<std::uint32_t>& dims, std::uint8_t fill) {
  std::string out = {0, 0, 0x08, static_cast<char>(dims.size())};
  std::size_t count = 1;
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((d >> shift) & 0xff);
    count *= d;
  }
  for (std::size_t i = 0; i < count; ++i) out += static_cast<char>((fill + i) % 251);
  return out;
}

void write(const fs::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

void write_gzip(const fs::path& file, const std::string& bytes) {
  gzFile gz = gzopen(file.c_str(), "wb");
  gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(gz);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 2;
  }
  const fs::path root = argv[1];
  for (const char* d : {"checkpoint", "model_file", "config", "idx", "npy"})
    fs::create_directories(root / d);

  // The run fuzz_checkpoint loads: the sine task's network and data, Adam, batches of 100.
  Sequential<float> sine(Shape::flat(1));
  sine.add<Dense>(Index(10));
  sine.add<Elu>();
  sine.add<Dense>(Index(1));
  sine.initialize(Initializer::kPyTorchDefault, 3);
  SquaredError<float> loss;
  const Dataset<float> data = noisy_sine<float>(1000, 0.2, 3);
  auto adam = make_optimizer<float>("adam lr=0.01");
  Trainer<float> trainer(sine, loss, *adam, data,
                         {.epochs = 1000, .batching = {.batch_size = 100, .seed = 3}});
  trainer.add_callback(std::make_unique<StepBudget<float>>(25));
  Vector<float> theta = sine.parameters();
  trainer.train(theta);
  trainer.save_checkpoint(root / "checkpoint" / "sine_adam_step25.bin", theta);
  save_model(root / "model_file" / "sine.bin", sine);

  Sequential<double> cnn(Shape::image(1, 8, 8));
  cnn.add<Conv2d>(Index(2), Index(3));
  cnn.add<Rrelu>();
  cnn.add<MaxPool2d>(Index(2));
  cnn.add<Flatten>();
  cnn.add<Dense>(Index(3));
  cnn.initialize(Initializer::kPyTorchDefault, 1);
  save_model(root / "model_file" / "cnn.bin", cnn);

  cli::RunConfig config;
  config.task = "sine";
  config.optimizer = "lm";
  config.options = {{"damping", "0.01"}, {"form", "data-space"}};
  config.epochs = 5;
  config.batch_size = 100;
  config.validation_fraction = 0.1;
  config.max_steps = 40;
  write(root / "config" / "config.json", cli::to_json(config).dump(2));

  const std::string images = idx_bytes({3, 28, 28}, 7), labels = idx_bytes({3}, 1);
  write(root / "idx" / "images-idx3-ubyte", images);
  write(root / "idx" / "labels-idx1-ubyte", labels);
  write(root / "idx" / "strips-idx3-ubyte", idx_bytes({2, 14, 56}, 3));
  write_gzip(root / "idx" / "images-idx3-ubyte.gz", images);
  write_gzip(root / "idx" / "labels-idx1-ubyte.gz", labels);
  Matrix<float> examples(3, 4);
  for (Index i = 0; i < examples.size(); ++i)
    examples.data()[i] = -1.5f + 0.5f * static_cast<float>(i);
  write_npy<float>(root / "npy" / "features-f4.npy", examples);
  write_npy<double>(root / "npy" / "row-f8.npy", examples.row(0).cast<double>());
  std::printf("seeds written under %s\n", root.c_str());
  return 0;
}

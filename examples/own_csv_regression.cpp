// Your own CSV regression with the library: Friedman's (1991) benchmark function
//
//   y = 10 sin(π x1 x2) + 20 (x3 − 0.5)² + 10 x4 + 5 x5 + ε,  ε ~ N(0, 1),  x ~ U[0, 1]^10
//
// (x6..x10 are noise features), written to a CSV file, then read as `curvopt train --data` reads
// it: the target's kind decided from the column, the features standardized, the network built
// from a model description and trained by Levenberg-Marquardt; the model file keeps the schema,
// so reading it back predicts the raw test file without any other state. The test RMSE cannot go
// below the noise, 1.
//
// Usage: own_csv_regression [--require-rmse=R]   (exit status 1 when the test RMSE exceeds R)

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numbers>

#include "curvopt/curvopt.h"

namespace {

void write_friedman1(const std::filesystem::path& file, int rows, std::uint64_t seed) {
  curvopt::Rng rng(seed);
  std::ofstream out(file);
  out << "x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,y\n";
  for (int i = 0; i < rows; ++i) {
    double x[10];
    for (double& v : x) v = rng.uniform();
    const double y = 10 * std::sin(std::numbers::pi * x[0] * x[1]) +
                     20 * (x[2] - 0.5) * (x[2] - 0.5) + 10 * x[3] + 5 * x[4] + rng.normal();
    for (double v : x) out << v << ',';
    out << y << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace curvopt;
  double require = -1;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--require-rmse=", 15) == 0) require = std::atof(argv[i] + 15);
  set_num_threads(1);
  const auto dir = std::filesystem::temp_directory_path() / "curvopt_own_csv_regression";
  std::filesystem::create_directories(dir);
  write_friedman1(dir / "train.csv", 1000, 1);
  write_friedman1(dir / "test.csv", 1000, 2);

  // Read as the command line reads --data train.csv --target y.
  ExampleFiles files;
  files.features = dir / "train.csv";
  files.target_columns = {"y"};
  DataSchema schema;
  Dataset<float> train = read_training_examples<float>(files, std::nullopt, schema);
  schema.standardizer = FeatureStandardizer::fit(train.inputs);
  schema.standardizer.apply(train.inputs);
  schema.loss = "squared-error";
  std::printf("read %lld examples of %lld features; target kind: %s\n",
              static_cast<long long>(train.size()), static_cast<long long>(train.inputs.rows()),
              to_string(schema.kind).c_str());

  Sequential<float> model =
      build_model<float>("dense 8 tanh dense 1", Shape::flat(train.inputs.rows()));
  std::printf("%s", describe_model(model).c_str());
  const auto loss = make_loss<float>(schema.loss);
  auto lm = make_optimizer<float>("lm");
  TrainerOptions options;
  options.epochs = 100;  // full batch: one LM step an epoch
  options.batching.batch_size = train.size();
  Trainer<float> trainer(model, *loss, *lm, train, options);
  Vector<float> theta = model.parameters();
  const TrainingSummary summary = trainer.train(theta);
  save_model(dir / "model.bin", model, schema.to_metadata());

  // A later process: the model file alone reads the raw test file the same way.
  const ModelFileInfo info = read_model_info(dir / "model.bin");
  const DataSchema stored = *DataSchema::from_metadata(info.metadata, "model.bin");
  Sequential<float> loaded = load_model<float>(dir / "model.bin");
  ExampleFiles test_files;
  test_files.features = dir / "test.csv";
  const Dataset<float> test = read_examples<float>(test_files, stored, true);
  const Metrics m = evaluate(loaded, *make_loss<float>(stored.loss), loaded.parameters(), test);
  std::printf("%lld LM steps in %.2f s; test RMSE %.4f (the noise's deviation is 1)\n",
              static_cast<long long>(summary.steps), summary.seconds, *m.rmse);
  std::filesystem::remove_all(dir);
  if (require > 0 && !(*m.rmse <= require)) {
    std::printf("FAILED: test RMSE %.4f > %.4f\n", *m.rmse, require);
    return 1;
  }
  return 0;
}

// Your own image classifier with the library: MNIST's idx files read as `curvopt train --data
// train-images-idx3-ubyte --target-file train-labels-idx1-ubyte` reads them (the kind and the
// classes from the label file, the shape 1×28×28 from the image file), a convolutional network
// from a model description, Adam on minibatches, and the test accuracy of the saved model.
//
// Usage: own_image_classifier [--examples=N] [--require-accuracy=A]
//   N training images (default all 60000); exit status 1 when the test accuracy is below A.
//   The data come from $CURVOPT_DATA or ~/.cache/curvopt/data (scripts/fetch_data mnist).

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "curvopt/curvopt.h"

int main(int argc, char** argv) {
  using namespace curvopt;
  double require = -1;
  Index examples = 60000;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--require-accuracy=", 19) == 0) require = std::atof(argv[i] + 19);
    if (std::strncmp(argv[i], "--examples=", 11) == 0) examples = std::atoll(argv[i] + 11);
  }
  const std::filesystem::path mnist = std::filesystem::path(resolve_data_directory()) / "mnist";
  try {
    ExampleFiles files;
    files.features = mnist / "train-images-idx3-ubyte";
    files.targets = mnist / "train-labels-idx1-ubyte";
    DataSchema schema;
    Dataset<float> all = read_training_examples<float>(files, std::nullopt, schema);
    std::vector<Index> first(static_cast<std::size_t>(std::min(examples, all.size())));
    std::iota(first.begin(), first.end(), Index{0});
    const Dataset<float> train = all.subset(first, "mnist/train");
    schema.loss = "softmax-cross-entropy";

    Sequential<float> model = build_model<float>("conv 8 5 relu pool 2 flatten dense 10",
                                                 *train.example_shape, Initializer::kHeUniform);
    std::printf("%s", describe_model(model).c_str());
    const auto loss = make_loss<float>(schema.loss);
    auto adam = make_optimizer<float>("adam lr=1e-3");
    TrainerOptions options;
    options.epochs = 2;
    options.batching.batch_size = 64;
    Trainer<float> trainer(model, *loss, *adam, train, options);
    Vector<float> theta = model.parameters();
    const TrainingSummary summary = trainer.train(theta);

    ExampleFiles test_files;
    test_files.features = mnist / "t10k-images-idx3-ubyte";
    test_files.targets = mnist / "t10k-labels-idx1-ubyte";
    const Dataset<float> test = read_examples<float>(test_files, schema, true);
    const Metrics m = evaluate(model, *loss, model.parameters(), test);
    std::printf("%lld Adam steps on %lld images in %.1f s; test accuracy %.2f %%\n",
                static_cast<long long>(summary.steps), static_cast<long long>(train.size()),
                summary.seconds, 100 * *m.accuracy);
    if (require > 0 && !(*m.accuracy >= require)) {
      std::printf("FAILED: test accuracy %.4f < %.4f\n", *m.accuracy, require);
      return 1;
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "own_image_classifier: %s\n", e.what());
    return 2;
  }
  return 0;
}

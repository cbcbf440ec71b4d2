#include "tasks/task.h"

#include <tuple>
#include <type_traits>

#include "curvopt/core/errors.h"
#include "curvopt/data/batch_sampler.h"
#include "curvopt/data/idx.h"
#include "curvopt/data/iris.h"
#include "curvopt/data/movielens.h"
#include "curvopt/data/synthetic.h"
#include "curvopt/loss/sigmoid_cross_entropy.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/loss/softmax_squared_error.h"
#include "curvopt/loss/squared_error.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/conv2d.h"
#include "curvopt/nn/dense.h"
#include "curvopt/nn/embedding.h"
#include "curvopt/nn/flatten.h"
#include "curvopt/nn/max_pool2d.h"

namespace curvopt {
namespace {

const std::vector<TaskDescription>& catalog() {
  static const std::vector<TaskDescription> tasks = {
      {"sine",
       "noisy sine regression, 1 -> 10 ELU -> 1 (31 parameters), 1000 points "
       "(Pooladzandi & Zhou 2022)",
       "float32", "", 1000, 1000, "lbfgs"},
      {"sine-wide", "noisy sine regression, 1 -> 64 ELU -> 64 ELU -> 1 (4,353 parameters)",
       "float32", "", 1000, 1000, "lbfgs"},
      {"iris", "Iris, 4 -> 10 ReLU -> 10 ReLU -> 3 softmax, squared error on one-hot (Brust 2021)",
       "float32", "iris", 50, 32, "adam variant=keras eps=1e-7"},
      {"iris-ce", "Iris, 4 -> 10 ReLU -> 10 ReLU -> 3, softmax cross-entropy", "float32", "iris",
       50, 32, "adam lr=0.01"},
      {"mnist-cnn",
       "MNIST, conv 4@5x5 RReLU pool, conv 8@5x5 RReLU pool, dense 10 "
       "(2,202 parameters; Pooladzandi & Zhou 2022)",
       "float32", "mnist", 100, 256, "adam lr=0.05"},
      {"mnist-cnn-large",
       "MNIST, conv 32@5x5 ReLU pool, conv 64@5x5 ReLU pool, dense 10 (62,346 parameters)",
       "float32", "mnist", 1, 64, "adam lr=1e-3"},
      {"fashion-ae",
       "Fashion-MNIST autoencoder 784 -> 64 ReLU -> 784 sigmoid, squared error (Brust 2021)",
       "float32", "fashion-mnist", 25, 32, "adam"},
      {"mnist-autoencoder",
       "MNIST deep autoencoder 784-1000-500-250-30 logistic (linear code), mirrored decoder, "
       "sigmoid cross-entropy (2,837,314 parameters; Hinton & Salakhutdinov 2006, Martens 2010)",
       "float32", "mnist", 10, 1000, "hessian-free"},
      {"movielens",
       "MovieLens ratings: 32-wide user and item embeddings -> 256 ReLU -> 64 ReLU -> 1 "
       "(Brust 2021; ml-latest-small stands in for ml-100k)",
       "float32", "movielens", 50, 8192, "adam"},
      {"sine-class-small",
       "sine classification toy, sigmoid net 2-2-2-2-2-2 (36 parameters; Berahas et al. 2022)",
       "float64", "", 1000, 100, "lbfgs"},
      {"sine-class-medium",
       "sine classification toy, sigmoid net 2-4-8-8-4-2 (176 parameters; Berahas et al. 2022)",
       "float64", "", 1000, 100, "lbfgs"},
      {"sine-class-large",
       "sine classification toy, sigmoid net 2-10-20-20-10-2 (908 parameters; Berahas et al. 2022)",
       "float64", "", 1000, 100, "lbfgs"},
  };
  return tasks;
}

std::filesystem::path require_file(const std::filesystem::path& file, const std::string& dataset) {
  if (!std::filesystem::exists(file))
    throw ValueError("missing data file " + file.string() + " (run: scripts/fetch_data --data " +
                     file.parent_path().parent_path().string() + " " + dataset + ")");
  return file;
}

/// The train and test splits of an IDX image set fetched as `dataset` (mnist: plain files;
/// fashion-mnist: gzipped), into task.train and task.test; as an autoencoder's data (targets =
/// inputs, no classes) when `reconstruct`.
template <class Scalar>
void load_idx_splits(Task<Scalar>& task, const std::filesystem::path& data_dir,
                     const std::string& dataset, bool reconstruct) {
  const auto dir = data_dir / dataset;
  const std::string ext = dataset == "mnist" ? "" : ".gz";
  const auto file = [&](const std::string& stem) {
    return require_file(dir / (stem + ext), dataset);
  };
  // One file at a time, so that a missing one is named in the order the files are listed.
  const auto train_images = file("train-images-idx3-ubyte");
  const auto train_labels = file("train-labels-idx1-ubyte");
  const auto test_images = file("t10k-images-idx3-ubyte");
  const auto test_labels = file("t10k-labels-idx1-ubyte");
  task.train = load_idx_classification<Scalar>(train_images, train_labels, dataset + "/train");
  task.test = load_idx_classification<Scalar>(test_images, test_labels, dataset + "/test");
  if (!reconstruct) return;
  for (Dataset<Scalar>* d : {&task.train, &task.test}) {
    d->targets = d->inputs;  // reconstruct the input
    d->num_classes = 0;
  }
}

template <class Scalar>
void add_dense_stack(Sequential<Scalar>& model, const std::vector<Index>& widths) {
  for (std::size_t i = 0; i < widths.size(); ++i) {
    model.template add<Dense>(widths[i]);
    if (i + 1 < widths.size()) model.template add<Sigmoid>();
  }
}

}  // namespace

std::vector<TaskDescription> task_catalog() { return catalog(); }

TaskDescription describe_task(std::string_view name) {
  for (const TaskDescription& t : catalog())
    if (t.name == name) return t;
  std::string known;
  for (const TaskDescription& t : catalog()) known += (known.empty() ? "" : ", ") + t.name;
  throw ConfigError("unknown task '" + std::string(name) + "' (known: " + known + ")");
}

template <class Scalar>
Task<Scalar> make_task(std::string_view name, const std::filesystem::path& data_dir,
                       std::uint64_t seed) {
  Task<Scalar> task;
  task.description = describe_task(name);
  const std::string want = std::is_same_v<Scalar, float> ? "float32" : "float64";
  if (task.description.precision != want)
    throw ConfigError("task '" + task.description.name + "' trains in " +
                      task.description.precision + ", not " + want);
  const std::string n(name);
  auto& model = task.model;
  Initializer init = Initializer::kPyTorchDefault;
  if (n == "sine" || n == "sine-wide") {
    task.train = noisy_sine<Scalar>(1000, 0.2, seed);
    model = std::make_unique<Sequential<Scalar>>(Shape::flat(1));
    const Index width = n == "sine" ? 10 : 64;
    model->template add<Dense>(width);
    model->template add<Elu>();
    if (n == "sine-wide") {
      model->template add<Dense>(width);
      model->template add<Elu>();
    }
    model->template add<Dense>(Index(1));
    task.loss = std::make_unique<SquaredError<Scalar>>();
  } else if (n == "iris" || n == "iris-ce") {
    const std::filesystem::path file = require_file(data_dir / "iris" / "iris.csv", "iris");
    const Dataset<Scalar> all = read_iris<Scalar>(file);
    if (all.num_classes != 3)
      throw ValueError(file.string() + ": the header lists " + std::to_string(all.num_classes) +
                       " classes, but the iris tasks classify 3 species (3 outputs)");
    // The NLLS paper trained on TensorFlow's 120-row iris_training.csv; a seeded 120/30 split of
    // the 150 rows is the same size.
    std::tie(task.train, task.test) = split_dataset(all, 0.2, seed);
    task.train.name = "iris/train";
    task.test.name = "iris/test";
    model = std::make_unique<Sequential<Scalar>>(Shape::flat(4));
    model->template add<Dense>(Index(10));
    model->template add<Relu>();
    model->template add<Dense>(Index(10));
    model->template add<Relu>();
    model->template add<Dense>(Index(3));
    init = Initializer::kGlorotUniform;  // Keras' default, as in the paper's code
    if (n == "iris") {
      task.loss = std::make_unique<SoftmaxSquaredError<Scalar>>();
    } else {
      task.loss = std::make_unique<SoftmaxCrossEntropy<Scalar>>();
    }
  } else if (n == "mnist-cnn" || n == "mnist-cnn-large") {
    load_idx_splits(task, data_dir, "mnist", false);
    model = std::make_unique<Sequential<Scalar>>(Shape::image(1, 28, 28));
    const bool large = n == "mnist-cnn-large";
    model->template add<Conv2d>(Index(large ? 32 : 4), Index(5));
    if (large) {
      model->template add<Relu>();
    } else {
      model->template add<Rrelu>();
    }
    model->template add<MaxPool2d>(Index(2));
    model->template add<Conv2d>(Index(large ? 64 : 8), Index(5));
    if (large) {
      model->template add<Relu>();
    } else {
      model->template add<Rrelu>();
    }
    model->template add<MaxPool2d>(Index(2));
    model->template add<Flatten>();
    model->template add<Dense>(Index(10));
    task.loss = std::make_unique<SoftmaxCrossEntropy<Scalar>>();
  } else if (n == "fashion-ae") {
    load_idx_splits(task, data_dir, "fashion-mnist", true);
    model = std::make_unique<Sequential<Scalar>>(Shape::flat(784));
    model->template add<Dense>(Index(64));
    model->template add<Relu>();
    model->template add<Dense>(Index(784));
    model->template add<Sigmoid>();
    init = Initializer::kGlorotUniform;
    task.loss = std::make_unique<SquaredError<Scalar>>();
  } else if (n == "mnist-autoencoder") {
    // The benchmark of Hinton & Salakhutdinov (2006) that Martens (2010) trained from random
    // weights: logistic units except the linear 30-unit code, logistic outputs whose
    // cross-entropy with the pixel intensities is the loss.
    load_idx_splits(task, data_dir, "mnist", true);
    model = std::make_unique<Sequential<Scalar>>(Shape::flat(784));
    for (Index width : {1000, 500, 250}) {
      model->template add<Dense>(width);
      model->template add<Sigmoid>();
    }
    model->template add<Dense>(Index(30));  // the linear code
    for (Index width : {250, 500, 1000}) {
      model->template add<Dense>(width);
      model->template add<Sigmoid>();
    }
    model->template add<Dense>(Index(784));
    // Glorot & Bengio's (2010) uniform scaling, made for logistic and tanh units; Martens used
    // his sparse initialization, which curvopt does not offer.
    init = Initializer::kGlorotUniform;
    task.loss = std::make_unique<SigmoidCrossEntropy<Scalar>>();
  } else if (n == "movielens") {
    const Ratings ratings = read_movielens_ratings(
        require_file(data_dir / "movielens" / "ratings_small.csv", "movielens"));
    std::tie(task.train, task.test) = split_ratings<Scalar>(ratings, 0.8, 42);
    model = std::make_unique<Sequential<Scalar>>(Shape::flat(2));
    model->template add<Embedding>(std::vector<Index>{ratings.num_users, ratings.num_items},
                                   Index(32));
    model->template add<Dense>(Index(256));
    model->template add<Relu>();
    model->template add<Dense>(Index(64));
    model->template add<Relu>();
    model->template add<Dense>(Index(1));
    init = Initializer::kGlorotUniform;
    task.loss = std::make_unique<SquaredError<Scalar>>();
  } else if (n.rfind("sine-class-", 0) == 0) {
    task.train = sine_classification<Scalar>(50);
    model = std::make_unique<Sequential<Scalar>>(Shape::flat(2));
    if (n == "sine-class-small") add_dense_stack(*model, {2, 2, 2, 2, 2, 2});
    if (n == "sine-class-medium") add_dense_stack(*model, {2, 4, 8, 8, 4, 2});
    if (n == "sine-class-large") add_dense_stack(*model, {2, 10, 20, 20, 10, 2});
    task.loss = std::make_unique<SoftmaxCrossEntropy<Scalar>>();
  }
  model->initialize(init, seed);
  return task;
}

template Task<float> make_task<float>(std::string_view, const std::filesystem::path&,
                                      std::uint64_t);
template Task<double> make_task<double>(std::string_view, const std::filesystem::path&,
                                        std::uint64_t);

}  // namespace curvopt

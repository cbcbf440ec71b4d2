// Trains a small network with the installed library's Levenberg-Marquardt, saves and reloads it,
// and checks the results: Eigen objects cross the library boundary in both directions (datasets
// built here, models built there), which is where mismatched ABI flags crash.
#include <curvopt/curvopt.h>

#include <cmath>
#include <cstdio>

int main(int argc, char** argv) {
  using namespace curvopt;
  const char* model_file = argc > 1 ? argv[1] : "consumer_model.bin";
  Dataset<double> data{"sine", Matrix<double>(1, 200), Matrix<double>(1, 200), 0};
  for (Index s = 0; s < 200; ++s) {
    data.inputs(0, s) = -3 + 6 * static_cast<double>(s) / 199;
    data.targets(0, s) = std::sin(data.inputs(0, s));
  }
  Sequential<double> model(Shape::flat(1));
  model.add<Dense>(Index(10));
  model.add<Tanh>();
  model.add<Dense>(Index(1));
  model.initialize(Initializer::kPyTorchDefault, 1);
  SquaredError<double> loss;
  auto lm = make_optimizer<double>("lm");
  TrainerOptions options;
  options.epochs = 100;
  options.batching.batch_size = 200;
  options.evaluate_train = true;
  Trainer<double> trainer(model, loss, *lm, data, options);
  Vector<double> theta = model.parameters();
  const TrainingSummary summary = trainer.train(theta);
  const double mse = summary.last_epoch->train->mse.value();
  std::printf("consumer: %lld LM steps, training MSE %.3g\n", static_cast<long long>(summary.steps),
              mse);
  if (!(mse < 1e-3)) {
    std::printf("consumer: FAIL: LM did not fit the sine (MSE %.3g)\n", mse);
    return 1;
  }
  save_model(model_file, model);
  Sequential<double> loaded = load_model<double>(model_file);
  if (loaded.forward(data.inputs) != model.forward(data.inputs)) {
    std::printf("consumer: FAIL: the reloaded model predicts differently\n");
    return 1;
  }
  std::printf("consumer: OK\n");
  return 0;
}

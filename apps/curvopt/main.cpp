// The `curvopt` command line: train, predict, plot, data, bench, tasks, optimizers.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "bench_suites.h"
#include "commands.h"
#include "curvopt/core/errors.h"
#include "curvopt/core/number_text.h"
#include "curvopt/optim/registry.h"
#include "fit_command.h"
#include "own_data_flags.h"
#include "process_group.h"

namespace {

using curvopt::cli::RunConfig;

// CLI11 converts with saturation and wrap-around (--seed -1 became 2^64 - 1) and its own range
// checks print the type's whole range. These validators see the text first and say plainly what
// is wrong, with the same words as optimizer options and config files.

// The text must be a T: an integer of T's range, or a finite number.
template <class T>
CLI::Validator number_of_type() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        T value{};
        const auto error = curvopt::parse_number_text(text, value);
        return error ? *error + ", got '" + text + "'" : std::string();
      },
      std::is_floating_point_v<T> ? "NUMBER" : "INTEGER");
}

// A T with a lower bound (strict or not).
template <class T>
CLI::Validator at_least(T bound, bool strict) {
  const std::string rule = std::string(strict ? "> " : ">= ") + std::to_string(bound);
  return CLI::Validator(
      [bound, strict, rule](std::string& text) -> std::string {
        T value{};
        if (const auto error = curvopt::parse_number_text(text, value))
          return *error + ", got '" + text + "'";
        const bool ok = strict ? value > bound : value >= bound;
        return ok ? std::string() : "must be " + rule + ", got " + text;
      },
      rule);
}

int run(int argc, char** argv) {
  CLI::App app{"curvopt: train models with curvature-aware optimizers"};
  app.require_subcommand(1);

  RunConfig config;
  std::string config_file;
  std::vector<std::string> extra;
  bool resume = false;
  CLI::App* train = app.add_subcommand("train", "train a task's model with an optimizer");
  train->add_option("--task", config.task, "task name (see `curvopt tasks`)");
  train->add_option("--optimizer", config.optimizer,
                    "optimizer name (see `curvopt optimizers`); options follow as key=value");
  train->add_option("options", extra, "optimizer options, key=value");
  train->add_option("--epochs", config.epochs, "epochs (default: the task's)")
      ->check(number_of_type<std::int64_t>());
  train->add_option("--batch-size", config.batch_size, "examples per batch (default: the task's)")
      ->check(number_of_type<std::int64_t>());
  train
      ->add_option("--curvature-batch", config.curvature_batch,
                   "examples of each batch the curvature products use (default 0: all)")
      ->check(number_of_type<std::int64_t>());
  train->add_option("--seed", config.seed, "seed of initialization, order and noise (default 1)")
      ->check(number_of_type<std::uint64_t>());
  train->add_option("--threads", config.threads, "threads for OpenMP, Eigen and OpenBLAS")
      ->check(number_of_type<int>());
  train->add_option("--out", config.out_dir, "run directory (default runs/<task>-<optimizer>)");
  train->add_option("--data", config.data_dir,
                    "with --task: the data directory (else $CURVOPT_DATA, else cache); with "
                    "--model: your training file (CSV, .npy or idx)");
  curvopt::cli::OwnDataConfig own_flags;
  curvopt::cli::add_own_data_flags(train, own_flags);
  train->add_option("--config", config_file, "rerun from a run's config.json (flags override)");
  train
      ->add_option("--validation-fraction", config.validation_fraction,
                   "hold out this fraction of the training set for validation")
      ->check(number_of_type<double>());
  train
      ->add_option("--checkpoint-every", config.checkpoint_every,
                   "write checkpoint.bin every N steps (always at the end)")
      ->check(number_of_type<std::int64_t>());
  train->add_option("--time-budget", config.time_budget_seconds, "stop after this many seconds")
      ->check(number_of_type<double>());
  train->add_option("--max-steps", config.max_steps, "stop after this many steps")
      ->check(number_of_type<std::int64_t>());
  train
      ->add_option("--early-stopping", config.early_stopping_patience,
                   "stop when the validation (else test) loss has not improved for N epochs")
      ->check(number_of_type<int>());
  train->add_flag("--evaluate-train", config.evaluate_train,
                  "evaluate the whole training set every epoch");
  train
      ->add_option("--evaluations-per-epoch", config.evaluations_per_epoch,
                   "evaluate N times per epoch, into evaluations.csv (default 1: at its end)")
      ->check(number_of_type<int>());
  train->add_flag("--resume", resume,
                  "continue the run in --out from its checkpoint.bin (written every "
                  "--checkpoint-every steps, at the end, and on SIGINT/SIGTERM)");

  std::vector<std::string> plot_runs;
  std::string plot_out;
  CLI::App* plot = app.add_subcommand("plot", "plot run directories (PNG and SVG)");
  plot->add_option("runs", plot_runs, "run directories")->required();
  plot->add_option("--out", plot_out, "output directory (default: the first run's plots/)");

  std::string data_action, data_dir;
  std::vector<std::string> datasets;
  CLI::App* data = app.add_subcommand("data", "fetch or verify the datasets");
  data->add_option("action", data_action, "fetch or verify")
      ->required()
      ->check(CLI::IsMember({"fetch", "verify"}));
  data->add_option("datasets", datasets, "mnist, fashion-mnist, iris, movielens (default: all)");
  data->add_option("--data", data_dir, "data directory (else $CURVOPT_DATA, else cache)");

  std::string bench_suite_name, bench_out, bench_data, bench_only;
  int bench_seeds = 0, bench_threads = 0;
  std::int64_t bench_epochs = 0;
  bool bench_rerun = false;
  CLI::App* bench = app.add_subcommand(
      "bench", "run a benchmark suite (the published experiments) and write a report with plots");
  bench
      ->add_option("suite", bench_suite_name,
                   "seeds (the full suite), quick (about 5 minutes), hessian-free or kfac (the "
                   "Hessian-free and K-FAC experiments, about 30 and 40 minutes)")
      ->required()
      ->check(CLI::IsMember(curvopt::cli::bench_suite_names()));
  bench->add_option("--out", bench_out, "output directory (default runs/bench-<suite>)");
  bench->add_option("--seeds", bench_seeds, "seeds per experiment (default: the suite's)")
      ->check(at_least<int>(0, true));
  bench->add_option("--epochs", bench_epochs, "epochs per run (default: the suite's)")
      ->check(at_least<std::int64_t>(0, true));
  bench->add_option("--threads", bench_threads, "threads for OpenMP, Eigen and OpenBLAS")
      ->check(at_least<int>(0, false));
  bench->add_option("--data", bench_data, "data directory (else $CURVOPT_DATA, else cache)");
  bench->add_option("--only", bench_only, "run only the experiments whose id contains this");
  bench->add_flag("--rerun", bench_rerun, "run again even where a finished run exists");

  curvopt::cli::PredictConfig predict_config;
  CLI::App* predict =
      app.add_subcommand("predict", "evaluate a saved model (a run's model.bin) on a task's data");
  predict->add_option("--model-file", predict_config.model_file, "the model file")->required();
  predict->add_option("--task", predict_config.task,
                      "the task whose data to use (a model trained with --model: omit it and "
                      "name the file with --data)");
  predict->add_option("--split", predict_config.split, "test (default) or train")
      ->check(CLI::IsMember({"test", "train"}));
  predict->add_option("--data", predict_config.data_dir,
                      "with --task: the data directory (else $CURVOPT_DATA, else cache); "
                      "otherwise the file to predict (CSV, .npy or idx)");
  predict->add_option("--output,--out", predict_config.output,
                      "write the outputs per example (CSV; own-data models: standard output "
                      "when not given)");

  curvopt::cli::ModelDataConfig evaluate_config;
  CLI::App* evaluate = app.add_subcommand(
      "evaluate", "the loss and accuracy or RMSE of a model trained with --model on a data file");
  evaluate->add_option("--model-file", evaluate_config.model_file, "the model file (model.bin)")
      ->required();
  evaluate->add_option("--data", evaluate_config.data, "CSV (with the target columns), .npy or idx")
      ->required();
  evaluate->add_option("--target-file", evaluate_config.target_file, ".npy or idx: the targets");
  evaluate->add_flag("--json", evaluate_config.json, "print one JSON object, full precision");
  evaluate->add_option("--threads", evaluate_config.threads, "threads for OpenMP and OpenBLAS")
      ->check(at_least<int>(0, false));

  curvopt::cli::CompareConfig compare_config;
  CLI::App* compare = app.add_subcommand(
      "compare", "train your own model and data with several optimizers and seeds; report, plots");
  compare->add_option("--data", compare_config.own.data, "your training file (CSV, .npy or idx)")
      ->required();
  curvopt::cli::add_own_data_flags(compare, compare_config.own);
  compare->get_option("--model")->required();
  compare
      ->add_option("--optimizers", compare_config.optimizers,
                   "optimizer specs separated by ';' (default \"lm;adam;lbfgs\")")
      ->default_str("lm;adam;lbfgs");
  compare->add_option("--seeds", compare_config.seeds, "seeds per optimizer (default 3)")
      ->check(at_least<int>(1, false));
  compare->add_option("--epochs", compare_config.epochs, "epochs per run (default: by size)")
      ->check(at_least<std::int64_t>(0, true));
  compare->add_option("--batch-size", compare_config.batch_size, "examples per batch")
      ->check(at_least<std::int64_t>(1, false));
  compare
      ->add_option("--validation-fraction", compare_config.validation_fraction,
                   "hold out this fraction of --data for validation")
      ->check(number_of_type<double>());
  compare
      ->add_option("--time-budget", compare_config.time_budget_seconds,
                   "seconds per run (equal wall clock)")
      ->check(number_of_type<double>());
  compare->add_option("--out", compare_config.out, "output directory (default runs/compare)");
  compare->add_option("--threads", compare_config.threads, "threads for OpenMP and OpenBLAS")
      ->check(at_least<int>(0, false));
  compare->add_flag("--rerun", compare_config.rerun, "run again even where a finished run exists");

  std::string describe_spec, describe_input;
  CLI::App* model_command = app.add_subcommand("model", "model descriptions");
  model_command->require_subcommand(1);
  CLI::App* describe = model_command->add_subcommand(
      "describe", "print a description's layers, output shapes and parameter count");
  describe->add_option("spec", describe_spec, "the description, or @FILE")->required();
  describe
      ->add_option("--input", describe_input,
                   "the shape of one example: N features, HxW or CxHxW (e.g. 13, 1x28x28)")
      ->required();
  predict
      ->add_option("--seed", predict_config.seed,
                   "the run's seed: synthetic tasks draw their data from it (default 1)")
      ->check(number_of_type<std::uint64_t>());
  predict->add_option("--threads", predict_config.threads, "threads for OpenMP and OpenBLAS")
      ->check(at_least<int>(0, false));

  curvopt::cli::FitConfig fit_config;
  CLI::App* fit = app.add_subcommand(
      "fit", "fit a model expression or an ODE system to a CSV file by least squares");
  fit->add_option("--data", fit_config.data, "CSV file with a header row")->required();
  fit->add_option("--model", fit_config.model,
                  "model expression, e.g. \"a*exp(-b*x)+c\": symbols naming columns are data, "
                  "the others parameters");
  fit->add_option("--ode", fit_config.ode,
                  "ODE system, e.g. \"dx = a*x - b*x*y; dy = -c*y + d*x*y\": states whose names "
                  "are columns are observed");
  fit->add_option("--target", fit_config.target, "the column the model predicts (default y)");
  fit->add_option("--time", fit_config.time, "ODE mode: the time column (default t)");
  fit->add_option("--sigma", fit_config.sigma,
                  "column of standard deviations: residuals (y - f)/sigma, absolute covariance");
  fit->add_option("--start", fit_config.start, "starting values, e.g. a=1,b=0.1 (default 1)");
  fit->add_option("--initial", fit_config.initial,
                  "ODE mode: initial states, e.g. x=10,y=5 (default: the first observation)");
  fit->add_flag("--fix-initial", fit_config.fix_initial,
                "ODE mode: hold the initial states instead of estimating them");
  fit->add_option("--bounds", fit_config.bounds, "box bounds, e.g. b=0:inf,c=-1:1");
  fit->add_option("--loss", fit_config.loss,
                  "robust loss name:scale (none, huber, soft-l1, cauchy, arctan, tukey)");
  fit->add_option("--method", fit_config.method, "lm (default), dogleg or gauss-newton");
  fit->add_option("--max-iterations", fit_config.max_iterations, "iteration limit (200)")
      ->check(at_least<int>(1, false));
  fit->add_option("--confidence", fit_config.confidence, "confidence level (0.95)")
      ->check(number_of_type<double>());
  fit->add_option("--out", fit_config.out,
                  "run directory: report.txt, summary.json, fit.csv, fit.png");
  fit->add_flag("--verbose", fit_config.verbose, "one line per iteration");

  CLI::App* tasks = app.add_subcommand("tasks", "list the tasks and their defaults");
  std::string optimizer_name;
  CLI::App* optimizers = app.add_subcommand("optimizers", "list optimizers with their options");
  optimizers->add_option("name", optimizer_name, "show one optimizer");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return curvopt::cli::ProcessGroup::fail(
        (std::string(e.what()) + " (see curvopt --help)").c_str(), 2);
  }
  // Only training is data-parallel: any other command would run once per rank, every copy
  // writing the same files.
  if (curvopt::Communicator* world = curvopt::cli::ProcessGroup::world(); world && !*train) {
    const auto commands = app.get_subcommands();
    const std::string name = commands.empty() ? "" : " " + commands.front()->get_name();
    throw curvopt::ConfigError("under mpirun with " + std::to_string(world->size()) +
                               " processes only `curvopt train` runs (data-parallel); run "
                               "`curvopt" +
                               name + "` as one process");
  }

  if (*train) {
    if (!config_file.empty()) {
      // Flags given on the command line override the file.
      RunConfig from_file = curvopt::cli::read_run_config(config_file);
      auto given = [&](const char* flag) { return train->count(flag) > 0; };
      if (given("--task")) from_file.task = config.task;
      if (given("--optimizer")) {
        from_file.optimizer = config.optimizer;
        from_file.options.clear();
      }
      if (given("--epochs")) from_file.epochs = config.epochs;
      if (given("--batch-size")) from_file.batch_size = config.batch_size;
      if (given("--curvature-batch")) from_file.curvature_batch = config.curvature_batch;
      if (given("--seed")) from_file.seed = config.seed;
      if (given("--threads")) from_file.threads = config.threads;
      if (given("--out")) from_file.out_dir = config.out_dir;
      if (given("--data")) from_file.data_dir = config.data_dir;
      if (given("--validation-fraction"))
        from_file.validation_fraction = config.validation_fraction;
      if (given("--checkpoint-every")) from_file.checkpoint_every = config.checkpoint_every;
      if (given("--time-budget")) from_file.time_budget_seconds = config.time_budget_seconds;
      if (given("--max-steps")) from_file.max_steps = config.max_steps;
      if (given("--early-stopping"))
        from_file.early_stopping_patience = config.early_stopping_patience;
      if (given("--evaluate-train")) from_file.evaluate_train = true;
      if (given("--evaluations-per-epoch"))
        from_file.evaluations_per_epoch = config.evaluations_per_epoch;
      curvopt::cli::merge_own_data_flags(train, own_flags, from_file.own);
      config = from_file;
    } else {
      config.own = own_flags;
    }
    config.own.model = curvopt::cli::model_description_text(config.own.model);
    // With --model, --data names the training file, not a data directory.
    if (config.own.active() && train->count("--data") > 0) config.own.data = config.data_dir;
    if (config.own.active()) config.data_dir.clear();
    if (train->count("--optimizer") > 0 && config.optimizer.empty())
      throw curvopt::ConfigError(
          "--optimizer is empty: name an optimizer (see curvopt optimizers)");
    // The same range checks as a config file's, naming the flags.
    // (A config file's own values were checked, naming the file, when it was read.)
    curvopt::cli::validate_run_config(config,
                                      [&](const std::string& key) -> std::optional<std::string> {
                                        const std::string flag = curvopt::cli::flag_for_key(key);
                                        if (train->count(flag) == 0) return std::nullopt;
                                        return flag;
                                      });
    // `--optimizer "lm lr=0.5"` and `--optimizer lm lr=0.5` both go through the registry's parser;
    // options without --optimizer apply to the task's default optimizer.
    std::string words;
    for (const std::string& e : extra) words += e + ' ';
    if (!config.optimizer.empty()) {
      auto [name, options] = curvopt::parse_optimizer_spec(config.optimizer + ' ' + words);
      config.optimizer = name;
      config.options.insert(config.options.end(), options.begin(), options.end());
    } else {
      curvopt::append_option_words("the task's optimizer", words, config.options);
    }
    return curvopt::cli::run_train(config, resume);
  }
  if (*plot) {
    std::vector<std::filesystem::path> runs(plot_runs.begin(), plot_runs.end());
    const std::filesystem::path out =
        plot_out.empty() ? runs.front() / "plots" : std::filesystem::path(plot_out);
    return curvopt::cli::run_plot(runs, out);
  }
  if (*data) return curvopt::cli::run_data(data_action, data_dir, datasets);
  if (*bench)
    return curvopt::cli::run_bench(
        bench_suite_name, bench_out.empty() ? "runs/bench-" + bench_suite_name : bench_out,
        bench_seeds, bench_epochs, bench_data, bench_threads, bench_rerun, bench_only);
  if (*predict) {
    if (predict_config.task.empty()) {
      if (predict_config.data_dir.empty())
        throw curvopt::ConfigError("predict: name the data with --data FILE (or a --task)");
      curvopt::cli::ModelDataConfig own;
      own.model_file = predict_config.model_file;
      own.data = predict_config.data_dir;
      own.output = predict_config.output;
      own.threads = predict_config.threads;
      return curvopt::cli::run_predict_own(own);
    }
    return curvopt::cli::run_predict(predict_config);
  }
  if (*evaluate) return curvopt::cli::run_evaluate(evaluate_config);
  if (*compare) {
    if (compare_config.optimizers.empty()) compare_config.optimizers = "lm;adam;lbfgs";
    compare_config.own.model = curvopt::cli::model_description_text(compare_config.own.model);
    return curvopt::cli::run_compare(compare_config);
  }
  if (*describe)
    return curvopt::cli::run_model_describe(curvopt::cli::model_description_text(describe_spec),
                                            describe_input);
  if (*fit) return curvopt::cli::run_fit(fit_config);
  if (*tasks) return curvopt::cli::run_tasks();
  if (*optimizers) return curvopt::cli::run_optimizers(optimizer_name);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // One clear line for every error; never a stack trace. Under mpirun an error on any rank ends
  // the job (ProcessGroup::fail).
  using curvopt::cli::ProcessGroup;
  try {
    const ProcessGroup ranks(argc, argv);
    try {
      return run(argc, argv);
    } catch (const curvopt::ConfigError& e) {
      return ProcessGroup::fail(e.what(), 2);
    } catch (const std::exception& e) {
      return ProcessGroup::fail(e.what(), 1);
    }
  } catch (const std::exception& e) {  // MPI itself could not start
    return ProcessGroup::fail(e.what(), 2);
  }
}

#include "bench_suites.h"

#include "curvopt/core/errors.h"

namespace curvopt::cli {
namespace {

// The noisy-sine experiment of Pooladzandi & Zhou (2022): full batch, equal wall-clock budget; the
// modified LM and its ablations against the first-order methods and L-BFGS.
BenchExperiment sine(double budget, int seeds, bool ablations) {
  BenchExperiment e;
  e.id = "sine";
  e.title = "Noisy sine regression, 1 → 10 ELU → 1 (Pooladzandi & Zhou 2022)";
  e.task = "sine";
  e.epochs = 1000000;  // the wall-clock budget ends every run
  e.time_budget_seconds = budget;
  e.seeds = seeds;
  e.evaluate_train = true;
  e.metric = "train_mse";
  e.metric_label = "training MSE";
  e.target_metric = "train_mse";
  e.targets = {0.0035};
  e.published_source = "Pooladzandi & Zhou (2022), Sec. 3.2 and Fig. 1a";
  e.notes =
      "Full batch of 1000 points, y = sin x + 0.2·U[0,1), whose noise floor is MSE 0.0033. Every "
      "optimizer gets the same wall-clock budget; the training MSE is measured at the parameters "
      "each method reports (the best iterate for `keep_best`). The paper's final losses are read "
      "from its figure; its 0.001 lies below the noise floor of this data, so it cannot be "
      "reproduced as an MSE on the same points. S1 in a row's name marks the paper's setting.";
  e.methods.push_back({"modified LM (S1 preset)", "lm-modified", "≈ 0.001"});
  if (ablations) {
    e.methods.push_back({"vanilla LM", "lm", "well above modified LM (figure)"});
    e.methods.push_back({"LM + max-diagonal", "lm damping_matrix=max-diagonal", ""});
    e.methods.push_back({"LM + momentum", "lm momentum=true", ""});
    e.methods.push_back({"LM + lr search", "lm lr_search=true", ""});
    e.methods.push_back({"LM + uphill", "lm uphill=true keep_best=true", ""});
    e.methods.push_back({"modified LM, S1 72-point lr grid", "lm-modified lr_search_grid=s1", ""});
  } else {
    e.methods.push_back({"vanilla LM", "lm", "well above modified LM (figure)"});
  }
  e.methods.push_back({"SGD (S1 setting)", "sgd lr=0.05 momentum=0.9 wd=5e-4", "≈ 0.5"});
  e.methods.push_back({"Adam", "adam lr=0.01", "≈ 0.5"});
  e.methods.push_back({"L-BFGS (strong Wolfe)", "lbfgs", "≈ 0.25"});
  e.methods.push_back({"Hessian-free (Martens 2010)", "hessian-free", "≈ 0.25"});
  // The loop's uphill acceptance lets HF leave the shallow local minimum near MSE 0.094 that
  // plain HF settles in on some seeds (measured: seed 1 of 5).
  e.methods.push_back({"Hessian-free + uphill", "hessian-free uphill=true keep_best=true", ""});
  e.methods.push_back({"K-FAC (Martens & Grosse 2015)", "kfac", "≈ 0.5"});
  return e;
}

// The wider sine network (4,353 parameters), where the data-space LM and HF's matrix-free solve
// meet Adam on equal wall clock.
BenchExperiment sine_wide(double budget, int seeds) {
  BenchExperiment e = sine(budget, seeds, false);
  e.id = "sine-wide";
  e.title = "Noisy sine regression, 1 → 64 ELU → 64 ELU → 1 (4,353 parameters)";
  e.task = "sine-wide";
  e.published_source = "none: the wider network of the same data (no published figure)";
  e.notes =
      "The data of the sine experiment (1000 points, noise floor MSE 0.0033) with two hidden "
      "layers of 64 ELU units; every optimizer gets the same wall-clock budget.";
  for (BenchMethod& m : e.methods) m.published.clear();
  return e;
}

// The Iris experiment of Brust (2021), with the stochastic NLLS methods.
BenchExperiment iris(int seeds) {
  BenchExperiment e;
  e.id = "iris";
  e.title = "Iris, 4 → 10 → 10 → 3 softmax, squared error (Brust 2021)";
  e.task = "iris";
  e.epochs = 50;
  e.batch_size = 32;
  e.seeds = seeds;
  e.metric = "mean_step_loss";
  e.metric_label = "epoch-average training loss";
  e.report_epochs = {10, 50};
  e.published_source = "Brust (2021), Sec. 5.1; means of the authors' runs 1–4";
  e.notes =
      "120 training rows, batches of 32 (4 per epoch, reshuffled), Glorot-uniform weights. The "
      "published numbers are the epoch-average training loss at epochs 10 / 50.";
  e.methods = {
      {"full-Jacobian NLLS", "nlls-full", "0.108 / 0.0147"},
      {"NLLS1 (δ = 0.8)", "nlls1 delta=0.8", "0.080 / 0.0279"},
      {"NLLSL (the code's variant)",
       "nllsl jacobian_scale=code structure=positional residual_guard=clamp", "0.108 / 0.0632"},
      {"SGD (lr 1)", "sgd lr=1", "0.101 / 0.0980"},
      {"Adam (Keras defaults)", "adam variant=keras eps=1e-7", "0.116 / 0.0422"},
      {"Adagrad (Keras, lr 1)", "adagrad lr=1 initial_accumulator=0.1 eps=1e-7", "0.328 / 0.331"},
  };
  return e;
}

// The MNIST experiment of Pooladzandi & Zhou (2022): the 2,202-parameter CNN.
BenchExperiment mnist_cnn(std::int64_t epochs, int seeds, bool all) {
  BenchExperiment e;
  e.id = "mnist-cnn";
  e.title = "MNIST CNN, 2,202 parameters (Pooladzandi & Zhou 2022)";
  e.task = "mnist-cnn";
  e.epochs = epochs;
  e.batch_size = 256;
  e.seeds = seeds;
  e.metric = "test_accuracy";
  e.metric_label = "test accuracy";
  e.higher_is_better = true;
  e.target_metric = "test_accuracy";
  e.targets = {0.90, 0.97};
  e.target_higher_is_better = true;
  e.published_source = "Pooladzandi & Zhou (2022), Table 1; 100 epochs";
  e.notes =
      "Batches of 256, one optimizer step per batch, RReLU noise fixed within a step. LM uses the "
      "exact generalized Gauss-Newton, starting at the authors' code's λ = 10 with a floor of 1 "
      "(without a floor λ collapses on minibatches and the accuracy stalls near 90 %; with 0.1 it "
      "swings between 92 and 98 %); the paper's LM used the empirical Fisher. The sampled-GGN "
      "row draws one output direction per example from the model (256 rows instead of 2,560). "
      "The paper trains 100 epochs; this suite far fewer, so compare the epochs to 90 %.";
  e.methods.push_back({"LM (GGN, λ₀ = 10, λ ≥ 1)", "lm damping=10 min_damping=1",
                       "90 % at epoch 4; 97.5 % after 100 epochs"});
  // One sampled output direction per example: the Gauss-Newton matrix from 256 rows instead
  // of 2,560, at twice Adam's step cost instead of 15× (docs/benchmarks.md, 2026-12-07).
  e.methods.push_back({"LM, sampled GGN (λ₀ = 10, λ ≥ 1)",
                       "lm curvature=sampled-gauss-newton damping=10 min_damping=1", ""});
  e.methods.push_back({"Adam (lr 0.05)", "adam lr=0.05", "90 % at epoch 13; 96.5 % after 100"});
  e.methods.push_back({"SGD (lr 0.1, momentum 0.9, wd 5e-4)", "sgd lr=0.1 momentum=0.9 wd=5e-4",
                       "90 % at epoch 26; 96 % after 100"});
  if (all) {
    e.methods.push_back({"LM, empirical Fisher", "lm curvature=empirical-fisher min_damping=0.1",
                         "(the paper's LM matrix)"});
    e.methods.push_back({"L-BFGS (strong Wolfe, per batch)", "lbfgs memory=10",
                         "90 % at epoch 17; 91 % after 100"});
  }
  return e;
}

// The stochastic extension of Berahas, Jahani & Takáč (2022) on the MNIST CNN: gradient on the
// batch of 256, curvature pairs sampled on its first 64 examples (the batches are shuffled),
// against the first-order methods and L-BFGS of the mnist-cnn experiment.
BenchExperiment sampled_qn_mnist_cnn(std::int64_t epochs, int seeds) {
  BenchExperiment e = mnist_cnn(epochs, seeds, true);
  e.id = "sampled-qn-mnist-cnn";
  e.report_evaluations = true;
  e.title = "Sampled quasi-Newton on the MNIST CNN (Berahas, Jahani & Takáč 2022, stochastic)";
  e.published_source = "Berahas, Jahani & Takáč (2022) propose the stochastic use; no figures";
  e.notes =
      "Batches of 256; S-LSR1 and S-LBFGS sample their curvature pairs on the first 64 examples "
      "of each batch (--curvature-batch 64) and take their trials on the whole batch. Adam, SGD "
      "and L-BFGS as in the mnist-cnn experiment.";
  std::vector<BenchMethod> methods;
  for (const BenchMethod& m : e.methods)
    if (m.spec.rfind("lm", 0) != 0) methods.push_back({m.label, m.spec, ""});
  methods.push_back({"S-LSR1 (curvature batch 64)", "slsr1", "", 64});
  methods.push_back({"S-LBFGS (curvature batch 64)", "slbfgs", "", 64});
  // Armijo on one batch accepts steps that overfit it; starting every search at α = 0.2 bounds
  // them (docs/optimizers/sampled_quasi_newton.md, "Stochastic use").
  methods.push_back({"S-LBFGS (α from 0.2, curvature batch 64)",
                     "slbfgs step_growth=0 initial_step=0.2", "", 64});
  e.methods = methods;
  return e;
}

// Hessian-free on the MNIST CNN: the gradient and line search on large batches, Gauss-Newton
// products on a subset (Martens 2010), against the first-order rows of the mnist-cnn experiment.
BenchExperiment hessian_free_mnist_cnn(std::int64_t epochs, int seeds) {
  BenchExperiment e = mnist_cnn(epochs, seeds, false);
  e.id = "hessian-free-mnist-cnn";
  e.report_evaluations = true;
  e.title = "Hessian-free on the MNIST CNN (Martens 2010; Pooladzandi & Zhou 2022's table)";
  e.notes =
      "Adam and SGD as in the mnist-cnn experiment (batches of 256). Hessian-free as Martens "
      "(2010) uses it: the gradient, CG backtracking and line search on a large batch, the "
      "Gauss-Newton products of CG on its first examples (--curvature-batch); the row on "
      "batches of 256 shows what the small batches of the other methods do to it. The "
      "published row is the HF of Pooladzandi & Zhou's table (lr 0.1, 100 epochs).";
  std::vector<BenchMethod> methods;
  for (const BenchMethod& m : e.methods)
    if (m.spec.rfind("lm", 0) != 0) methods.push_back(m);
  methods.push_back({"Hessian-free (batch 2048, curvature 256)", "hessian-free",
                     "90 % at epoch 11; 94 % after 100 (not converged)", 256, 2048});
  methods.push_back({"Hessian-free (batch 256, curvature 64)", "hessian-free", "", 64, 256});
  e.methods = methods;
  return e;
}

// The deep autoencoder of Hinton & Salakhutdinov (2006), the classic benchmark of Martens (2010),
// on equal wall clock: HF against Adam and SGD with Nesterov momentum.
BenchExperiment mnist_autoencoder(double budget) {
  BenchExperiment e;
  e.id = "mnist-autoencoder";
  e.title = "MNIST deep autoencoder 784-1000-500-250-30 and mirror (Martens 2010)";
  e.task = "mnist-autoencoder";
  e.epochs = 1000000;  // the wall-clock budget ends every run
  e.time_budget_seconds = budget;
  e.batch_size = 1000;
  e.seeds = 1;
  e.evaluate_train = true;
  e.metric = "train_mse";
  e.metric_label = "training squared error per pixel";
  e.published_source =
      "Martens (2010), Table 1: HF from random weights reaches a training squared error of 1.64 "
      "per image (0.00209 per pixel) after long runs on a GPU";
  e.notes =
      "60,000 training images, float32, sigmoid cross-entropy on the pixel intensities; the "
      "metric is the squared error of the logistic outputs per pixel (Martens' per-image error "
      "is 784 times it). The budget is minutes on a CPU where Martens trained for hours on a "
      "GPU, so the published number is where HF ends, not where this run can. Each row's batch "
      "size is in its name.";
  e.methods = {
      // The loss is a mean over 784 outputs per image where Martens summed them, so the
      // Gauss-Newton matrix is 784 times smaller than his: λ₀ = 1e-3 ≈ 1/784 is his λ₀ = 1.
      {"Hessian-free (λ₀ 1e-3, batch 6000, curvature 600)", "hessian-free damping=1e-3",
       "1.64 per image (0.00209)", 600, 6000},
      {"Adam (lr 1e-3, batch 100)", "adam lr=1e-3", "", 0, 100},
      {"SGD Nesterov (lr 0.1, momentum 0.99, batch 100)", "sgd lr=0.1 momentum=0.99 nesterov=true",
       "", 0, 100},
  };
  return e;
}

// K-FAC on the MNIST CNN, both faces, against the first-order rows of the mnist-cnn experiment.
BenchExperiment kfac_mnist_cnn(std::int64_t epochs, int seeds) {
  BenchExperiment e = mnist_cnn(epochs, seeds, false);
  e.id = "kfac-mnist-cnn";
  e.title = "K-FAC on the MNIST CNN (Martens & Grosse 2015; Pooladzandi & Zhou 2022's table)";
  e.notes =
      "Batches of 256, statistics and Gauss-Newton products on the whole batch. The full "
      "optimizer bounds each step's δᵀFδ by 0.01 (without it λ, adapted on each batch's own "
      "reduction ratio, falls to its floor and the steps overfit their batches); the "
      "preconditioner row is SGD with the PyTorch K-FAC ports' settings (damping 0.03, inverses "
      "every 50 steps, KL clip 1e-3). The published row is the K-FAC of Pooladzandi & Zhou's "
      "table (100 epochs).";
  std::vector<BenchMethod> methods;
  for (const BenchMethod& m : e.methods)
    if (m.spec.rfind("lm", 0) != 0) methods.push_back(m);
  methods.push_back({"K-FAC (norm constraint 0.01)", "kfac norm_constraint=0.01",
                     "90 % at epoch 26; 96 % after 100"});
  methods.push_back({"SGD + K-FAC preconditioner (lr 0.1, momentum 0.9)",
                     "sgd lr=0.1 momentum=0.9 precondition=kfac", ""});
  e.methods = methods;
  return e;
}

// The larger CNN (62k parameters), where K-FAC must beat Adam to 98 % on wall clock.
BenchExperiment kfac_mnist_cnn_large(std::int64_t epochs, int seeds) {
  BenchExperiment e = mnist_cnn(epochs, seeds, false);
  e.id = "kfac-mnist-cnn-large";
  e.title = "K-FAC on the larger MNIST CNN, 62,346 parameters";
  e.task = "mnist-cnn-large";
  e.targets = {0.97, 0.98};
  e.evaluations_per_epoch = 8;
  e.report_step_cost = true;
  e.published_source = "none (the goal: 98 % sooner than tuned Adam on the same machine)";
  e.notes =
      "Conv 32@5×5 and 64@5×5 with max pooling; test accuracy 8 times per epoch (evaluation "
      "time not counted). Adam tuned on a grid, learning rate {5e-4, 1e-3, 2e-3, 4e-3, 8e-3} × "
      "batch {64, 256}, by seconds to 98 % in one epoch (seed 1, one thread): the best at batch "
      "256 and the best overall (batch 64) are both here. K-FAC tuned by hand over batch {64, "
      "128, 256}, KL clip {1e-3, 3e-3, 1e-2, 3e-2} and learning rate {0.05, 0.1, 0.2}: "
      "statistics every 5 (full optimizer) or 10 (preconditioner) steps and Gauss-Newton "
      "products on a curvature batch of 32 examples, batches of 256.";
  e.methods = {
      {"Adam (lr 4e-3, batch 256)", "adam lr=4e-3", "", 0, 256},
      {"Adam (lr 4e-3, batch 64)", "adam lr=4e-3", "", 0, 64},
      {"SGD (lr 0.05, momentum 0.9)", "sgd lr=0.05 momentum=0.9", "", 0, 256},
      {"K-FAC (norm constraint 0.01, statistics every 5, curvature batch 32)",
       "kfac norm_constraint=0.01 statistics_period=5", "", 32, 256},
      {"SGD + K-FAC preconditioner (statistics every 10, curvature batch 32)",
       "sgd lr=0.05 momentum=0.9 precondition=kfac kfac_statistics_period=10", "", 32, 256},
  };
  return e;
}

// The K-FAC paper's benchmark: the deep autoencoder on equal wall clock, K-FAC against Adam and
// SGD with Nesterov momentum.
BenchExperiment kfac_mnist_autoencoder(double budget) {
  BenchExperiment e = mnist_autoencoder(budget);
  e.id = "kfac-mnist-autoencoder";
  e.title = "K-FAC on the MNIST deep autoencoder (Martens & Grosse 2015)";
  e.published_source =
      "Martens & Grosse (2015), Fig. 9: K-FAC below HF's training error in a fraction of its time "
      "(GPU hours); Martens (2010): HF ends at 1.64 per image (0.00209 per pixel)";
  std::vector<BenchMethod> methods;
  // The loss is a mean over 784 pixels where Martens & Grosse summed them: their λ₀ = 150
  // becomes 150/784 ≈ 0.2 here.
  methods.push_back({"K-FAC (λ₀ 0.2, batch 1000)", "kfac damping=0.2", "", 0, 1000});
  for (const BenchMethod& m : e.methods)
    if (m.spec.rfind("hessian-free", 0) != 0) methods.push_back(m);
  e.methods = methods;
  return e;
}

// The Fashion-MNIST autoencoder of Brust (2021).
BenchExperiment fashion_ae(std::int64_t epochs, int seeds) {
  BenchExperiment e;
  e.id = "fashion-ae";
  e.title = "Fashion-MNIST autoencoder 784 → 64 → 784 (Brust 2021)";
  e.task = "fashion-ae";
  e.epochs = epochs;
  e.batch_size = 32;
  e.seeds = seeds;
  e.metric = "mean_step_loss";
  e.metric_label = "epoch-average training loss";
  e.report_epochs = {1, 10, 25};
  e.published_source = "Brust (2021), Sec. 5.3; means of the authors' runs 1–4";
  e.notes =
      "60,000 images, batches of 32 (1875 steps per epoch), 101,200 parameters. Published: "
      "epoch-average training loss at epochs 1 / 10 / 25.";
  e.methods = {
      {"NLLS1 (δ = 0.9)", "nlls1 delta=0.9", "0.0207 / 0.0088 / 0.0085"},
      {"NLLSL", "nllsl", "0.0277 / 0.0182 / 0.0174"},
      {"SGD (lr 50)", "sgd lr=50", "0.0237 / 0.0118 / 0.0108"},
      {"Adam", "adam variant=keras eps=1e-7", "0.0198 / 0.0113 / 0.0111"},
      {"Adagrad (lr 50)", "adagrad lr=50 initial_accumulator=0.1 eps=1e-7",
       "0.0682 / 0.0541 / 0.0550"},
  };
  return e;
}

// The MovieLens recommender of Brust (2021).
BenchExperiment movielens(std::int64_t epochs, int seeds) {
  BenchExperiment e;
  e.id = "movielens";
  e.title = "MovieLens two-tower recommender (Brust 2021)";
  e.task = "movielens";
  e.epochs = epochs;
  e.batch_size = 8192;
  e.seeds = seeds;
  e.metric = "mean_step_loss";
  e.metric_label = "epoch-average training MSE";
  e.report_epochs = {10, 50};
  e.published_source = "Brust (2021), Sec. 5.2; means of the authors' runs 1–4";
  e.notes =
      "ml-latest-small (100,836 ratings; GroupLens' current small release) stands in for "
      "ml-100k, which the paper used and which is not available offline here: the rating "
      "scale and the numbers of users and movies differ, so the published losses are a "
      "reference for the ordering, not for the values. Batches of 8192, cached after one "
      "shuffle as in the authors' code.";
  e.methods = {
      {"NLLS1 (δ = 20)", "nlls1 delta=20", "0.852 / 0.678"},
      {"NLLSL", "nllsl", "0.860 / 0.750"},
      {"SGD (lr 0.01)", "sgd lr=0.01", "1.265 / 1.248"},
      {"Adam", "adam variant=keras eps=1e-7", "0.828 / 0.677"},
      {"Adagrad (lr 0.1)", "adagrad lr=0.1 initial_accumulator=0.1 eps=1e-7", "0.987 / 0.842"},
  };
  return e;
}

// The sine classification toy of Berahas et al. (2022) on one of its three networks: the sampled
// quasi-Newton methods against their classical counterparts and the first-order baselines.
BenchExperiment sine_class(const std::string& net, std::int64_t epochs, int seeds) {
  const bool small = net == "small", medium = net == "medium";
  BenchExperiment e;
  e.id = "sine-class-" + net;
  e.title = std::string("Sine classification toy, ") +
            (small    ? "2-2-2-2-2-2 (36"
             : medium ? "2-4-8-8-4-2 (176"
                      : "2-10-20-20-10-2 (908") +
            " parameters) sigmoid net (Berahas et al. 2022)";
  e.task = "sine-class-" + net;
  e.epochs = epochs;
  e.batch_size = 100;
  e.seeds = seeds;
  e.evaluate_train = true;
  e.metric = "train_loss";
  e.metric_label = "training cross-entropy";
  e.target_metric = "train_accuracy";
  e.targets = {1.0};
  e.target_higher_is_better = true;
  e.report_evaluations = true;
  e.published_source =
      "the poster of Berahas, Jahani & Takáč on sampled quasi-Newton methods (curves) and the "
      "authors' saved log (small net, seed 67: S-LSR1 at 100 % after 36 iterations)";
  e.notes =
      "Full batch of 100 points, float64; one epoch is one iteration. Pairs: m = 10, r = 1, "
      "Option II (Hessian products). Exact values depend on the random draws, which differ "
      "from the authors' (their seeds and generator), so compare trends and iteration counts, "
      "not digits. A rejected trust-region step counts as an iteration, as in the authors' "
      "loop.";
  const std::string published_lsr1 = small ? "100 % after 36 iterations (seed 67)" : "curves only";
  e.methods = {
      {"GD (lr 1)", "gd lr=1", "curves only"},
      {"Adam (lr 0.01)", "adam lr=0.01", "curves only"},
      {"BFGS", "bfgs", "curves only"},
      {"L-BFGS", "lbfgs memory=10", "curves only"},
      {"SR1", "sr1", "curves only"},
      {"L-SR1", "lsr1 memory=10", "curves only"},
      {"S-LBFGS", "slbfgs memory=10 radius=1", "curves only"},
      {"S-LSR1", "slsr1 memory=10 radius=1", published_lsr1},
  };
  return e;
}

// curvopt's Adam and SGD against LibTorch's on the same network, initial parameters, batches and
// epochs (CURVOPT_PEERS=ON builds only).
BenchExperiment torch_peers(bool large, std::int64_t epochs) {
  BenchExperiment e;
  e.id = large ? "peers-mnist-cnn-large" : "peers-mnist-cnn";
  e.title = std::string("curvopt against LibTorch: ") +
            (large ? "MNIST CNN, 62,346 parameters" : "MNIST CNN, 2,202 parameters");
  e.task = large ? "mnist-cnn-large" : "mnist-cnn";
  e.epochs = epochs;
  e.batch_size = large ? 64 : 256;
  e.seeds = 1;
  e.metric = "test_accuracy";
  e.metric_label = "test accuracy";
  e.higher_is_better = true;
  e.published_source = "no publication: a peer comparison (issue 7)";
  e.notes =
      "The same network, the same initial parameters (checked: both compute the same initial "
      "loss), the same batches in the same order, float32, the same thread count. LibTorch "
      "1.13 from Debian (oneDNN kernels). Seconds per epoch count the training steps only.";
  const std::string adam = large ? "adam lr=1e-3" : "adam lr=0.05";
  const std::string sgd = large ? "sgd lr=0.01 momentum=0.9" : "sgd lr=0.1 momentum=0.9 wd=5e-4";
  e.methods = {{"curvopt Adam", adam, ""},
               {"LibTorch Adam", "libtorch:" + adam, ""},
               {"curvopt SGD", sgd, ""},
               {"LibTorch SGD", "libtorch:" + sgd, ""}};
  e.peer_pairs = {{0, 1}, {2, 3}};
  return e;
}

// The quick sine budget: about 1 s of one thread of a Zen 3 (AVX2, OpenBLAS's Haswell kernels),
// where one gradient evaluation of the task takes 0.075-0.078 ms (measured 2026-12-07).
constexpr double kQuickSineGradients = 13000;

}  // namespace

std::vector<std::string> bench_suite_names() { return {"seeds", "quick", "hessian-free", "kfac"}; }

std::vector<BenchExperiment> bench_suite(const std::string& name, int seeds_override,
                                         std::int64_t epochs_override, bool with_peers) {
  std::vector<BenchExperiment> suite;
  if (name == "seeds") {
    // Sized to finish in about 35 minutes on 2 cores (the issue allows 60): the published seed
    // counts and epochs except mnist-cnn (5 of 100 epochs, 2 seeds) and fashion-ae (2 seeds).
    suite = {sine(3.0, 5, true),
             iris(5),
             sine_wide(5.0, 5),
             mnist_cnn(5, 2, true),
             sampled_qn_mnist_cnn(5, 2),
             hessian_free_mnist_cnn(5, 2),
             fashion_ae(25, 2),
             movielens(50, 5),
             sine_class("small", 1000, 5),
             sine_class("medium", 1000, 5),
             sine_class("large", 1000, 5)};
    if (with_peers) {
      suite.push_back(torch_peers(false, 2));
      suite.push_back(torch_peers(true, 1));
    }
  } else if (name == "quick") {
    // The sine runs get a budget in gradient evaluations of the task, timed on the machine that
    // runs them: the verdicts then do not depend on its speed (bench_calibration.h).
    BenchExperiment quick_sine = sine(0, 2, false);
    quick_sine.budget_gradients = kQuickSineGradients;
    suite = {quick_sine,       iris(2),          mnist_cnn(1, 1, false),
             fashion_ae(1, 1), movielens(10, 1), sine_class("medium", 1000, 1)};
  } else if (name == "hessian-free") {
    // Issue 16's experiments in about 30 minutes on 2 cores.
    suite = {sine(3.0, 5, false), sine_wide(5.0, 5), hessian_free_mnist_cnn(5, 2),
             mnist_autoencoder(300)};
  } else if (name == "kfac") {
    // Issue 17's experiments.
    suite = {sine(3.0, 5, false), kfac_mnist_cnn(5, 2), kfac_mnist_cnn_large(2, 2),
             kfac_mnist_autoencoder(300)};
  } else {
    throw ConfigError("bench: unknown suite '" + name +
                      "' (known: seeds, quick, hessian-free, kfac)");
  }
  for (BenchExperiment& e : suite) {
    if (seeds_override > 0) e.seeds = seeds_override;
    if (epochs_override > 0 && e.time_budget_seconds <= 0) e.epochs = epochs_override;
  }
  return suite;
}

}  // namespace curvopt::cli

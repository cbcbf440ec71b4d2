/// Per-layer breakdown of the MLP (a) and CNN (c) gradients: each benchmark times one layer's
/// forward or backward pass exactly as Sequential::forward / Sequential::backward call it (same
/// inputs, outputs, cotangents and optional outputs), so that the end-to-end times can be
/// attributed to layers. Names: BM_<Model>Layer/layer:<index>/bwd:<0 forward, 1 backward>; the
/// label names the layer.
///
/// Flops (2 per multiply-add, matrix products only; see bench_common.h): Dense fan_in → units
/// costs 2·units·fan_in per example for the forward pass, for the weight gradient and for the
/// input gradient; Conv2d 2·P·K·O for each (P output positions, K = C·kh·kw, O filters). The
/// first parameterized layer computes no input gradient. Other layers count no flops.

#include <memory>
#include <string>
#include <vector>

#include "bench_common.h"
#include "bench_fixtures.h"

namespace curvopt_bench {
namespace {

using namespace curvopt;

/// Activations and output cotangents of every layer, from one forward and one backward pass run
/// layer by layer (the same calls Sequential makes).
template <class Problem>
class LayerByLayer {
 public:
  LayerByLayer() {
    Sequential<float>& model = problem_.model;
    const Index layers = model.num_layers(), b = problem_.inputs.cols();
    const float* params = model.parameters().data();
    for (Index l = 0; l < layers; ++l)
      model.layer(l).bind_parameters(params + model.parameter_offset(l));
    acts_.resize(static_cast<std::size_t>(layers));
    cots_.resize(static_cast<std::size_t>(layers));
    for (Index l = 0; l < layers; ++l) {
      act(l).resize(model.layer(l).output_size(), b);
      model.layer(l).forward(input(l), act(l));
    }
    cot(layers - 1).resize(model.output_size(), b);
    problem_.loss.gradient(act(layers - 1), problem_.targets, cot(layers - 1));
    grad_.resize(model.num_parameters());
    for (Index l = layers - 1; l >= 1; --l) backward(l, &cot(l - 1));
  }

  Index num_layers() const { return problem_.model.num_layers(); }
  Layer<float>& layer(Index l) { return problem_.model.layer(l); }

  void forward(Index l) { layer(l).forward(input(l), act(l)); }

  /// The layer's backward pass as Sequential::backward calls it (dX: nullptr for the first
  /// parameterized layer, which is layer 0 in both models).
  void backward(Index l, Matrix<float>* dX) {
    Sequential<float>& model = problem_.model;
    float* g = layer(l).num_parameters() > 0 ? grad_.data() + model.parameter_offset(l) : nullptr;
    layer(l).backward(input(l), act(l), cot(l), dX, g);
  }
  void backward(Index l) { backward(l, l > 0 ? &scratch_ : nullptr); }

  /// Matrix-product flops per iteration of one pass of layer l (see the file comment).
  double flops(Index l, bool backward_pass) {
    const double b = static_cast<double>(problem_.inputs.cols());
    double per_pass = 0;  // one of: forward, weight gradient, input gradient
    if (auto* dense = dynamic_cast<Dense<float>*>(&layer(l))) {
      per_pass = 2.0 * static_cast<double>(dense->units() * dense->input_size());
    } else if (auto* conv = dynamic_cast<Conv2d<float>*>(&layer(l))) {
      const Conv2dOptions& o = conv->options();
      const Shape& in = conv->input_shape();
      const Shape& out = conv->output_shape();
      per_pass = 2.0 * static_cast<double>(out.height * out.width) *
                 static_cast<double>(in.channels * o.kernel_h * o.kernel_w) *
                 static_cast<double>(o.out_channels);
    }
    return per_pass * b * (backward_pass ? (l > 0 ? 2 : 1) : 1);
  }

 private:
  ConstMatrixRef<float> input(Index l) const {
    return l == 0 ? ConstMatrixRef<float>(problem_.inputs)
                  : ConstMatrixRef<float>(acts_[static_cast<std::size_t>(l - 1)]);
  }
  Matrix<float>& act(Index l) { return acts_[static_cast<std::size_t>(l)]; }
  Matrix<float>& cot(Index l) { return cots_[static_cast<std::size_t>(l)]; }

  Problem problem_;
  std::vector<Matrix<float>> acts_, cots_;
  Matrix<float> scratch_;
  Vector<float> grad_;
};

template <class Problem>
void layer_pass(benchmark::State& state) {
  LayerByLayer<Problem> net;
  const Index l = state.range(0);
  const bool backward = state.range(1) != 0;
  if (l >= net.num_layers()) {
    state.SkipWithError("no such layer");
    return;
  }
  state.SetLabel(net.layer(l).name() + (backward ? " backward" : " forward"));
  const auto pass = [&] {
    if (backward)
      net.backward(l);
    else
      net.forward(l);
  };
  pass();  // warm-up: first-call allocations
  for (auto _ : state) {
    pass();
    benchmark::ClobberMemory();
  }
  const double flops = net.flops(l, backward);
  if (flops > 0) set_flop_counters(state, flops);
}

void BM_MlpLayer(benchmark::State& state) { layer_pass<MlpProblem>(state); }
BENCHMARK(BM_MlpLayer)
    ->ArgNames({"layer", "bwd"})
    ->ArgsProduct({benchmark::CreateDenseRange(0, 4, 1), {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_CnnLayer(benchmark::State& state) { layer_pass<CnnProblem>(state); }
BENCHMARK(BM_CnnLayer)
    ->ArgNames({"layer", "bwd"})
    ->ArgsProduct({benchmark::CreateDenseRange(0, 7, 1), {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace curvopt_bench

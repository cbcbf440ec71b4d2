#pragma once
/// Small networks that between them use every layer type, for the oracle tests: an MLP, a CNN
/// (two convolutions, max-pool, RReLU, flatten) and an embedding recommender, each with
/// kTestOutputs outputs.

#include <vector>

#include "curvopt/nn/activation.h"
#include "curvopt/nn/conv2d.h"
#include "curvopt/nn/dense.h"
#include "curvopt/nn/embedding.h"
#include "curvopt/nn/flatten.h"
#include "curvopt/nn/max_pool2d.h"
#include "curvopt/nn/sequential.h"

namespace curvopt::testing {

inline constexpr Index kTestOutputs = 3;

/// 3 → 4 tanh → 4 ELU → 3.
template <class S>
Sequential<S> test_mlp() {
  Sequential<S> m(Shape::flat(3));
  m.template add<Dense>(Index(4));
  m.template add<Tanh>();
  m.template add<Dense>(Index(4));
  m.template add<Elu>();
  m.template add<Dense>(kTestOutputs);
  return m;
}

/// 2 × 6 × 6 images: conv 3@3x3 (padding 1) softplus, pool 2, conv 2@2x2 RReLU, dense 3.
template <class S>
Sequential<S> test_cnn() {
  Sequential<S> m(Shape::image(2, 6, 6));
  m.template add<Conv2d>(Conv2dOptions{3, 3, 3, 1, 1});
  m.template add<Softplus>();
  m.template add<MaxPool2d>(Index(2));
  m.template add<Conv2d>(Conv2dOptions{2, 2, 2, 1, 0});
  m.template add<Rrelu>();
  m.template add<Flatten>();
  m.template add<Dense>(kTestOutputs);
  return m;
}

/// Two index features (vocabularies 5 and 4) embedded in 3 dimensions, dense 6 leaky ReLU
/// sigmoid, dense 3.
template <class S>
Sequential<S> test_recommender() {
  Sequential<S> m(Shape::flat(2));
  m.template add<Embedding>(std::vector<Index>{5, 4}, Index(3));
  m.template add<Dense>(Index(6));
  m.template add<LeakyRelu>(0.1);
  m.template add<Sigmoid>();
  m.template add<Dense>(kTestOutputs);
  return m;
}

}  // namespace curvopt::testing

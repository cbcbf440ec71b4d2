#include "curvopt/nn/embedding.h"

#include <gtest/gtest.h>

#include "curvopt/core/errors.h"
#include "testing/layer_conformance.h"

namespace curvopt {
namespace {

using testing::check_layer_conformance;
using testing::ConformanceOptions;

/// Index inputs with repeats, so that the Gram identity's shared-entry terms are exercised.
Matrix<double> indices(Index batch, Rng& rng, const std::vector<Index>& vocab) {
  Matrix<double> X(static_cast<Index>(vocab.size()), batch);
  for (Index s = 0; s < batch; ++s)
    for (std::size_t f = 0; f < vocab.size(); ++f)
      X(static_cast<Index>(f), s) = static_cast<double>(rng.uniform_int(vocab[f]));
  return X;
}

TEST(Embedding, ConformsWithRepeatedIndices) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const std::vector<Index> vocab = {3, 2};
    ConformanceOptions opt{Shape::flat(2), 5, seed};
    opt.make_input = [vocab](Index b, Rng& rng) { return indices(b, rng, vocab); };
    opt.differentiable_input = false;
    check_layer_conformance<Embedding>(opt, vocab, Index(3));
  }
}

TEST(Embedding, LooksUpAndConcatenates) {
  Embedding<double> layer({2, 3}, 2);
  layer.configure(Shape::flat(2));
  Vector<double> theta(10);
  theta << 1, 2, 3, 4, /* field 1 */ 10, 20, 30, 40, 50, 60;
  layer.bind_parameters(theta.data());
  Matrix<double> X(2, 2);
  X << 1, 0, 2, 0;
  Matrix<double> Y(4, 2);
  layer.forward(X, Y);
  Matrix<double> expected(4, 2);
  expected << 3, 1, 4, 2, 50, 10, 60, 20;
  EXPECT_EQ(Y, expected);
}

TEST(Embedding, OutOfRangeIndexNamesLayerFieldAndRange) {
  Embedding<float> layer({944, 1665}, 32);
  layer.set_name("users_items");
  layer.configure(Shape::flat(2));
  Vector<float> theta = Vector<float>::Zero(layer.num_parameters());
  layer.bind_parameters(theta.data());
  Matrix<float> X(2, 3);
  X << 1, 2, 943, 5, 1665, 0;
  Matrix<float> Y(64, 3);
  try {
    layer.forward(X, Y);
    FAIL() << "no exception";
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Embedding 'users_items'"), std::string::npos) << what;
    EXPECT_NE(what.find("1665"), std::string::npos) << what;
    EXPECT_NE(what.find("field 1"), std::string::npos) << what;
    EXPECT_NE(what.find("[0, 1665)"), std::string::npos) << what;
  }
  X(1, 1) = 2.5f;  // not an integer
  EXPECT_THROW(layer.forward(X, Y), ValueError);
}

TEST(Embedding, RejectsBadConfiguration) {
  EXPECT_THROW(Embedding<float>({}, 3), ConfigError);
  EXPECT_THROW(Embedding<float>({5, 0}, 3), ConfigError);
  EXPECT_THROW(Embedding<float>({5}, 0), ConfigError);
  Embedding<float> layer({5, 6}, 4);
  EXPECT_THROW(layer.configure(Shape::flat(3)), ShapeError);
}

}  // namespace
}  // namespace curvopt

#include "curvopt/nn/max_pool2d.h"

#include <gtest/gtest.h>

#include "curvopt/core/errors.h"
#include "testing/layer_conformance.h"

namespace curvopt {
namespace {

using testing::check_layer_conformance;
using testing::ConformanceOptions;

/// Compares forward and backward with a direct loop over every window, the winner being the
/// first maximum in row-major window order (as PyTorch picks it), on 2 examples of 3 × 7 × 8.
/// `levels` > 0 draws the inputs from {0, …, levels − 1}, so that most windows hold ties.
void expect_matches_naive_reference(Index kernel, Index stride, int levels) {
  Rng rng(static_cast<std::uint64_t>(kernel * 10 + stride + 100 * levels));
  const Shape in = Shape::image(3, 7, 8);
  MaxPool2d<double> layer(kernel, stride);
  const Shape out = layer.configure(in);
  Matrix<double> X = testing::random_matrix(in.size(), 2, rng);
  if (levels > 0)
    X = ((X.array() + 1) * (0.5 * levels)).floor().min(levels - 1.0).max(0.0).matrix();
  Matrix<double> Y(out.size(), 2);
  layer.forward(X, Y);
  const Matrix<double> D = testing::random_matrix(out.size(), 2, rng);
  Matrix<double> dX;
  layer.backward(X, Y, D, &dX, nullptr);
  Matrix<double> dX_ref = Matrix<double>::Zero(in.size(), 2);
  for (Index s = 0; s < 2; ++s)
    for (Index c = 0; c < 3; ++c)
      for (Index y = 0; y < out.height; ++y)
        for (Index x = 0; x < out.width; ++x) {
          double best = -1e300;
          Index arg = -1;
          for (Index i = 0; i < kernel; ++i)
            for (Index j = 0; j < kernel; ++j) {
              const Index r = (c * 7 + y * stride + i) * 8 + x * stride + j;
              if (X(r, s) > best) best = X(r, s), arg = r;
            }
          const Index o = (c * out.height + y) * out.width + x;
          EXPECT_EQ(Y(o, s), best);
          dX_ref(arg, s) += D(o, s);
        }
  EXPECT_LT(testing::relative_error(dX, dX_ref), 1e-14)
      << "kernel " << kernel << ", stride " << stride << ", levels " << levels;
}

TEST(MaxPool2d, MatchesNaiveReference) {
  for (auto [kernel, stride] : {std::pair<Index, Index>{2, 2}, {3, 1}, {2, 3}})
    expect_matches_naive_reference(kernel, stride, 0);
}

// The 2×2 path selects its winner without branches; ties (common after a ReLU) must still go to
// the first maximum, as in the general path.
TEST(MaxPool2d, TiesGoToTheFirstMaximumInWindowOrder) {
  for (auto [kernel, stride] : {std::pair<Index, Index>{2, 2}, {3, 1}})
    for (int levels : {2, 3}) expect_matches_naive_reference(kernel, stride, levels);
}

TEST(MaxPool2d, OutputShape) {
  MaxPool2d<float> layer(2);
  EXPECT_EQ(layer.configure(Shape::image(32, 24, 24)), Shape::image(32, 12, 12));
  MaxPool2d<float> odd(2);
  EXPECT_EQ(odd.configure(Shape::image(1, 5, 5)), Shape::image(1, 2, 2));
}

TEST(MaxPool2d, ConformsOnRandomShapes) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Rng r(seed);
    const Index kernel = 1 + static_cast<Index>(r.uniform_int(3));
    const Shape in = Shape::image(1 + static_cast<Index>(r.uniform_int(2)), 5, 6);
    check_layer_conformance<MaxPool2d>(ConformanceOptions{in, 2, seed}, kernel, Index(0));
  }
}

TEST(MaxPool2d, RejectsBadOptionsAndShapes) {
  EXPECT_THROW(MaxPool2d<float>(0), ConfigError);
  MaxPool2d<float> layer(4);
  EXPECT_THROW(layer.configure(Shape::image(1, 3, 8)), ShapeError);
}

}  // namespace
}  // namespace curvopt

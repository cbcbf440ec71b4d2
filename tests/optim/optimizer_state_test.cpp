#include "curvopt/optim/optimizer_state.h"

#include <gtest/gtest.h>

#include <limits>
#include <sstream>
#include <utility>

#include "curvopt/core/errors.h"
#include "curvopt/optim/registry.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

OptimizerState sample() {
  OptimizerState state("adam");
  state.put("num_updates", 3.0);
  Vector<float> v(3);
  v << 1.5f, -0.1f, 3e-38f;
  state.put("first_moment", v);
  return state;
}

std::string message_of(const std::string& bytes) {
  std::istringstream in(bytes);
  try {
    OptimizerState::read(in, "ckpt/optimizer.bin");
  } catch (const ValueError& e) {
    return e.what();
  }
  return "no error";
}

TEST(OptimizerState, RoundTripsExactlyThroughItsBinaryForm) {
  const OptimizerState state = sample();
  std::stringstream file;
  state.write(file);
  const OptimizerState back = OptimizerState::read(file);
  EXPECT_EQ(back, state);
  EXPECT_EQ(back.optimizer(), "adam");
  Vector<float> v(3);
  back.get_into("first_moment", v);
  EXPECT_EQ(v(1), -0.1f);  // float → double → float is exact
  EXPECT_EQ(v(2), 3e-38f);
  EXPECT_EQ(back.get_scalar("num_updates"), 3.0);
}

TEST(OptimizerState, EqualityIsBitForBitSoAnUnmeasuredNaNEqualsItself) {
  OptimizerState a("lm"), b("lm");
  a.put("current_loss", std::numeric_limits<double>::quiet_NaN());
  b.put("current_loss", std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(a, b);
  b.put("current_loss", 1.0);
  EXPECT_NE(a, b);
  a.put("current_loss", 1.0);
  a.put("extra", 0.0);
  EXPECT_NE(a, b);
  b.put("extra", -0.0);  // a different bit pattern: a checkpoint would not restore it
  EXPECT_NE(a, b);
  EXPECT_NE(OptimizerState("lm"), OptimizerState("adam"));
}

TEST(OptimizerState, MissingEntriesAndWrongSizesNameTheEntry) {
  const OptimizerState state = sample();
  try {
    state.get("second_moment");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("no entry 'second_moment'"), std::string::npos);
  }
  Vector<double> wrong(4);
  try {
    state.get_into("first_moment", wrong);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("'first_moment' has 3 values, expected 4"),
              std::string::npos);
  }
}

TEST(OptimizerState, CorruptFilesGiveTheSourceAndByteOffset) {
  std::stringstream file;
  sample().write(file);
  const std::string bytes = file.str();
  EXPECT_NE(message_of("").find("ckpt/optimizer.bin: byte 0: truncated while reading the header"),
            std::string::npos);
  std::string bad_magic = bytes;
  bad_magic[0] = 'X';
  EXPECT_NE(message_of(bad_magic).find("wrong magic"), std::string::npos);
  std::string bad_version = bytes;
  bad_version[8] = 7;
  EXPECT_NE(message_of(bad_version).find("byte 16: unsupported optimizer-state version 7"),
            std::string::npos);
  EXPECT_NE(message_of(bytes.substr(0, bytes.size() - 3)).find("truncated while reading entry"),
            std::string::npos);
}

// Counts are whole numbers in [0, 2^53]; a count that fits an int64 but not the optimizer's
// limits (more pairs than its memory) is refused before anything is sized from it.
TEST(OptimizerState, CountsAreCheckedBeforeTheyAreUsed) {
  OptimizerState state("x");
  for (const double bad : {-1.0, 0.5, 1e300, std::numeric_limits<double>::quiet_NaN()}) {
    state.put("n", bad);
    EXPECT_THROW(state.get_count("n"), ValueError) << bad;
  }
  state.put("n", 9007199254740992.0);
  EXPECT_EQ(state.get_count("n"), 9007199254740992);
  EXPECT_TRUE(OptimizerState::is_count(0));
  EXPECT_FALSE(OptimizerState::is_count(-0.5));

  FunctionProblem<double> problem = testing::quadratic_2d<double>();
  for (const auto& [spec, key] :
       {std::pair{"lbfgs memory=3", "num_pairs"}, std::pair{"lsr1 memory=3", "lsr1_count"}}) {
    auto optimizer = make_optimizer<double>(spec);
    Vector<double> x(2);
    x << 1, 2;
    for (int k = 0; k < 3; ++k) optimizer->step(problem, x);
    OptimizerState saved = optimizer->save_state();
    ASSERT_TRUE(saved.contains(key)) << spec;
    saved.put(key, 4294967299.0);  // 2^32 + 3: narrowed to int it would read 3
    auto fresh = make_optimizer<double>(spec);
    try {
      fresh->load_state(saved);
      ADD_FAILURE() << spec << ": accepted " << key << " = 2^32 + 3";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("more than memory = 3"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace curvopt

#include "curvopt/optim/optimizer_state.h"

#include <gtest/gtest.h>

#include <sstream>

#include "curvopt/core/errors.h"

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

}  // namespace
}  // namespace curvopt

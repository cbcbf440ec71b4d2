#include "curvopt/data/movielens.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/core/random.h"
#include "testing/helpers.h"

namespace curvopt {
namespace {

namespace fs = std::filesystem;

const fs::path kFiles = CURVOPT_TEST_DATA_DIR;

std::string error_of(const fs::path& path) {
  try {
    read_movielens_ratings(path);
  } catch (const ValueError& e) {
    return e.what();
  }
  return "no error";
}

void expect_error(const fs::path& path, std::size_t line, const std::string& what) {
  const std::string message = error_of(path);
  const std::string prefix = path.string() + ": line " + std::to_string(line) + ": ";
  EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
  EXPECT_NE(message.find(what), std::string::npos) << message;
}

TEST(MovieLens, RemapsIdsDenselyInOrderOfFirstAppearance) {
  // userId,movieId: (7,31) (7,1029) (3,31) (12,1061) (3,1029) (7,1172)
  const Ratings r = read_movielens_ratings(kFiles / "ratings_small.csv");
  EXPECT_EQ(r.size(), 6);
  EXPECT_EQ(r.num_users, 3);
  EXPECT_EQ(r.num_items, 4);
  EXPECT_EQ(r.user, (std::vector<std::int32_t>{0, 0, 1, 2, 1, 0}));
  EXPECT_EQ(r.item, (std::vector<std::int32_t>{0, 1, 0, 2, 1, 3}));
  EXPECT_EQ(r.user_ids, (std::vector<std::int64_t>{7, 3, 12}));
  EXPECT_EQ(r.item_ids, (std::vector<std::int64_t>{31, 1029, 1061, 1172}));
  EXPECT_EQ(r.rating, (std::vector<float>{2.5f, 3.0f, 4.0f, 0.5f, 5.0f, 4.5f}));
}

TEST(MovieLens, RatingOutsideHalfToFiveNamesTheLine) {
  expect_error(kFiles / "ratings_bad_rating.csv", 5,
               "column 'rating': \"5.5\" is outside [0.5, 5]");
}

TEST(MovieLens, HeaderIsChecked) {
  expect_error(kFiles / "ratings_bad_header.csv", 1,
               "expected the header 'userId,movieId,rating,timestamp', found "
               "'user,movie,rating,timestamp'");
}

class MovieLensFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / (std::string("curvopt_movielens_test_") + info->name() +
                                        "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& body) const {
    const fs::path path = dir_ / "ratings.csv";
    std::ofstream(path, std::ios::binary) << body;
    return path;
  }
  fs::path dir_;
};

TEST_F(MovieLensFiles, MalformedFiles) {
  const std::string header = "userId,movieId,rating,timestamp\n";
  expect_error(write(""), 1, "empty file");
  expect_error(write(header), 1, "no ratings after the header");
  expect_error(write("userId,movieId,rating\n"), 1, "expected the header");
  expect_error(write(header + "1,2,3,4\n1,2,3\n"), 3,
               "3 cells, expected 4 (userId,movieId,rating,timestamp)");
  expect_error(write(header + "u1,2,3,4\n"), 2, "column 'userId': \"u1\" is not an integer");
  expect_error(write(header + "1,2.5,3,4\n"), 2, "column 'movieId': \"2.5\" is not an integer");
  expect_error(write(header + "1,2,three,4\n"), 2, "column 'rating': \"three\" is not a number");
  expect_error(write(header + "1,2,nan,4\n"), 2, "column 'rating': \"nan\" is not finite");
  expect_error(write(header + "1,2,0.4,4\n"), 2, "\"0.4\" is outside [0.5, 5]");
  expect_error(write(header + "1,2,0,4\n"), 2, "\"0\" is outside [0.5, 5]");
  expect_error(write(header + "\n1,2,3,4\n\n1,2,3,\n"), 5, "column 'timestamp': empty cell");
}

TEST_F(MovieLensFiles, CrlfAndBoundaryRatings) {
  const Ratings r =
      read_movielens_ratings(write("userId,movieId,rating,timestamp\r\n5,9,0.5,1\r\n5,8,5,2\r\n"));
  EXPECT_EQ(r.rating, (std::vector<float>{0.5f, 5.0f}));
  EXPECT_EQ(r.num_users, 1);
  EXPECT_EQ(r.num_items, 2);
}

// A synthetic set of n ratings over a few users and items.
Ratings make_ratings(std::int32_t n) {
  Ratings r;
  for (std::int32_t k = 0; k < n; ++k) {
    r.user.push_back(k % 7);
    r.item.push_back(k % 11);
    r.rating.push_back(0.5f * static_cast<float>(1 + k % 10));
  }
  r.num_users = 7;
  r.num_items = 11;
  return r;
}

// (user, item, rating) of every column, sorted.
template <class Scalar>
std::vector<std::tuple<Scalar, Scalar, Scalar>> triples(const Dataset<Scalar>& d) {
  std::vector<std::tuple<Scalar, Scalar, Scalar>> out;
  for (Index i = 0; i < d.size(); ++i)
    out.emplace_back(d.inputs(0, i), d.inputs(1, i), d.targets(0, i));
  std::sort(out.begin(), out.end());
  return out;
}

template <class Scalar>
class SplitRatings : public ::testing::Test {};
using ScalarTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(SplitRatings, ScalarTypes);

TYPED_TEST(SplitRatings, SizesShapesAndNames) {
  using Scalar = TypeParam;
  const Ratings r = make_ratings(1000);
  const auto [train, test] = split_ratings<Scalar>(r, 0.8, 1);
  EXPECT_EQ(train.size(), 800);
  EXPECT_EQ(test.size(), 200);
  EXPECT_EQ(train.inputs.rows(), 2);
  EXPECT_EQ(train.targets.rows(), 1);
  EXPECT_EQ(train.name, "movielens/train");
  EXPECT_EQ(test.name, "movielens/test");
  EXPECT_EQ(train.num_classes, 0);
  // round(0.8 · 1001) = 801 and round(0.5 · 3) = 2.
  EXPECT_EQ(split_ratings<Scalar>(make_ratings(1001), 0.8, 1).first.size(), 801);
  EXPECT_EQ(split_ratings<Scalar>(make_ratings(3), 0.5, 1).first.size(), 2);
  EXPECT_EQ(split_ratings<Scalar>(r, 0.0, 1).first.size(), 0);
  EXPECT_EQ(split_ratings<Scalar>(r, 1.0, 1).second.size(), 0);
}

TYPED_TEST(SplitRatings, IsAPartitionOfTheRatings) {
  using Scalar = TypeParam;
  const Ratings r = make_ratings(500);
  const auto [train, test] = split_ratings<Scalar>(r, 0.7, 42);
  Dataset<Scalar> all = split_ratings<Scalar>(r, 1.0, 0).first;
  auto parts = triples(train);
  const auto rest = triples(test);
  parts.insert(parts.end(), rest.begin(), rest.end());
  std::sort(parts.begin(), parts.end());
  EXPECT_EQ(parts, triples(all));
  std::vector<std::tuple<Scalar, Scalar, Scalar>> original;
  for (std::size_t k = 0; k < r.rating.size(); ++k)
    original.emplace_back(static_cast<Scalar>(r.user[k]), static_cast<Scalar>(r.item[k]),
                          static_cast<Scalar>(r.rating[k]));
  std::sort(original.begin(), original.end());
  EXPECT_EQ(parts, original);
}

TYPED_TEST(SplitRatings, DeterministicForASeedAndDifferentAcrossSeeds) {
  using Scalar = TypeParam;
  const Ratings r = make_ratings(300);
  const auto a = split_ratings<Scalar>(r, 0.5, 7);
  const auto b = split_ratings<Scalar>(r, 0.5, 7);
  const auto c = split_ratings<Scalar>(r, 0.5, 8);
  EXPECT_EQ(a.first.inputs, b.first.inputs);
  EXPECT_EQ(a.first.targets, b.first.targets);
  EXPECT_EQ(a.second.inputs, b.second.inputs);
  EXPECT_NE(a.first.inputs, c.first.inputs);
  // Shuffled: the training half is not simply the first 150 ratings of the file.
  Matrix<Scalar> file_order(2, 150);
  for (Index i = 0; i < 150; ++i) {
    file_order(0, i) = static_cast<Scalar>(r.user[static_cast<std::size_t>(i)]);
    file_order(1, i) = static_cast<Scalar>(r.item[static_cast<std::size_t>(i)]);
  }
  EXPECT_NE(a.first.inputs, file_order);
  // The training set of a smaller fraction is a prefix of the larger one's (same shuffle).
  EXPECT_EQ(split_ratings<Scalar>(r, 0.2, 7).first.inputs, a.first.inputs.leftCols(60));
}

TEST(SplitRatings, FisherYatesOrderIsPinned) {
  // The order depends only on curvopt::Rng, so it is the same on every platform; pin it.
  Ratings r = make_ratings(5);
  r.num_users = 5;
  for (std::int32_t k = 0; k < 5; ++k) r.user[static_cast<std::size_t>(k)] = k;
  const auto [train, test] = split_ratings<double>(r, 0.6, 2024);
  std::vector<double> order;
  for (Index i = 0; i < train.size(); ++i) order.push_back(train.inputs(0, i));
  for (Index i = 0; i < test.size(); ++i) order.push_back(test.inputs(0, i));
  std::vector<double> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<double>{0, 1, 2, 3, 4}));
  // Recompute the expected permutation with the same Fisher-Yates loop over Rng(2024).
  std::vector<double> expected = {0, 1, 2, 3, 4};
  Rng rng(2024);
  for (std::size_t i = expected.size(); i > 1; --i)
    std::swap(expected[i - 1], expected[static_cast<std::size_t>(rng.uniform_int(i))]);
  EXPECT_EQ(order, expected);
}

TEST(SplitRatings, InvalidArguments) {
  const Ratings r = make_ratings(10);
  EXPECT_THROW(split_ratings<float>(r, -0.1, 0), ConfigError);
  EXPECT_THROW(split_ratings<float>(r, 1.5, 0), ConfigError);
  EXPECT_THROW(split_ratings<float>(r, std::nan(""), 0), ConfigError);
  Ratings ragged = r;
  ragged.item.pop_back();
  EXPECT_THROW(split_ratings<float>(ragged, 0.5, 0), ShapeError);
  Ratings out_of_range = r;
  out_of_range.item[3] = 11;
  try {
    split_ratings<double>(out_of_range, 0.5, 0);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("rating 3: item index 11 is out of range [0, 11)"),
              std::string::npos)
        << e.what();
  }
  Ratings many = r;
  many.num_users = (Index{1} << 24) + 1;
  EXPECT_THROW(split_ratings<float>(many, 0.5, 0), ValueError);
  EXPECT_NO_THROW(split_ratings<double>(many, 0.5, 0));
}

TEST(MovieLensRealData, RatingsSmall) {
  const fs::path path = testing::real_data_file("movielens/ratings_small.csv");
  if (path.empty())
    GTEST_SKIP() << "ratings_small.csv not in the data directory (scripts/fetch_data)";
  const Ratings r = read_movielens_ratings(path);
  EXPECT_EQ(r.size(), 100004);
  EXPECT_EQ(r.num_users, 671);
  EXPECT_EQ(r.num_items, 9066);
  EXPECT_EQ(r.user_ids[0], 1);
  EXPECT_EQ(r.item_ids[0], 31);
  EXPECT_EQ(r.rating[0], 2.5f);
  const auto [train, test] = split_ratings<float>(r, 0.9, 0);
  EXPECT_EQ(train.size() + test.size(), 100004);
}

}  // namespace
}  // namespace curvopt

#include "curvopt/data/movielens.h"

#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <unordered_map>

#include "curvopt/core/errors.h"
#include "curvopt/core/random.h"
#include "curvopt/data/csv.h"

namespace curvopt {
namespace {

const std::vector<std::string> kHeader = {"userId", "movieId", "rating", "timestamp"};

// Dense index of `id`, assigning the next one on first appearance.
std::int32_t dense_index(std::unordered_map<std::int64_t, std::int32_t>& map,
                         std::vector<std::int64_t>& ids, std::int64_t id, const CsvTokenizer& csv,
                         const char* what) {
  const auto [it, inserted] = map.try_emplace(id, static_cast<std::int32_t>(ids.size()));
  if (inserted) {
    if (ids.size() == static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
      csv.fail(csv.line(), std::string("too many distinct ") + what + " for 32-bit indices");
    ids.push_back(id);
  }
  return it->second;
}

}  // namespace

Ratings read_movielens_ratings(const std::filesystem::path& path) {
  CsvTokenizer csv(path);
  std::vector<std::string> cells;
  if (!csv.next(cells)) csv.fail(1, "empty file");
  const std::size_t header_line = csv.line();
  if (cells != kHeader) {
    std::string found;
    for (std::size_t j = 0; j < cells.size(); ++j) found += (j > 0 ? "," : "") + cells[j];
    csv.fail(header_line,
             "expected the header 'userId,movieId,rating,timestamp', found '" + found + "'");
  }

  Ratings ratings;
  std::unordered_map<std::int64_t, std::int32_t> users;
  std::unordered_map<std::int64_t, std::int32_t> items;
  while (csv.next(cells)) {
    const std::size_t line = csv.line();
    if (cells.size() != kHeader.size())
      csv.fail(line, std::to_string(cells.size()) +
                         " cells, expected 4 (userId,movieId,rating,timestamp)");
    const std::int64_t user_id = csv.parse_integer(cells[0], line, "userId");
    const std::int64_t item_id = csv.parse_integer(cells[1], line, "movieId");
    const float rating = csv.parse_number<float>(cells[2], line, "rating");
    if (!(rating >= 0.5f && rating <= 5.0f))
      csv.fail(line, "column 'rating': \"" + cells[2] + "\" is outside [0.5, 5]");
    csv.parse_integer(cells[3], line, "timestamp");
    ratings.user.push_back(dense_index(users, ratings.user_ids, user_id, csv, "users"));
    ratings.item.push_back(dense_index(items, ratings.item_ids, item_id, csv, "movies"));
    ratings.rating.push_back(rating);
  }
  if (ratings.rating.empty()) csv.fail(header_line, "no ratings after the header");
  ratings.num_users = static_cast<Index>(ratings.user_ids.size());
  ratings.num_items = static_cast<Index>(ratings.item_ids.size());
  return ratings;
}

template <class Scalar>
std::pair<Dataset<Scalar>, Dataset<Scalar>> split_ratings(const Ratings& ratings,
                                                          double train_fraction,
                                                          std::uint64_t seed) {
  if (!(train_fraction >= 0.0 && train_fraction <= 1.0))
    throw ConfigError("split_ratings: train_fraction = " + std::to_string(train_fraction) +
                      ": must be in [0, 1]");
  const std::size_t n = ratings.rating.size();
  if (ratings.user.size() != n || ratings.item.size() != n)
    throw ShapeError("split_ratings: " + std::to_string(ratings.user.size()) + " users, " +
                     std::to_string(ratings.item.size()) + " items and " + std::to_string(n) +
                     " ratings: the three must have the same length");
  constexpr Index kExactLimit = Index{1} << std::numeric_limits<Scalar>::digits;
  if (ratings.num_users > kExactLimit || ratings.num_items > kExactLimit)
    throw ValueError("split_ratings: " + std::to_string(ratings.num_users) + " users and " +
                     std::to_string(ratings.num_items) + " items: indices above " +
                     std::to_string(kExactLimit) + " are not exact in this scalar type");
  for (std::size_t k = 0; k < n; ++k) {
    if (ratings.user[k] < 0 || ratings.user[k] >= ratings.num_users)
      throw ValueError("split_ratings: rating " + std::to_string(k) + ": user index " +
                       std::to_string(ratings.user[k]) + " is out of range [0, " +
                       std::to_string(ratings.num_users) + ")");
    if (ratings.item[k] < 0 || ratings.item[k] >= ratings.num_items)
      throw ValueError("split_ratings: rating " + std::to_string(k) + ": item index " +
                       std::to_string(ratings.item[k]) + " is out of range [0, " +
                       std::to_string(ratings.num_items) + ")");
  }

  // Fisher–Yates with curvopt's Rng, so the split depends only on the seed.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  Rng rng(seed);
  for (std::size_t i = n; i > 1; --i) {
    const auto j = static_cast<std::size_t>(rng.uniform_int(i));
    std::swap(order[i - 1], order[j]);
  }
  const auto num_train =
      std::min(n, static_cast<std::size_t>(std::llround(train_fraction * static_cast<double>(n))));

  const auto make = [&](std::size_t begin, std::size_t end, const char* name) {
    Dataset<Scalar> dataset;
    dataset.name = name;
    const auto size = static_cast<Index>(end - begin);
    dataset.inputs.resize(2, size);
    dataset.targets.resize(1, size);
    for (std::size_t k = begin; k < end; ++k) {
      const std::size_t r = order[k];
      const auto col = static_cast<Index>(k - begin);
      dataset.inputs(0, col) = static_cast<Scalar>(ratings.user[r]);
      dataset.inputs(1, col) = static_cast<Scalar>(ratings.item[r]);
      dataset.targets(0, col) = static_cast<Scalar>(ratings.rating[r]);
    }
    return dataset;
  };
  return {make(0, num_train, "movielens/train"), make(num_train, n, "movielens/test")};
}

template std::pair<Dataset<float>, Dataset<float>> split_ratings<float>(const Ratings&, double,
                                                                        std::uint64_t);
template std::pair<Dataset<double>, Dataset<double>> split_ratings<double>(const Ratings&, double,
                                                                           std::uint64_t);

}  // namespace curvopt

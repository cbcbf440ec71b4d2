#pragma once
/// Reader for MovieLens rating files (ml-latest-small's ratings.csv layout) and a seeded split.

#include <cstdint>
#include <filesystem>
#include <utility>
#include <vector>

#include "curvopt/core/types.h"
#include "curvopt/data/dataset.h"

namespace curvopt {

/// Ratings with users and movies renumbered densely, in order of first appearance in the file.
struct Ratings {
  std::vector<std::int32_t> user;  ///< dense user index in [0, num_users), one per rating
  std::vector<std::int32_t> item;  ///< dense movie index in [0, num_items), one per rating
  std::vector<float> rating;       ///< the rating, in [0.5, 5]
  Index num_users = 0;
  Index num_items = 0;
  std::vector<std::int64_t> user_ids;  ///< the file's userId of each dense user index
  std::vector<std::int64_t> item_ids;  ///< the file's movieId of each dense movie index

  Index size() const { return static_cast<Index>(rating.size()); }
};

/// Reads a MovieLens CSV with the header `userId,movieId,rating,timestamp` (ml-latest-small's
/// ratings.csv, ratings_small.csv): integer ids, a rating in [0.5, 5], an integer timestamp
/// (checked, not kept). User and movie ids are remapped to 0 … U − 1 and 0 … I − 1 in order of
/// first appearance.
///
/// Throws ValueError naming the file and the 1-based line (and column) for: a missing or empty
/// file, a different header, a line without exactly 4 cells, a non-integer id or timestamp, a
/// non-numeric rating or one outside [0.5, 5], and a file without ratings.
Ratings read_movielens_ratings(const std::filesystem::path& path);

/// Shuffles the ratings with a Fisher–Yates shuffle driven by Rng(seed) (the same split on
/// every platform) and returns (train, test): the first round(train_fraction · N) shuffled
/// ratings, then the rest. Each dataset has `inputs` 2 × n (row 0 the user index, row 1 the movie
/// index, exact in Scalar) and `targets` 1 × n (the rating); names are "movielens/train" and
/// "movielens/test".
///
/// Throws ConfigError when train_fraction is not in [0, 1]; ShapeError when the vectors of
/// `ratings` differ in length; ValueError when an index is out of [0, num_users) or
/// [0, num_items), or when float cannot hold the indices exactly (more than 2^24).
/// @tparam Scalar float or double
template <class Scalar>
std::pair<Dataset<Scalar>, Dataset<Scalar>> split_ratings(const Ratings& ratings,
                                                          double train_fraction,
                                                          std::uint64_t seed);

extern template std::pair<Dataset<float>, Dataset<float>> split_ratings<float>(const Ratings&,
                                                                               double,
                                                                               std::uint64_t);
extern template std::pair<Dataset<double>, Dataset<double>> split_ratings<double>(const Ratings&,
                                                                                  double,
                                                                                  std::uint64_t);

}  // namespace curvopt

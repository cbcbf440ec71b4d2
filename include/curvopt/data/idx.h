#pragma once
/// Reader for the idx format of MNIST and Fashion-MNIST, raw or gzip-compressed.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "curvopt/core/types.h"
#include "curvopt/data/dataset.h"

namespace curvopt {

/// The contents of an unsigned-byte idx file: its dimensions (outermost first, as stored) and
/// its values in the file's row-major order.
struct IdxArray {
  std::vector<std::uint32_t> dims;  ///< e.g. {60000, 28, 28} for MNIST's training images
  std::vector<std::uint8_t> data;   ///< product(dims) bytes, last dimension fastest
};

/// Reads an idx file of unsigned bytes (data type 0x08) with 1 to 4 dimensions: a big-endian
/// magic {0, 0, 0x08, number of dimensions}, one big-endian uint32 per dimension, then the data
/// (MNIST images have magic 0x00000803, labels 0x00000801). A file that starts with the gzip magic
/// 0x1f 0x8b is decompressed on the fly (streaming, any size, concatenated members allowed).
///
/// Throws ValueError naming the file and a byte offset (of the decompressed data for gzip files)
/// when the file is missing, unreadable or empty, has the wrong magic (the message shows the
/// bytes found and the expected layout), an unsupported data type or number of dimensions, a
/// truncated header or data (expected vs actual size), trailing bytes after the data, or a
/// corrupt gzip stream (offset into the compressed file).
IdxArray read_idx(const std::filesystem::path& path);

/// Loads an image/label idx pair as a classification dataset: `inputs` is (pixels per image × N)
/// with pixel/255 in [0, 1], one image per column in the file's row-major pixel order; `targets`
/// is 1 × N holding class indices; `num_classes` as given.
///
/// The image file needs 2 to 4 dimensions (N × rows × cols for MNIST), the label file exactly
/// one (N). Throws ValueError naming the file and byte offset when either file is bad (see
/// read_idx), when the two counts of examples differ, or when a label is ≥ num_classes (the
/// message gives the example index); ConfigError when num_classes is not in [1, 256].
/// @tparam Scalar float or double
template <class Scalar>
Dataset<Scalar> load_idx_classification(const std::filesystem::path& images,
                                        const std::filesystem::path& labels, std::string name,
                                        Index num_classes = 10);

extern template Dataset<float> load_idx_classification<float>(const std::filesystem::path&,
                                                              const std::filesystem::path&,
                                                              std::string, Index);
extern template Dataset<double> load_idx_classification<double>(const std::filesystem::path&,
                                                                const std::filesystem::path&,
                                                                std::string, Index);

}  // namespace curvopt

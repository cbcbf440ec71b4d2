#pragma once
/// Model files: a Sequential model's architecture and trained weights in one versioned,
/// checksummed file (format in docs/model_file.md).

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "curvopt/core/shape.h"
#include "curvopt/nn/sequential.h"

namespace curvopt {

/// Named text entries stored with a model: keys of letters, digits, '_' and '.', values of one
/// line (no line breaks), in the order written.
using ModelMetadata = std::vector<std::pair<std::string, std::string>>;

/// What a model file holds, read without building the model.
struct ModelFileInfo {
  int format_version = 0;
  std::string precision;  ///< "float32" or "float64": the Scalar the weights were written in
  Shape input_shape;
  /// One entry per layer: the type, then its config words ("Dense units=10").
  std::vector<std::string> layers;
  Index num_parameters = 0;
  /// What the writer stored beside the network (format version 2): for a model trained on a
  /// user's own data, the feature columns, the target and the standardization (DataSchema in
  /// curvopt/data/data_schema.h reads and writes these entries). Empty in version 1 files.
  ModelMetadata metadata;
};

/// The newest format version this build reads and writes: 2 when metadata is stored, else 1 (so
/// files without metadata stay readable by older builds).
inline constexpr int kModelFileVersion = 2;

/// Writes `model`'s architecture and its own parameter vector (model.parameters()) to `file`,
/// atomically, with `metadata`. Throws Error naming the file when it cannot be written, and
/// ValueError for a metadata key or value that cannot be stored.
template <class Scalar>
void save_model(const std::filesystem::path& file, const Sequential<Scalar>& model,
                const ModelMetadata& metadata = {});

/// Reads and checks a model file's header and checksum. Throws ValueError naming the file and
/// the problem: not a model file, a newer format version, a truncated file, a checksum mismatch
/// (a flipped bit anywhere), trailing bytes, or a header line that does not parse.
ModelFileInfo read_model_info(const std::filesystem::path& file);

/// Builds the model a file describes, with its weights. Weights written in the other precision
/// are converted (float64 → float32 rounds to nearest). Throws ValueError as read_model_info(),
/// and for layers that cannot be rebuilt.
template <class Scalar>
Sequential<Scalar> load_model(const std::filesystem::path& file);

/// Loads a file's weights into an existing model, which must have exactly the file's
/// architecture; otherwise throws ValueError naming the file and the first difference.
template <class Scalar>
void load_model_parameters(const std::filesystem::path& file, Sequential<Scalar>& model);

/// The layer descriptions of `model` as a model file stores them.
template <class Scalar>
std::vector<std::string> describe_layers(const Sequential<Scalar>& model);

extern template void save_model<float>(const std::filesystem::path&, const Sequential<float>&,
                                       const ModelMetadata&);
extern template void save_model<double>(const std::filesystem::path&, const Sequential<double>&,
                                        const ModelMetadata&);
extern template Sequential<float> load_model<float>(const std::filesystem::path&);
extern template Sequential<double> load_model<double>(const std::filesystem::path&);
extern template void load_model_parameters<float>(const std::filesystem::path&, Sequential<float>&);
extern template void load_model_parameters<double>(const std::filesystem::path&,
                                                   Sequential<double>&);
extern template std::vector<std::string> describe_layers<float>(const Sequential<float>&);
extern template std::vector<std::string> describe_layers<double>(const Sequential<double>&);

}  // namespace curvopt

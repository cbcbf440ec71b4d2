#pragma once
/// Reader and writer of NumPy's .npy array files (what numpy.save writes), for training on a
/// user's own arrays. Examples are columns, as everywhere in curvopt.

#include <filesystem>
#include <string>
#include <vector>

#include "curvopt/core/types.h"

namespace curvopt {

/// What an .npy file's header says about its array.
struct NpyHeader {
  /// The element type as the file spells it, e.g. "<f4" or "|u1".
  std::string dtype;
  /// Whether the data are stored in Fortran (column-major) order rather than C order.
  bool fortran_order = false;
  /// The array's dimensions, outermost first; never empty (0-d arrays are refused).
  std::vector<Index> shape;
};

/// Reads and checks the header of an .npy file without reading its data: format version 1.0,
/// 2.0 or 3.0; a header dict with exactly the keys 'descr', 'fortran_order' and 'shape' (any
/// order, either quote style, a trailing comma and Python 2's 'L' suffixes allowed); a supported
/// dtype (f2, f4, f8, i1, i2, i4, i8, u1, u2, u4, u8 or b1, with byte order '<', '>', '|', '='
/// or none); at least one dimension, and a shape whose sizes fit in Index (also the data's size
/// in bytes). For a regular file it also checks that the file holds exactly the data the header
/// describes (its size only; the data are not read).
///
/// Throws ValueError "<file>: byte <offset>: <why>" when the file is missing or unreadable, is
/// not an .npy file (wrong magic; a .npz zip archive is named as such), has an unsupported
/// version, a truncated or malformed header (naming the key at fault), an unsupported dtype
/// (named, with its kind: object, complex, string, structured, datetime...), a 0-d array, a
/// shape too large to address, or data shorter or longer than the shape needs (bytes expected
/// and found).
NpyHeader read_npy_header(const std::filesystem::path& file);

/// Reads an .npy array as examples: an array of shape (N, d1, d2, ...) becomes a
/// (d1·d2·… × N) matrix whose column i is the array's row i flattened in C order, whichever
/// order the file stores (Fortran-order files are rearranged); shape (N,) becomes 1 × N. An
/// array with N = 0 gives an empty (d1·d2·… × 0) matrix, and one with a zero inner dimension a
/// 0 × N matrix. Each element is converted exactly: half floats, floats and integers become
/// Scalar unchanged; f8 into float rounds once. The data are read in one pass straight into the
/// result (plus a small fixed buffer). `header`, when given, receives the file's header.
///
/// Throws ValueError as read_npy_header() does, and "<file>: byte <offset>: element [i, j, ...]:
/// <why>" naming the array's index of the first bad element: NaN or infinite, an integer that
/// Scalar cannot hold exactly (e.g. 16777217 as float), an f8 value beyond Scalar's range (f8
/// into float; rounding towards zero is accepted), or a b1 byte other than 0 or 1.
/// @tparam Scalar float or double
template <class Scalar>
Matrix<Scalar> read_npy(const std::filesystem::path& file, NpyHeader* header = nullptr);

/// Writes `examples` (one example per column) as an .npy file numpy.load reads back: dtype '<f4'
/// for float or '<f8' for double, C order, shape (N,) when the matrix has one row and
/// (N, rows) otherwise, so read_npy() returns the same matrix bit for bit. The version 1.0
/// header is padded so the data start at a multiple of 64 bytes. Values are written as they are
/// (read_npy() refuses NaN and infinities, numpy does not). The file is replaced atomically (see
/// write_file_atomically); on failure Error names the file and the system's reason.
/// @tparam Scalar float or double
template <class Scalar>
void write_npy(const std::filesystem::path& file, ConstMatrixRef<Scalar> examples);

extern template Matrix<float> read_npy<float>(const std::filesystem::path&, NpyHeader*);
extern template Matrix<double> read_npy<double>(const std::filesystem::path&, NpyHeader*);
extern template void write_npy<float>(const std::filesystem::path&, ConstMatrixRef<float>);
extern template void write_npy<double>(const std::filesystem::path&, ConstMatrixRef<double>);

}  // namespace curvopt

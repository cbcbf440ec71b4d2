#pragma once
/// Exceptions thrown on misuse. Numerical trouble inside an algorithm is reported through
/// status values instead (see the optimizer reports); these are for bad input and bad calls.

#include <stdexcept>
#include <string>

namespace curvopt {

/// Base class of every exception curvopt throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An input, output or parameter vector has the wrong dimensions.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// A value is out of its domain: NaN/Inf in data, an index out of range, a bad label.
class ValueError : public Error {
 public:
  using Error::Error;
};

/// An options struct or constructor argument is invalid.
class ConfigError : public Error {
 public:
  using Error::Error;
};

}  // namespace curvopt

#pragma once
// The header of an .npy file is a Python literal (a dict of strings, booleans and tuples of
// integers); this parses the subset numpy writes and a little more, for npy.cpp only.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "curvopt/core/errors.h"

namespace curvopt::npy_detail {

namespace fs = std::filesystem;

constexpr int kMaxNesting = 32;  // of tuples, lists and dicts

[[noreturn]] inline void fail(const fs::path& file, std::uint64_t offset, const std::string& why) {
  throw ValueError(file.string() + ": byte " + std::to_string(offset) + ": " + why);
}

inline std::string hex_bytes(const unsigned char* bytes, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    char buffer[4];
    std::snprintf(buffer, sizeof buffer, "%02X", bytes[i]);
    if (i > 0) out += ' ';
    out += buffer;
  }
  return out;
}

struct PyValue {
  enum class Kind { kString, kInteger, kTrue, kFalse, kNone, kTuple, kList, kDict };
  Kind kind = Kind::kNone;
  std::size_t at = 0;          // offset in the header text
  std::string text;            // a string's contents, or an integer's sign and digits
  std::vector<PyValue> items;  // a tuple's or list's elements; a dict's keys and values in turn
};

inline const char* kind_name(PyValue::Kind kind) {
  switch (kind) {
    case PyValue::Kind::kString:
      return "a string";
    case PyValue::Kind::kInteger:
      return "an integer";
    case PyValue::Kind::kTrue:
      return "True";
    case PyValue::Kind::kFalse:
      return "False";
    case PyValue::Kind::kNone:
      return "None";
    case PyValue::Kind::kTuple:
      return "a tuple";
    case PyValue::Kind::kList:
      return "a list";
    case PyValue::Kind::kDict:
      return "a dict";
  }
  return "a value";
}

inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_name(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

inline std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  return "byte 0x" + hex_bytes(&u, 1);
}

class HeaderParser {
 public:
  HeaderParser(std::string_view text, const fs::path& file, std::uint64_t base)
      : text_(text), file_(file), base_(base) {}

  // The whole header: one dict, then only whitespace (numpy pads with spaces and a newline).
  PyValue parse() {
    skip_space();
    if (pos_ == text_.size()) error(pos_, "the header is empty, expected a dict");
    if (text_[pos_] != '{')
      error(pos_, "expected a dict starting with '{', found " + describe_char(text_[pos_]));
    PyValue dict = value(0);
    skip_space();
    if (pos_ < text_.size())
      error(pos_, "unexpected " + describe_char(text_[pos_]) + " after the header dict");
    return dict;
  }

 private:
  [[noreturn]] void error(std::size_t at, const std::string& why) const {
    fail(file_, base_ + at,
         "malformed header: " + why + (key_.empty() ? "" : " (in the value of '" + key_ + "')"));
  }

  void skip_space() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }

  // The next non-space character, or an error naming what was expected.
  char peek(const char* expected) {
    skip_space();
    if (pos_ == text_.size())
      error(pos_, std::string("the header ends where ") + expected + " was expected");
    return text_[pos_];
  }

  PyValue value(int depth) {
    if (depth > kMaxNesting) error(pos_, "values nested more than 32 deep");
    const char c = peek("a value");
    PyValue v;
    v.at = pos_;
    if (c == '{') {
      v.kind = PyValue::Kind::kDict;
      ++pos_;
      const std::string outer_key = key_;
      if (peek("a key or '}'") == '}') {
        ++pos_;
        return v;
      }
      for (;;) {
        key_ = outer_key;
        PyValue key = value(depth + 1);
        if (key.kind != PyValue::Kind::kString)
          error(key.at, std::string("dict keys must be strings, found ") + kind_name(key.kind));
        if (peek("':'") != ':')
          error(pos_, "expected ':' after the key '" + key.text + "', found " +
                          describe_char(text_[pos_]));
        ++pos_;
        if (depth == 0) key_ = key.text;
        PyValue item = value(depth + 1);
        key_ = outer_key;
        const std::string after = "after the value of '" + key.text + "'";
        v.items.push_back(std::move(key));
        v.items.push_back(std::move(item));
        const char next = peek(("',' or '}' " + after).c_str());
        if (next == '}') {
          ++pos_;
          break;
        }
        if (next != ',')
          error(pos_, "expected ',' or '}' " + after + ", found " + describe_char(next));
        ++pos_;
        if (peek("a key or '}'") == '}') {
          ++pos_;
          break;
        }
      }
      key_ = outer_key;
      return v;
    }
    if (c == '(' || c == '[') {
      const char close = c == '(' ? ')' : ']';
      v.kind = c == '(' ? PyValue::Kind::kTuple : PyValue::Kind::kList;
      ++pos_;
      bool comma = false;  // whether a comma followed the last element
      while (peek(c == '(' ? "a value or ')'" : "a value or ']'") != close) {
        v.items.push_back(value(depth + 1));
        const char next = peek(c == '(' ? "',' or ')'" : "',' or ']'");
        comma = next == ',';
        if (comma) {
          ++pos_;
        } else if (next != close) {
          error(pos_, std::string("expected ',' or '") + close + "', found " + describe_char(next));
        }
      }
      ++pos_;
      // (3) is the integer 3 in Python, not a tuple; (3,) is a tuple.
      if (v.kind == PyValue::Kind::kTuple && v.items.size() == 1 && !comma) {
        PyValue inner = std::move(v.items.front());
        inner.at = v.at;
        return inner;
      }
      return v;
    }
    if (c == '\'' || c == '"' ||
        ((c == 'u' || c == 'U') && pos_ + 1 < text_.size() &&
         (text_[pos_ + 1] == '\'' || text_[pos_ + 1] == '"'))) {
      if (c == 'u' || c == 'U') ++pos_;
      v.kind = PyValue::Kind::kString;
      v.text = string_literal();
      return v;
    }
    if (is_digit(c) || c == '-' || c == '+') {
      v.kind = PyValue::Kind::kInteger;
      if (c == '-') v.text += '-';
      if (c == '-' || c == '+') {
        ++pos_;
        skip_space();
      }
      const std::size_t start = pos_;
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
      if (pos_ == start) error(v.at, "expected digits after the sign");
      // Strip leading zeros so that the digits compare by length.
      std::size_t first = start;
      while (first + 1 < pos_ && text_[first] == '0') ++first;
      v.text.append(text_.substr(first, pos_ - first));
      if (v.text == "-0") v.text = "0";
      if (pos_ < text_.size() && (text_[pos_] == 'L' || text_[pos_] == 'l')) ++pos_;  // Python 2
      if (pos_ < text_.size() && (is_name(text_[pos_]) || text_[pos_] == '.'))
        error(v.at, "malformed number '" + std::string(text_.substr(v.at, pos_ + 1 - v.at)) +
                        "', expected an integer");
      return v;
    }
    if (is_name(c)) {
      const std::size_t start = pos_;
      while (pos_ < text_.size() && is_name(text_[pos_])) ++pos_;
      const std::string_view name = text_.substr(start, pos_ - start);
      if (name == "True") {
        v.kind = PyValue::Kind::kTrue;
      } else if (name == "False") {
        v.kind = PyValue::Kind::kFalse;
      } else if (name == "None") {
        v.kind = PyValue::Kind::kNone;
      } else {
        error(start, "unexpected name '" + std::string(name) + "'");
      }
      return v;
    }
    error(pos_, "unexpected " + describe_char(c));
  }

  std::string string_literal() {
    const std::size_t start = pos_;
    const char quote = text_[pos_++];
    std::string out;
    for (;;) {
      if (pos_ == text_.size() || text_[pos_] == '\n') error(start, "unterminated string");
      const char c = text_[pos_++];
      if (c == quote) return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ == text_.size()) error(start, "unterminated string");
      const char e = text_[pos_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case '0':
          out += '\0';
          break;
        case '\\':
        case '\'':
        case '"':
          out += e;
          break;
        default:  // Python keeps unknown escapes as written
          out += '\\';
          out += e;
          break;
      }
    }
  }

  std::string_view text_;
  const fs::path& file_;
  std::uint64_t base_;
  std::size_t pos_ = 0;
  std::string key_;  // the top-level key whose value is being parsed, for messages
};

}  // namespace curvopt::npy_detail

#include "curvopt/fit/ode_expression.h"

#include <algorithm>
#include <cctype>

namespace curvopt {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f'; }
bool is_identifier_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The statement as it appears between quotes in a message: one line, shortened when long.
std::string quote(std::string_view text) {
  constexpr std::size_t kShown = 60;
  std::string out = "\"";
  for (char c : text.substr(0, kShown))
    out += std::isprint(static_cast<unsigned char>(c)) ? c : ' ';
  if (text.size() > kShown) out += "...";
  return out + "\"";
}

// The non-empty statements, trimmed: split at newlines, comments cut, then split at ';'.
std::vector<std::string_view> split_statements(std::string_view text) {
  std::vector<std::string_view> statements;
  while (!text.empty()) {
    const std::size_t newline = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(std::min(newline + 1, text.size()));
    line = line.substr(0, std::min(line.find('#'), line.size()));
    while (!line.empty()) {
      const std::size_t semicolon = std::min(line.find(';'), line.size());
      const std::string_view statement = trim(line.substr(0, semicolon));
      if (!statement.empty()) statements.push_back(statement);
      line.remove_prefix(std::min(semicolon + 1, line.size()));
    }
  }
  return statements;
}

// One statement's left side: the state it names and where its right side starts.
struct Statement {
  std::string_view text;
  std::string state;
  std::size_t rhs = 0;  // offset of the right side in text
};

[[noreturn]] void fail(std::size_t number, std::string_view statement, std::size_t pos,
                       std::string reason) {
  const int column = static_cast<int>(pos) + 1;
  const std::string message = "ode statement " + std::to_string(number) + " (" + quote(statement) +
                              ") column " + std::to_string(column) + ": " + reason;
  throw ExpressionError(message, column, std::move(reason));
}

Statement read_left_side(std::size_t number, std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size() && is_identifier_char(text[pos])) ++pos;
  if (pos < 2 || text[0] != 'd' || !is_identifier_start(text[1])) {
    const std::string left(trim(text.substr(0, std::min(text.find('='), text.size()))));
    fail(number, text, 0,
         left.empty() ? "missing the left side (expected d<state> = <expression>)"
                      : "left side '" + left + "' is not of the form d<state> (as in 'dx = -k*x')");
  }
  Statement s{text, std::string(text.substr(1, pos - 1)), 0};
  const std::size_t name_end = pos;
  while (pos < text.size() && is_space(text[pos])) ++pos;
  if (pos < text.size() && text[pos] == '/') {  // the dx/dt spelling
    std::size_t p = pos + 1;
    while (p < text.size() && is_space(text[p])) ++p;
    if (text.substr(p, 2) != "dt" || (p + 2 < text.size() && is_identifier_char(text[p + 2])))
      fail(number, text, p, "expected 'dt' after '/' in 'd" + s.state + "/dt'");
    for (pos = p + 2; pos < text.size() && is_space(text[pos]);) ++pos;
  }
  if (pos == text.size() || text[pos] != '=')
    fail(number, text, pos,
         "missing '=' after '" + std::string(text.substr(0, name_end)) +
             "' (expected d<state> = <expression>)");
  s.rhs = pos + 1;
  return s;
}

OdeExpressionSystem parse_system(std::string_view text, const std::vector<std::string>* given) {
  const std::vector<std::string_view> texts = split_statements(text);
  if (texts.empty())
    throw ValueError("ode system: no statements (expected equations such as 'dx = -k*x')");
  std::vector<Statement> statements;
  OdeExpressionSystem system;
  for (std::size_t k = 0; k < texts.size(); ++k) {
    Statement s = read_left_side(k + 1, texts[k]);
    if (s.state == "t") fail(k + 1, s.text, 0, "'dt' would make the time t a state");
    const auto earlier = std::find(system.states.begin(), system.states.end(), s.state);
    if (earlier != system.states.end())
      fail(k + 1, s.text, 0,
           "duplicate state '" + s.state + "' (its rate is given by statement " +
               std::to_string(earlier - system.states.begin() + 1) + ")");
    system.states.push_back(s.state);
    statements.push_back(std::move(s));
  }
  // The rates see [states..., t, parameters...]; states first so that a rate may use a state
  // whose own statement comes later.
  std::vector<std::string> symbols = system.states;
  symbols.push_back("t");
  if (given != nullptr) {
    for (std::size_t j = 0; j < given->size(); ++j) {
      const std::string& name = (*given)[j];
      if (name == "t") throw ValueError("ode system: parameter 't' is the time variable");
      if (std::find(given->begin(), given->begin() + static_cast<std::ptrdiff_t>(j), name) !=
          given->begin() + static_cast<std::ptrdiff_t>(j))
        throw ValueError("ode system: parameter '" + name + "' is listed twice");
      const auto state = std::find(system.states.begin(), system.states.end(), name);
      if (state != system.states.end()) {
        const std::size_t k = static_cast<std::size_t>(state - system.states.begin());
        fail(k + 1, statements[k].text, 1, "'" + name + "' is both a state and a parameter");
      }
      symbols.push_back(name);
    }
  }
  for (std::size_t k = 0; k < statements.size(); ++k) {
    const Statement& s = statements[k];
    const std::string_view rhs = s.text.substr(s.rhs);
    const int first = static_cast<int>(s.rhs) + 1;  // so that columns count in the statement
    try {
      system.rates.push_back(given != nullptr ? Expression::parse(rhs, symbols, first)
                                              : Expression::parse_collecting(rhs, symbols, first));
    } catch (const ExpressionError& e) {
      fail(k + 1, s.text, static_cast<std::size_t>(e.column()) - 1, e.reason());
    }
  }
  system.parameters.assign(symbols.begin() + static_cast<std::ptrdiff_t>(system.states.size() + 1),
                           symbols.end());
  return system;
}

}  // namespace

OdeExpressionSystem OdeExpressionSystem::parse(std::string_view text) {
  return parse_system(text, nullptr);
}

OdeExpressionSystem OdeExpressionSystem::parse(std::string_view text,
                                               const std::vector<std::string>& parameters) {
  return parse_system(text, &parameters);
}

std::string OdeExpressionSystem::to_string() const {
  std::string text;
  for (std::size_t i = 0; i < states.size(); ++i)
    text += (i ? "; d" : "d") + states[i] + " = " + rates[i].to_string();
  return text;
}

}  // namespace curvopt

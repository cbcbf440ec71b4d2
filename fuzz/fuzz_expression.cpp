// Fuzz target: model expressions and ODE systems as `curvopt fit --model/--ode` parses them. A
// parse may fail with ExpressionError (a ValueError); a parsed program must evaluate, on doubles
// and on dual numbers, without reading outside its stack or symbols.

#include <string>
#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/fit/expression.h"
#include "curvopt/fit/ode_expression.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    std::vector<std::string> symbols;
    const curvopt::Expression e = curvopt::Expression::parse_collecting(text, symbols);
    std::vector<double> values(symbols.size(), 0.5);
    std::vector<curvopt::Dual<double, 3>> duals(symbols.size(), curvopt::Dual<double, 3>(0.5, 1));
    (void)e.evaluate(values.data());
    (void)e.evaluate(duals.data());
    (void)curvopt::Expression::parse(e.to_string(), symbols);
  } catch (const curvopt::ValueError&) {
  }
  try {
    const curvopt::OdeExpressionSystem system = curvopt::OdeExpressionSystem::parse(text);
    std::vector<double> y(system.states.size(), 1.0), theta(system.parameters.size(), 0.1),
        dydt(system.states.size());
    (void)system(0.0, y.data(), theta.data(), dydt.data());
  } catch (const curvopt::ValueError&) {
  }
  return 0;
}

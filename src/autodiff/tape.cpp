#include "curvopt/autodiff/tape.h"

#include <algorithm>
#include <limits>
#include <string>

#include "curvopt/core/enum_names.h"
#include "curvopt/core/errors.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(AutoDiffMode, {AutoDiffMode::kAuto, "auto"}, {AutoDiffMode::kForward, "forward"},
                   {AutoDiffMode::kReverse, "reverse"})

void Tape::grow() {
  constexpr std::size_t kMaxNodes = std::numeric_limits<std::int32_t>::max();
  if (nodes_.size() >= kMaxNodes)
    throw ValueError("Tape: a recording of more than " + std::to_string(kMaxNodes) +
                     " operations does not fit the tape's 32-bit node indices");
  nodes_.reserve(std::min(kMaxNodes, std::max<std::size_t>(256, 2 * nodes_.size())));
}

namespace {

/// W outputs at once: adjoint k·W + w is ∂(output w)/∂(node k). Each node's adjoints are pushed
/// to its arguments once, newest first, so a node is complete when the sweep reaches it. Nodes
/// after the newest output cannot reach it: the sweep starts there (a block's residuals that
/// are recorded one after another each sweep only their own part of the tape, and below).
template <int W>
void sweep(const std::vector<Tape::Node>& nodes, const std::int32_t* outputs, Index n, double* rows,
           Index row_stride, Index col_stride, std::vector<double>& adjoints) {
  std::size_t size = static_cast<std::size_t>(n);
  for (int w = 0; w < W; ++w)
    size = std::max(size, static_cast<std::size_t>(std::max(outputs[w], std::int32_t{-1}) + 1));
  adjoints.assign(size * W, 0.0);
  double* adj = adjoints.data();
  for (int w = 0; w < W; ++w)
    if (outputs[w] >= 0) adj[static_cast<std::size_t>(outputs[w]) * W + w] = 1;
  for (std::size_t k = size; k-- > static_cast<std::size_t>(n);) {
    const double* a = adj + k * W;
    bool any = false;
    for (int w = 0; w < W; ++w) any |= a[w] != 0;
    if (!any) continue;
    const Tape::Node& node = nodes[k];
    for (int s = 0; s < 2; ++s) {
      if (node.arg[s] < 0) continue;
      double* target = adj + static_cast<std::size_t>(node.arg[s]) * W;
      const double p = node.partial[s];
      for (int w = 0; w < W; ++w) target[w] += p * a[w];
    }
  }
  for (int w = 0; w < W; ++w)
    for (Index j = 0; j < n; ++j) rows[w * row_stride + j * col_stride] = adj[j * W + w];
}

}  // namespace

void Tape::jacobian_rows(const std::int32_t* outputs, Index k, Index n, double* rows,
                         Index row_stride, Index col_stride, std::vector<double>& adjoints) const {
  if (n > size())
    throw ShapeError("Tape::jacobian_rows: " + std::to_string(n) + " inputs, but the tape holds " +
                     std::to_string(size()) + " nodes");
  // Up to four outputs share a sweep: the arguments' adjoints are then updated as short vectors
  // and the tape is read once per four rows.
  Index i = 0;
  for (; i + 4 <= k; i += 4)
    sweep<4>(nodes_, outputs + i, n, rows + i * row_stride, row_stride, col_stride, adjoints);
  for (; i + 2 <= k; i += 2)
    sweep<2>(nodes_, outputs + i, n, rows + i * row_stride, row_stride, col_stride, adjoints);
  for (; i < k; ++i)
    sweep<1>(nodes_, outputs + i, n, rows + i * row_stride, row_stride, col_stride, adjoints);
}

}  // namespace curvopt

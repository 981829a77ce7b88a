#include "server/stream/hungarian.h"

#include <limits>

namespace affect::stream {
namespace {

// The square-or-wide case: n rows <= m columns, every row assigned. 1-based
// arrays with a virtual column 0, as in the classic formulation.
std::vector<int> SolveWide(absl::Span<const double> costs, int n, int m, bool transposed) {
  const double kInf = std::numeric_limits<double>::infinity();
  auto cost = [&](int i, int j) {  // 1-based row i, column j
    return transposed ? costs[static_cast<size_t>(j - 1) * static_cast<size_t>(n) +
                              static_cast<size_t>(i - 1)]
                      : costs[static_cast<size_t>(i - 1) * static_cast<size_t>(m) +
                              static_cast<size_t>(j - 1)];
  };
  std::vector<double> u(static_cast<size_t>(n) + 1, 0.0), v(static_cast<size_t>(m) + 1, 0.0);
  std::vector<int> row_of(static_cast<size_t>(m) + 1, 0);  // column -> row (0: free)
  std::vector<int> way(static_cast<size_t>(m) + 1, 0);
  for (int i = 1; i <= n; ++i) {
    row_of[0] = i;
    int j0 = 0;
    std::vector<double> min_v(static_cast<size_t>(m) + 1, kInf);
    std::vector<bool> used(static_cast<size_t>(m) + 1, false);
    do {
      used[static_cast<size_t>(j0)] = true;
      const int i0 = row_of[static_cast<size_t>(j0)];
      double delta = kInf;
      int j1 = 0;
      for (int j = 1; j <= m; ++j) {
        if (used[static_cast<size_t>(j)]) continue;
        const double reduced = cost(i0, j) - u[static_cast<size_t>(i0)] - v[static_cast<size_t>(j)];
        if (reduced < min_v[static_cast<size_t>(j)]) {
          min_v[static_cast<size_t>(j)] = reduced;
          way[static_cast<size_t>(j)] = j0;
        }
        if (min_v[static_cast<size_t>(j)] < delta) {
          delta = min_v[static_cast<size_t>(j)];
          j1 = j;
        }
      }
      for (int j = 0; j <= m; ++j) {
        if (used[static_cast<size_t>(j)]) {
          u[static_cast<size_t>(row_of[static_cast<size_t>(j)])] += delta;
          v[static_cast<size_t>(j)] -= delta;
        } else {
          min_v[static_cast<size_t>(j)] -= delta;
        }
      }
      j0 = j1;
    } while (row_of[static_cast<size_t>(j0)] != 0);
    do {  // augment along the path
      const int j1 = way[static_cast<size_t>(j0)];
      row_of[static_cast<size_t>(j0)] = row_of[static_cast<size_t>(j1)];
      j0 = j1;
    } while (j0 != 0);
  }
  // Answer indexed by the caller's rows.
  const int answer_rows = transposed ? m : n;
  std::vector<int> answer(static_cast<size_t>(answer_rows), -1);
  for (int j = 1; j <= m; ++j) {
    const int i = row_of[static_cast<size_t>(j)];
    if (i == 0) continue;
    if (transposed) {
      answer[static_cast<size_t>(j - 1)] = i - 1;
    } else {
      answer[static_cast<size_t>(i - 1)] = j - 1;
    }
  }
  return answer;
}

}  // namespace

std::vector<int> SolveAssignment(absl::Span<const double> costs, int rows, int cols) {
  if (rows <= 0) return {};
  if (cols <= 0) return std::vector<int>(static_cast<size_t>(rows), -1);
  if (rows <= cols) return SolveWide(costs, rows, cols, /*transposed=*/false);
  // More rows than columns: solve the transpose (columns as rows).
  return SolveWide(costs, cols, rows, /*transposed=*/true);
}

}  // namespace affect::stream

// Minimum-cost assignment (Kuhn-Munkres, the "Hungarian" algorithm) for the
// face tracker: which detection continues which track.
//
// Pure function, thread-safe.
#ifndef AFFECT_SERVER_STREAM_HUNGARIAN_H_
#define AFFECT_SERVER_STREAM_HUNGARIAN_H_

#include <vector>

#include "absl/types/span.h"

namespace affect::stream {

// Assigns rows to columns so that every row gets a distinct column (or, when
// rows > cols, every column a distinct row) and the sum of the chosen costs
// is minimal. `costs` is row-major, rows x cols, finite. Returns, for each
// row, its column or -1 (a row left over when rows > cols).
//
// Shortest augmenting paths with vertex potentials, O(min(r, c)^2 max(r, c))
// (Jonker-Volgenant style, as in Burkard, Dell'Amico and Martello,
// "Assignment Problems", SIAM 2009, section 4.4). Deterministic: equal costs
// resolve the same way on every run. Forbidden pairs are given a large finite
// cost by the caller and removed from the answer afterwards.
std::vector<int> SolveAssignment(absl::Span<const double> costs, int rows, int cols);

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_HUNGARIAN_H_

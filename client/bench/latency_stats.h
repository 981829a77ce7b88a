// Exact latency statistics for affect-bench: every sample is kept and
// percentiles are read from the sorted samples (nearest rank), so there is
// no histogram binning error. A bench run holds at most a few million
// samples (8 bytes each); sorting them takes milliseconds.
#ifndef AFFECT_CLIENT_BENCH_LATENCY_STATS_H_
#define AFFECT_CLIENT_BENCH_LATENCY_STATS_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace affect::bench {

// Thread-compatible (the load generator guards it with its own mutex).
class LatencyStats {
 public:
  void Add(absl::Duration latency);
  void Merge(const LatencyStats& other);

  int64_t count() const { return static_cast<int64_t>(samples_ns_.size()); }

  // Nearest-rank percentile: the smallest sample such that at least p% of
  // all samples are <= it (p = 50: the median for odd counts, the lower
  // middle for even ones; p = 100: the maximum). p in (0, 100].
  // Zero when there are no samples.
  absl::Duration Percentile(double p) const;
  absl::Duration Min() const;
  absl::Duration Max() const;
  absl::Duration Mean() const;

 private:
  void Sort() const;

  mutable std::vector<int64_t> samples_ns_;
  mutable bool sorted_ = true;
};

}  // namespace affect::bench

#endif  // AFFECT_CLIENT_BENCH_LATENCY_STATS_H_

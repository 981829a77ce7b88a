#include "client/bench/latency_stats.h"

#include <algorithm>
#include <cmath>

namespace affect::bench {

void LatencyStats::Add(absl::Duration latency) {
  samples_ns_.push_back(absl::ToInt64Nanoseconds(latency));
  sorted_ = samples_ns_.size() <= 1 ||
            (sorted_ && samples_ns_[samples_ns_.size() - 2] <= samples_ns_.back());
}

void LatencyStats::Merge(const LatencyStats& other) {
  samples_ns_.insert(samples_ns_.end(), other.samples_ns_.begin(), other.samples_ns_.end());
  sorted_ = false;
}

void LatencyStats::Sort() const {
  if (!sorted_) {
    std::sort(samples_ns_.begin(), samples_ns_.end());
    sorted_ = true;
  }
}

absl::Duration LatencyStats::Percentile(double p) const {
  if (samples_ns_.empty()) return absl::ZeroDuration();
  Sort();
  const double n = static_cast<double>(samples_ns_.size());
  // Rank r = ceil(p/100 * n), 1-based, clamped to [1, n]. The small epsilon
  // keeps p = 90 of n = 10 at rank 9 despite 0.9 * 10 = 9.000000000000002.
  int64_t rank = static_cast<int64_t>(std::ceil(p / 100.0 * n - 1e-9));
  rank = std::clamp<int64_t>(rank, 1, static_cast<int64_t>(samples_ns_.size()));
  return absl::Nanoseconds(samples_ns_[static_cast<size_t>(rank - 1)]);
}

absl::Duration LatencyStats::Min() const {
  if (samples_ns_.empty()) return absl::ZeroDuration();
  Sort();
  return absl::Nanoseconds(samples_ns_.front());
}

absl::Duration LatencyStats::Max() const {
  if (samples_ns_.empty()) return absl::ZeroDuration();
  Sort();
  return absl::Nanoseconds(samples_ns_.back());
}

absl::Duration LatencyStats::Mean() const {
  if (samples_ns_.empty()) return absl::ZeroDuration();
  long double sum = 0;
  for (int64_t sample : samples_ns_) sum += sample;
  return absl::Nanoseconds(static_cast<int64_t>(sum / samples_ns_.size()));
}

}  // namespace affect::bench

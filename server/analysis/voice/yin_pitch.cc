#include "server/analysis/voice/yin_pitch.h"

#include <algorithm>
#include <cmath>

namespace affect {

YinPitchTracker::YinPitchTracker(const YinOptions& options)
    : options_(options),
      min_lag_(std::max(2, static_cast<int>(std::floor(options.sample_rate_hz / options.max_hz)))),
      max_lag_(static_cast<int>(std::ceil(options.sample_rate_hz / options.min_hz))),
      difference_(static_cast<size_t>(max_lag_) + 2, 0.0f) {}

std::optional<PitchEstimate> YinPitchTracker::Estimate(absl::Span<const float> frame) {
  const int window = options_.window;
  const int last_lag = max_lag_ + 1;  // one past max_lag for the parabola
  const float* x = frame.data();
  float* d = difference_.data();
  d[0] = 0.0f;
  for (int tau = 1; tau <= last_lag; ++tau) {
    float sum = 0.0f;
    const float* shifted = x + tau;
    for (int j = 0; j < window; ++j) {
      const float delta = x[j] - shifted[j];
      sum += delta * delta;
    }
    d[tau] = sum;
  }
  // Cumulative mean normalisation, in place.
  d[0] = 1.0f;
  double running = 0.0;
  for (int tau = 1; tau <= last_lag; ++tau) {
    running += d[tau];
    d[tau] = running > 0.0 ? static_cast<float>(d[tau] * tau / running) : 1.0f;
  }
  int tau = min_lag_;
  while (tau <= max_lag_ && d[tau] >= options_.threshold) ++tau;
  if (tau > max_lag_) return std::nullopt;
  while (tau + 1 <= max_lag_ && d[tau + 1] < d[tau]) ++tau;

  // Parabola through (tau-1, a), (tau, b), (tau+1, c): vertex offset.
  const float a = d[tau - 1];
  const float b = d[tau];
  const float c = d[tau + 1];
  const float curvature = a - 2.0f * b + c;
  float offset = 0.0f;
  if (curvature > 0.0f) offset = std::clamp(0.5f * (a - c) / curvature, -0.5f, 0.5f);
  PitchEstimate estimate;
  estimate.frequency_hz =
      static_cast<float>(options_.sample_rate_hz) / (static_cast<float>(tau) + offset);
  estimate.aperiodicity = std::max(0.0f, b);
  return estimate;
}

}  // namespace affect

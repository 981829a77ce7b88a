// Fundamental frequency by YIN (de Cheveigne and Kawahara, "YIN, a
// fundamental frequency estimator for speech and music", JASA 2002).
//
// For a frame x of integration window W plus the largest lag:
//   d(tau)  = sum_{j < W} (x[j] - x[j + tau])^2             difference function
//   d'(tau) = d(tau) / ((1 / tau) * sum_{k=1..tau} d(k))     cumulative mean normalised
// The period is the first lag in [sr / max_hz, sr / min_hz] where d' dips
// below `threshold`, moved on to the bottom of that dip, refined by a
// parabola through d' at the lag and its neighbours. No dip below the
// threshold: the frame is unvoiced. d' at the dip is the frame's
// aperiodicity (0 for a perfectly periodic frame).
#ifndef AFFECT_SERVER_ANALYSIS_VOICE_YIN_PITCH_H_
#define AFFECT_SERVER_ANALYSIS_VOICE_YIN_PITCH_H_

#include <optional>
#include <vector>

#include "absl/types/span.h"

namespace affect {

struct YinOptions {
  int sample_rate_hz = 16000;
  float min_hz = 60.0f;
  float max_hz = 400.0f;
  float threshold = 0.15f;
  // Integration window W in samples (30 ms at 16 kHz).
  int window = 480;
};

struct PitchEstimate {
  float frequency_hz = 0.0f;
  float aperiodicity = 1.0f;
};

// Thread-compatible: holds scratch buffers, so use one per thread.
class YinPitchTracker {
 public:
  // REQUIRES: 0 < min_hz < max_hz, sample_rate_hz / max_hz >= 2,
  // 0 < threshold < 1, window > 0.
  explicit YinPitchTracker(const YinOptions& options);

  // Samples one estimate reads: window + max_lag + 1.
  int frame_length() const { return options_.window + max_lag_ + 1; }
  int min_lag() const { return min_lag_; }
  int max_lag() const { return max_lag_; }

  // The pitch of `frame`, or nullopt when unvoiced.
  // REQUIRES: frame.size() == frame_length().
  std::optional<PitchEstimate> Estimate(absl::Span<const float> frame);

 private:
  YinOptions options_;
  int min_lag_;
  int max_lag_;
  std::vector<float> difference_;  // d(tau), then d'(tau), for tau in [0, max_lag + 1]
};

}  // namespace affect

#endif  // AFFECT_SERVER_ANALYSIS_VOICE_YIN_PITCH_H_

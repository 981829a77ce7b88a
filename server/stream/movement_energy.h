// Movement energy of one tracked person: how fast their keypoints move,
// in body scales per second, averaged over a sliding window.
//
// THE RULE. For two consecutive poses of the track at t0 < t1 (a "step"):
//     B     = mean of the two poses' body scales (posture_cues.h: the larger
//             of shoulder width and torso length / 1.3), so that a person
//             near the camera does not seem to move more than one far away
//     d     = mean over the keypoints seen in both poses of |p1 - p0| / B
// and over the window (the steps that end in the last window_us):
//     energy = sum d / sum (t1 - t0)          body scales per second
// i.e. the time-weighted mean speed. A step is not measured when it is
// longer than max_step_us (1 s: frames were dropped or the person was lost,
// and a straight line between two far-apart poses says little), when either
// pose has no body scale, or when fewer than min_common_keypoints (4)
// keypoints are seen in both. level = min(1, energy / vigorous_energy)
// (1 body scale per second by default: about 0.4 m/s averaged over the
// whole body, lively gesturing; not yet calibrated on real streams).
//
// Keypoint jitter sets a floor: a still person reads a little above 0 (a
// 1 px wobble per frame on a 100 px body at 30 fps is 0.3 scales/s), so
// compare tracks and windows of the same stream rather than absolute values.
//
// Timestamps: stream time in microseconds, >= 0 and strictly increasing
// (INVALID_ARGUMENT otherwise; the tracker is unchanged).
//
// Memory: the steps in the window, at most max_steps (the oldest goes
// first).
//
// Not thread-safe: externally serialised with its stream.
#ifndef AFFECT_SERVER_STREAM_MOVEMENT_ENERGY_H_
#define AFFECT_SERVER_STREAM_MOVEMENT_ENERGY_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "absl/status/status.h"
#include "server/analysis/body/pose_types.h"
#include "server/analysis/body/posture_cues.h"

namespace affect::stream {

struct MovementEnergyOptions {
  // Keypoint score threshold and body-scale rule (posture_cues.h).
  analysis::PostureCueOptions pose;
  int64_t window_us = 2'000'000;    // [100 ms, 1 h]; StreamConfig's aggregate interval
  int64_t max_step_us = 1'000'000;  // (0, window_us]
  int min_common_keypoints = 4;     // [1, 17]
  float vigorous_energy = 1.0f;     // body scales per second, > 0
  size_t max_steps = 4096;          // >= 1
};

// INVALID_ARGUMENT naming the option when one is out of range.
absl::Status ValidateMovementEnergyOptions(const MovementEnergyOptions& options);

struct MovementEnergy {
  // Body scales per second; unset when no step was measured in the window.
  std::optional<float> energy;
  // min(1, energy / vigorous_energy); 0 when unset.
  float level = 0.0f;
  // The measured steps in the window and their total duration.
  int steps = 0;
  double measured_seconds = 0.0;
};

class MovementEnergyTracker {
 public:
  // REQUIRES: ValidateMovementEnergyOptions(options).ok().
  explicit MovementEnergyTracker(const MovementEnergyOptions& options);

  // Adds the track's pose at `timestamp_us`.
  absl::Status Add(int64_t timestamp_us, const analysis::PersonPose& pose);

  // The energy over the window ending at the last pose.
  MovementEnergy Energy() const;

  size_t steps_held() const { return steps_.size(); }

 private:
  struct Step {
    int64_t end_us = 0;
    int64_t duration_us = 0;
    double displacement = 0.0;  // body scales
  };
  struct Previous {
    int64_t timestamp_us = 0;
    analysis::PersonPose pose;
    std::optional<float> scale;
  };

  std::optional<double> MeanDisplacement(const analysis::PersonPose& from,
                                         const analysis::PersonPose& to, float scale) const;

  MovementEnergyOptions options_;
  std::optional<Previous> previous_;
  std::deque<Step> steps_;
  // Sums over steps_.
  double displacement_sum_ = 0.0;
  int64_t duration_sum_us_ = 0;
};

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_MOVEMENT_ENERGY_H_

// Leaning in or away needs a reference: the same person's usual size in the
// image. LeanTracker keeps one track's body scales (posture_cues.h BodyScale)
// over a trailing window and reports each new pose's lean against their
// median (analysis::LeanCue).
//
// WHY A TRAILING MEDIAN. A lean lasts seconds; sitting closer for good
// (moving the chair) should stop reading as leaning in. The median of the
// last window_us (30 s) ignores a lean shorter than half the window and
// absorbs a lasting change after about half of it; a fixed first-seconds
// baseline would call the moved chair "leaning" forever. The baseline is
// used once it holds min_poses (5) scales spanning min_span_us (3 s):
// before that the person's usual size is not known and no lean is
// reported. A pose is compared to the baseline before it joins it.
//
// Timestamps: >= 0 and strictly increasing (INVALID_ARGUMENT otherwise;
// the tracker is unchanged). Memory: the scales of the window, at most
// max_poses (the oldest goes first).
//
// Not thread-safe: externally serialised with its stream.
#ifndef AFFECT_SERVER_STREAM_LEAN_BASELINE_H_
#define AFFECT_SERVER_STREAM_LEAN_BASELINE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/analysis/body/pose_types.h"
#include "server/analysis/body/posture_cues.h"

namespace affect::stream {

struct LeanTrackerOptions {
  // Score threshold, body-scale rule and the lean ramps (posture_cues.h).
  analysis::PostureCueOptions pose;
  int64_t window_us = 30'000'000;   // [1 s, 1 h]
  int64_t min_span_us = 3'000'000;  // [0, window_us]
  int min_poses = 5;                // >= 1
  size_t max_poses = 4096;          // >= min_poses
};

// INVALID_ARGUMENT naming the option when one is out of range.
absl::Status ValidateLeanTrackerOptions(const LeanTrackerOptions& options);

class LeanTracker {
 public:
  // REQUIRES: ValidateLeanTrackerOptions(options).ok().
  explicit LeanTracker(const LeanTrackerOptions& options);

  // The pose's lean against the baseline as it stands (nullopt while there
  // is no baseline or the pose has no body scale), then the pose's scale
  // joins the baseline.
  absl::StatusOr<std::optional<analysis::PostureCue>> Observe(int64_t timestamp_us,
                                                              const analysis::PersonPose& pose);

  // The median body scale of the window in pixels; nullopt until it holds
  // min_poses scales spanning min_span_us.
  std::optional<float> baseline() const;

  size_t poses_held() const { return scales_.size(); }

 private:
  struct Scale {
    int64_t timestamp_us = 0;
    float scale_px = 0.0f;
  };

  LeanTrackerOptions options_;
  std::optional<int64_t> last_us_;
  std::deque<Scale> scales_;
};

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_LEAN_BASELINE_H_

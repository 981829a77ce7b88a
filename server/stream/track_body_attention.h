// The body and attention state of one tracked person in a stream: what the
// StreamAggregator keeps per track beside the expression smoother, and what
// it writes into TrackAggregate.attention / drowsiness_changes /
// movement_energy / posture at each window's close.
//
//   Face.attention (per frame)  -> AttentionTracker (attention_tracker.h)
//                                  and the window's mouth-openness series
//                                  for the active speaker (active_speaker.h)
//   linked PersonBody (per frame) -> MovementEnergyTracker (movement_energy.h)
//                                  LeanTracker (lean_baseline.h): the lean
//                                  cue is added to PersonBody.cues in place
//                                  the strongest score per cue name in the
//                                  window
//
// UNITS AND SIGNS. Eye openness is the mean of the two eyes' openness when
// both were measured, else the one measured. Face.attention's head pitch is
// positive when the head tilts UP (results.proto HeadPose); the attention
// tracker wants positive = chin DOWN, so the sign is flipped here.
//
// TIME. Samples go in at frame timestamps. The trackers need strictly
// increasing times: a second frame with the same timestamp is not fed to
// them (it is still counted as a frame by the aggregator).
//
// MEMORY. The trackers' own bounds (their headers), at most 8 posture cue
// names, at most max_mouth_samples mouth samples and max_drowsiness_changes
// changes per window (later ones dropped).
//
// Not thread-safe: externally serialised with its stream.
#ifndef AFFECT_SERVER_STREAM_TRACK_BODY_ATTENTION_H_
#define AFFECT_SERVER_STREAM_TRACK_BODY_ATTENTION_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "affect/v1/affect_service.pb.h"
#include "affect/v1/results.pb.h"
#include "server/analysis/body/pose_types.h"
#include "server/stream/active_speaker.h"
#include "server/stream/attention_tracker.h"
#include "server/stream/lean_baseline.h"
#include "server/stream/movement_energy.h"

namespace affect::stream {

struct TrackBodyAttentionOptions {
  AttentionOptions attention;
  // window_us: StreamAggregatorOptionsFromConfig sets it to the aggregate
  // interval, so the energy covers the window it is reported with.
  MovementEnergyOptions movement;
  LeanTrackerOptions lean;
  size_t max_mouth_samples = 4096;     // >= 1, per window
  size_t max_drowsiness_changes = 16;  // >= 1, per window
};

// INVALID_ARGUMENT naming the option when one is out of range.
absl::Status ValidateTrackBodyAttentionOptions(const TrackBodyAttentionOptions& options);

// The pose a PersonBody carries (keypoints in COCO order, by position).
// nullopt when it does not hold exactly 17 keypoints.
std::optional<analysis::PersonPose> PoseFromPersonBody(const v1::PersonBody& body);

v1::DrowsinessLevel ToProto(DrowsinessLevel level);

class TrackBodyAttention {
 public:
  // REQUIRES: ValidateTrackBodyAttentionOptions(options).ok().
  explicit TrackBodyAttention(const TrackBodyAttentionOptions& options);

  // The track's face attention at `timestamp_us`.
  void AddAttention(int64_t timestamp_us, const v1::FaceAttention& attention);
  // The track's linked body at `timestamp_us`; adds the lean cue to
  // body->cues when it holds (cues stay strongest first).
  void AddBody(int64_t timestamp_us, v1::PersonBody* body);

  // Writes what the window measured into `track` (fields left unset when
  // nothing was measured, see affect_service.proto TrackAggregate).
  void FillAggregate(v1::TrackAggregate* track) const;
  // The window's movement energy; unset energy when not measured.
  MovementEnergy WindowMovement() const;
  // The attention summary when an attention sample came in this window.
  const AttentionSummary* WindowAttention() const;
  // The window's (time, mouth openness) samples.
  const std::vector<MouthSample>& mouth_samples() const { return mouth_; }

  // Clears the per-window parts (posture, mouth samples, changes); the
  // trackers keep their trailing windows.
  void StartWindow();

 private:
  TrackBodyAttentionOptions options_;
  AttentionTracker attention_;
  MovementEnergyTracker movement_;
  LeanTracker lean_;
  std::optional<int64_t> last_attention_us_;
  std::optional<int64_t> last_body_us_;
  bool attention_in_window_ = false;
  bool body_in_window_ = false;
  std::vector<v1::DrowsinessChange> changes_;
  std::map<std::string, v1::PostureCue> posture_;  // strongest per name
  std::vector<MouthSample> mouth_;
};

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_TRACK_BODY_ATTENTION_H_

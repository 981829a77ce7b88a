// Gives each face in a stream a stable per-stream track id across frames.
//
// Each analysed frame's face boxes are matched to the live tracks by an
// optimal assignment (hungarian.h) on a score that combines overlap and
// centre distance, with each track's box first moved by its estimated
// velocity to the frame's time:
//
//   d     = |centre(predicted track box) - centre(face box)| / size,
//           size = mean of the two boxes' sqrt(width x height)  (pixels)
//   score = iou_weight x IoU(predicted, face)
//         + (1 - iou_weight) x max(0, 1 - d / max_center_distance)
//
// A pair may match only when score >= min_match_score and the two sizes
// differ by at most max_size_ratio. With the defaults (0.5, 1.0, 0.2, 2.0)
// a face that no longer overlaps its predicted box still matches when its
// centre is within 0.6 face sizes of it; a face appearing beside another
// (centres a face width apart or more) never steals its track.
//
// Velocity: an exponential average (weight velocity_smoothing on the newest
// step) of centre displacement per microsecond between matched frames,
// extrapolated for at most max_prediction_us. It is what keeps two faces that
// cross each other apart: at the crossing their boxes overlap both tracks,
// but each track's predicted position lies on its own face.
//
// Lifetime: a track not matched in a frame is missed; it ends when it has
// been missed in more than max_missed_frames analysed frames in a row, or
// when more than max_missed_us of stream time has passed since it was last
// seen (checked before matching, so a face reappearing after a long gap of
// dropped frames starts a new track). Ids start at options.first_id,
// increase, and are never reused within a stream: a person who leaves and
// comes back after their track ended gets a new id (there is no recognition,
// by design). The service starts every stream at a random first id
// (track_ids.h), so equal ids in two streams link nothing.
//
// Bounds: at most max_live_tracks live tracks. A new face when the table is
// full replaces the live track missed longest (ties: seen least recently,
// then lowest id); when every live track was matched in this frame, the face
// gets track id 0 (untracked).
//
// Not thread-safe: one stream's frames are passed in order by one caller at
// a time (externally serialised).
#ifndef AFFECT_SERVER_STREAM_FACE_TRACKER_H_
#define AFFECT_SERVER_STREAM_FACE_TRACKER_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "server/analysis/geometry.h"

namespace affect::stream {

// Largest first id: ids then stay far below 2^53 (exact in JSON numbers).
inline constexpr uint64_t kMaxFirstTrackId = uint64_t{1} << 32;

struct FaceTrackerOptions {
  // Weight of IoU in the match score; the rest is centre proximity. [0, 1].
  float iou_weight = 0.5f;
  // Centre distance, in face sizes, at which proximity reaches 0. > 0.
  float max_center_distance = 1.0f;
  // Pairs scoring below this never match. (0, 1].
  float min_match_score = 0.2f;
  // Larger / smaller face size (sqrt area) of a pair, at most. >= 1.
  float max_size_ratio = 2.0f;
  // A track ends after being missed in more than this many frames in a row.
  // >= 0 (0: a track ends the first frame it is not seen in).
  int max_missed_frames = 10;
  // ... or when it has not been seen for more than this long. > 0.
  int64_t max_missed_us = 1'000'000;
  // Weight of the newest displacement in the velocity average, [0, 1]; 0
  // turns prediction off (boxes are compared where they were last seen).
  float velocity_smoothing = 0.5f;
  // Motion is extrapolated over at most this much time. >= 0.
  int64_t max_prediction_us = 500'000;
  // Live tracks, at most. >= 1. The default exceeds the API's max_faces
  // limit (100), so every face of a frame can be tracked.
  int max_live_tracks = 128;
  // The first track's id; later tracks count up from it. >= 1. Streams get
  // a random one (RandomFirstTrackId, track_ids.h); 1 keeps tests readable.
  uint64_t first_id = 1;
};

// INVALID_ARGUMENT naming the field when an option is out of range.
absl::Status ValidateFaceTrackerOptions(const FaceTrackerOptions& options);

class FaceTracker {
 public:
  struct Update {
    // One id per input box, in input order; 0 for a face left untracked
    // because every live track was matched and the table was full.
    std::vector<uint64_t> track_ids;
    // Tracks that ended at this frame (expired or replaced), ascending.
    std::vector<uint64_t> ended;
  };

  // REQUIRES: ValidateFaceTrackerOptions(options).ok().
  explicit FaceTracker(const FaceTrackerOptions& options);

  // One analysed frame: `boxes` are the frame's faces (pixels), any number
  // including none. `timestamp_us` is stream time; a timestamp earlier than
  // the previous frame's is treated as equal to it (callers reject such
  // frames first; see StreamAggregator::AddFrame).
  Update Track(int64_t timestamp_us, absl::Span<const analysis::Box> boxes);

  size_t live_tracks() const { return tracks_.size(); }
  // The id the next new track will get (ids so far: 1 .. next_id() - 1).
  uint64_t next_id() const { return next_id_; }
  const FaceTrackerOptions& options() const { return options_; }

  // The match score defined above of a (predicted) track box and a face box,
  // or a negative value when the pair is outside the size gate. Exposed for
  // tests and the README's worked numbers.
  static float MatchScore(const analysis::Box& predicted, const analysis::Box& face,
                          const FaceTrackerOptions& options);

 private:
  struct LiveTrack {
    uint64_t id = 0;
    analysis::Box box;  // last matched box
    int64_t last_seen_us = 0;
    int missed_frames = 0;  // consecutive
    bool has_velocity = false;
    float velocity_x = 0.0f;  // pixels per microsecond
    float velocity_y = 0.0f;
  };

  analysis::Box Predict(const LiveTrack& track, int64_t timestamp_us) const;

  FaceTrackerOptions options_;
  std::vector<LiveTrack> tracks_;  // by ascending id
  uint64_t next_id_ = 1;
  int64_t last_timestamp_us_ = 0;
  bool has_timestamp_ = false;
};

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_FACE_TRACKER_H_

// Attention over a sliding window of one track's face: blinks, PERCLOS,
// yawns, head nods, and a drowsiness level with the evidence behind it.
//
// INPUT, per analysed frame of the track: the stream time (microseconds), the
// eye openness in [0, 1] (face_geometry.h; a caller passes the mean of both
// eyes, or the one eye measured), the mouth openness (inner-lip gap / mouth
// width) and the head pitch in degrees (> 0 chin down). Any of the three may
// be missing (not measured in that frame); non-finite values count as
// missing, openness is clamped to [0, 1].
//
// TIME. Each sample's state holds until the next sample ("sample and
// hold"), but for at most max_sample_gap_us (0.5 s): a longer gap (dropped
// frames, face lost) is unobserved time, not closed or open time, and ends
// any episode in progress (a closure or yawn cannot be timed across it).
// Timestamps must be >= 0 and strictly increasing (INVALID_ARGUMENT
// otherwise, and the sample is ignored); differences of two such values never
// overflow, so INT64 extremes are safe.
//
// THE MEASURES over the last window_us (60 s) of stream time:
//  - PERCLOS: the share of the eyes' observed time during which they were at
//    most closed_openness (20%) open, the P80 PERCLOS of Wierwille et al.
//    (time-weighted, sample and hold as above).
//  - blinks: eye-closure episodes (from the first sample at or below
//    closed_openness to the first sample above it) no longer than
//    max_blink_us (0.5 s; a blink lasts 0.1-0.4 s), reported per minute of
//    observed eye time. At 5 analysed frames per second most blinks fall
//    between two frames and are missed: blink rates need >= 15 fps.
//  - long closures: closure episodes longer than max_blink_us, counted as
//    soon as they pass it (a microsleep is not a blink).
//  - yawns: the mouth at least yawn_mouth_openness (0.5) open for at least
//    min_yawn_us (2 s) in a row; speech opens the mouth less and for less
//    than a second. Counted once per episode, when it reaches the duration.
//  - nods: the pitch rising by nod_amplitude_degrees (12) above its lowest
//    value of the last max_nod_us (2 s) and coming back to within half that
//    amplitude of it within max_nod_us of the start: the head dropping and
//    jerking back. A head that stays down is not a nod.
// Episodes are stamped with their start.
//
// THE LEVEL (first rule that holds, in this order):
//    unknown  the eyes were observed less than min_observed_us (10 s) in the
//             window: too little to judge;
//    drowsy   PERCLOS >= drowsy_perclos (0.15, Wierwille's drowsiness
//             criterion), or >= drowsy_long_closures (1) long closure, or
//             >= drowsy_nods (2) nods, or >= drowsy_yawns (3) yawns;
//    tired    PERCLOS >= tired_perclos (0.075), or >= tired_yawns (1) yawn,
//             or >= tired_nods (1) nod, or blinks per minute >=
//             tired_blinks_per_minute (30; alert people blink 15-20 times a
//             minute, and more as they tire);
//    alert    otherwise.
// The evidence lists every measure and the rules that held.
//
// REPORTED LEVEL AND EVENTS. The measured level (the rules above, at each
// sample) is debounced into the reported level: a higher level is reported
// at once (a warning should not wait), a lower one only after the measures
// stayed below the reported level for level_fall_hold_us (10 s), so that a
// measure sitting on a threshold does not flap; the level it falls to is the
// highest measured during that stretch. Each change of the reported level
// returns a DrowsinessChange: a rise stamped with its sample's time, a fall
// with the start of the stretch that confirmed it. Unknown stretches emit
// nothing and keep the last known level: a change is reported against it
// when the track is known again. A track's first known level is a first
// reading, not a change.
//
// MEMORY. O(window samples): eye runs (merged when the state does not
// change) and episode times inside the window, each capped at
// max_window_entries (8192; the oldest goes first, which shortens the window
// only for streams above ~130 samples a second), and the pitch samples of the
// last max_nod_us.
//
// Not thread-safe: externally serialised with its stream.
#ifndef AFFECT_SERVER_STREAM_ATTENTION_TRACKER_H_
#define AFFECT_SERVER_STREAM_ATTENTION_TRACKER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace affect::stream {

enum class DrowsinessLevel { kUnknown, kAlert, kTired, kDrowsy };

// "unknown", "alert", "tired", "drowsy".
const char* DrowsinessLevelName(DrowsinessLevel level);

struct AttentionOptions {
  int64_t window_us = 60'000'000;           // [1 s, 1 h]
  int64_t max_sample_gap_us = 500'000;      // (0, window_us]
  float closed_openness = 0.2f;             // [0, 1)
  int64_t max_blink_us = 500'000;           // > 0
  float yawn_mouth_openness = 0.5f;         // > 0
  int64_t min_yawn_us = 2'000'000;          // > 0
  float nod_amplitude_degrees = 12.0f;      // (0, 90]
  int64_t max_nod_us = 2'000'000;           // > 0
  int64_t min_observed_us = 10'000'000;     // (0, window_us]
  float tired_perclos = 0.075f;             // (0, 1]
  float drowsy_perclos = 0.15f;             // [tired_perclos, 1]
  float tired_blinks_per_minute = 30.0f;    // > 0
  int tired_yawns = 1;                      // >= 1
  int drowsy_yawns = 3;                     // >= tired_yawns
  int tired_nods = 1;                       // >= 1
  int drowsy_nods = 2;                      // >= tired_nods
  int drowsy_long_closures = 1;             // >= 1
  int64_t level_fall_hold_us = 10'000'000;  // [0, window_us]
  size_t max_window_entries = 8192;         // >= 16
};

// INVALID_ARGUMENT naming the option when one is out of range.
absl::Status ValidateAttentionOptions(const AttentionOptions& options);

struct AttentionSample {
  int64_t timestamp_us = 0;
  std::optional<float> eye_openness;    // [0, 1]
  std::optional<float> mouth_openness;  // gap / width, >= 0
  std::optional<float> pitch_degrees;   // > 0 chin down
};

struct AttentionSummary {
  // The stretch of stream time the figures cover (the window, or less at
  // the start of a track).
  int64_t window_start_us = 0;
  int64_t window_end_us = 0;
  double eyes_observed_seconds = 0.0;
  double eyes_closed_seconds = 0.0;
  // Set once the eyes were observed for min_observed_us in the window.
  std::optional<float> perclos;
  std::optional<float> blinks_per_minute;
  int blinks = 0;
  int long_closures = 0;
  int yawns = 0;
  int nods = 0;
  // What the rules say at this sample, and the debounced level reported
  // (see above); both unknown while the eyes were observed too briefly.
  DrowsinessLevel measured_level = DrowsinessLevel::kUnknown;
  DrowsinessLevel level = DrowsinessLevel::kUnknown;
  // The rules behind measured_level, e.g. "PERCLOS 0.21 >= 0.15"; empty when
  // alert or unknown.
  std::vector<std::string> reasons;
  // One line for people: the measured level, its reasons and the measures.
  std::string evidence;
};

struct DrowsinessChange {
  int64_t timestamp_us = 0;
  DrowsinessLevel from = DrowsinessLevel::kUnknown;
  DrowsinessLevel to = DrowsinessLevel::kUnknown;
  std::string evidence;
};

class AttentionTracker {
 public:
  // REQUIRES: ValidateAttentionOptions(options).ok().
  explicit AttentionTracker(const AttentionOptions& options);

  // Adds one sample; sets *change (when not null) to the level change at
  // this sample or nullopt. INVALID_ARGUMENT for a negative or non-increasing
  // timestamp (the tracker is unchanged).
  absl::Status Add(const AttentionSample& sample, std::optional<DrowsinessChange>* change);

  // The measures and level as of the last sample.
  const AttentionSummary& summary() const { return summary_; }
  const AttentionOptions& options() const { return options_; }

  // Entries held, for memory checks: eye runs + episode times + pitch
  // samples.
  size_t entries() const;

 private:
  struct EyeRun {
    int64_t start_us = 0;
    int64_t end_us = 0;
    bool closed = false;
  };
  struct PitchSample {
    int64_t timestamp_us = 0;
    float pitch_degrees = 0.0f;
  };

  void CreditEyes(int64_t until_us);
  void AddEyeRun(int64_t start_us, int64_t end_us, bool closed);
  void PopEyeRun();
  void PushEpisode(std::deque<int64_t>* episodes, int64_t timestamp_us);
  void ResetEpisodes();
  void TrackEyes(int64_t now_us, std::optional<float> openness);
  void TrackYawn(int64_t now_us, std::optional<float> mouth);
  void TrackNods(int64_t now_us, std::optional<float> pitch);
  void Evict(int64_t window_start_us);
  void Summarise(int64_t now_us);
  void ReportLevel(int64_t now_us, std::optional<DrowsinessChange>* change);

  AttentionOptions options_;
  // The previous sample: its time and its eye state (held until now).
  std::optional<int64_t> last_us_;
  std::optional<bool> last_closed_;
  int64_t first_us_ = 0;

  std::deque<EyeRun> eye_runs_;
  // Sums over eye_runs_ (all of each run, including any part before the
  // window).
  int64_t runs_observed_us_ = 0;
  int64_t runs_closed_us_ = 0;
  std::deque<int64_t> blinks_;
  std::deque<int64_t> long_closures_;
  std::deque<int64_t> yawns_;
  std::deque<int64_t> nods_;

  // Episodes in progress.
  std::optional<int64_t> closure_start_us_;
  bool closure_counted_long_ = false;
  std::optional<int64_t> yawn_start_us_;
  bool yawn_counted_ = false;
  std::deque<PitchSample> pitch_;  // the last max_nod_us
  std::optional<int64_t> drop_start_us_;
  float drop_reference_degrees_ = 0.0f;

  AttentionSummary summary_;
  // The reported level (kept through unknown stretches) and a pending fall.
  DrowsinessLevel reported_ = DrowsinessLevel::kUnknown;
  std::optional<int64_t> fall_since_us_;
  DrowsinessLevel fall_to_ = DrowsinessLevel::kUnknown;
};

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_ATTENTION_TRACKER_H_

// Scene and attire change slowly, and they are the most expensive analyses
// of a frame; pose (BODY) and face mesh (ATTENTION) add a model run per
// frame and per face. A stream can ask for them at a lower rate
// (StreamConfig.scene_interval_ms, attire_interval_ms, body_interval_ms,
// attention_interval_ms): this class decides, as frames start, which frames
// compute them, and, as results are emitted, fills the frames in between
// with the last computed results, saying which frame they came from
// (FrameResult.scene_from_sequence, attire_from_sequence,
// body_from_sequence, attention_from_sequence). Bodies and attention are
// carried per track like attire. The stream aggregator sees a frame before
// Complete fills it, so carried results never count as new measurements.
//
// Protocol-free and single-threaded: the stream session calls it under its
// own lock, DueAt in start order and Complete in emission order (both are
// the stream's frame order).
#ifndef AFFECT_SERVER_STREAM_SLOW_ANALYSIS_REFRESH_H_
#define AFFECT_SERVER_STREAM_SLOW_ANALYSIS_REFRESH_H_

#include <cstdint>
#include <map>
#include <optional>

#include "absl/status/statusor.h"
#include "affect/v1/affect_service.pb.h"

namespace affect::stream {

// Stream time between two frames that compute the analysis; 0 = every frame.
struct SlowAnalysisIntervals {
  int64_t scene_us = 0;
  int64_t attire_us = 0;
  int64_t body_us = 0;
  int64_t attention_us = 0;
};

// Reads scene_interval_ms, attire_interval_ms, body_interval_ms and
// attention_interval_ms (each 0..600000; unset = 0, every frame). INVALID_ARGUMENT naming the field
// otherwise.
absl::StatusOr<SlowAnalysisIntervals> SlowAnalysisIntervalsFromConfig(
    const v1::StreamConfig& config);

// Which slow analyses a frame computes.
struct SlowAnalysesDue {
  bool scene = false;
  bool attire = false;
  bool body = false;
  bool attention = false;
};

// Whether the stream's plan includes each analysis at all.
struct SlowAnalysesPlanned {
  bool scene = false;
  bool attire = false;
  bool body = false;
  bool attention = false;
};

class SlowAnalysisRefresh {
 public:
  SlowAnalysisRefresh(SlowAnalysisIntervals intervals, SlowAnalysesPlanned planned);

  // A frame at stream time `timestamp_us` starts: which slow analyses it
  // computes (the first frame always does; then once per interval).
  SlowAnalysesDue DueAt(int64_t timestamp_us);

  // The frame that DueAt answered `due` for is emitted, with track ids
  // already assigned. A computed result is remembered; a skipped one is
  // filled from the last computed result: the scene as it was, attire per
  // track for the faces of this frame whose track had attire then (a person
  // first seen since gets attire at the next refresh). A frame that failed
  // (result->has_error()) makes the next frame to start compute again.
  void Complete(const SlowAnalysesDue& due, v1::FrameResult* result);

  // The frame that DueAt answered `due` for was dropped after it started
  // (it could not start decoding in time): the next frame computes again.
  void Abandon(const SlowAnalysesDue& due);

 private:
  void CompleteBodies(bool computed, v1::FrameResult* result);
  void CompleteAttention(bool computed, v1::FrameResult* result);

  const SlowAnalysisIntervals intervals_;
  const SlowAnalysesPlanned planned_;
  std::optional<int64_t> last_scene_start_us_;
  std::optional<int64_t> last_attire_start_us_;
  std::optional<int64_t> last_body_start_us_;
  std::optional<int64_t> last_attention_start_us_;

  std::optional<v1::Scene> scene_result_;
  uint64_t scene_sequence_ = 0;
  std::map<uint64_t, v1::PersonAttire> attire_by_track_;
  std::optional<uint64_t> attire_sequence_;
  std::map<uint64_t, v1::PersonBody> body_by_track_;
  std::optional<uint64_t> body_sequence_;
  std::map<uint64_t, v1::FaceAttention> attention_by_track_;
  std::optional<uint64_t> attention_sequence_;
};

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_SLOW_ANALYSIS_REFRESH_H_

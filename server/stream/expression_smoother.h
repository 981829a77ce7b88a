// Smoothing of one track's expression scores and debounced change events.
//
// Smoothing: the seven canonical scores (expression_labels.h order) are
// averaged over the track's last `window_frames` frames that carried an
// expression (a plain mean, not an exponential average: the proto promises
// "averaged over this many most recent analysed frames", a mean has exactly
// that support, and a frame older than the window stops counting at once
// instead of fading forever). The mean of distributions is a distribution,
// and because the circumplex mapping is linear, the smoothed valence/arousal
// equal the mean of the per-frame values.
//
// Debouncing: the reported dominant starts as the top smoothed class of the
// track's first frame (no event: that is a first reading, not a change).
// Another class replaces it only after it has led the smoothed scores by at
// least `min_lead_margin` over the reported class in `min_lead_frames`
// consecutive frames of the track. The change event is stamped with the
// first of those frames, the first frame whose smoothed scores showed the
// new dominant, and carries the new class's smoothed score at that frame. Because the mean lags a
// sudden change by about half the window, that is about window_frames / 2 frames after the raw
// onset.
//
// Memory: window_frames score arrays (<= 300 x 7 floats).
//
// Not thread-safe: externally serialised with its stream.
#ifndef AFFECT_SERVER_STREAM_EXPRESSION_SMOOTHER_H_
#define AFFECT_SERVER_STREAM_EXPRESSION_SMOOTHER_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "affect/v1/affect_service.pb.h"
#include "affect/v1/results.pb.h"
#include "server/analysis/face/expression_reader.h"

namespace affect::stream {

using analysis::ExpressionScores;

struct ExpressionSmootherOptions {
  // Frames averaged. 1..300 (StreamConfig.smoothing_window_frames).
  int window_frames = 15;
  // A new dominant must lead in this many consecutive frames. >= 1.
  int min_lead_frames = 3;
  // ... by at least this much (smoothed score difference). [0, 1).
  float min_lead_margin = 0.05f;
};

absl::Status ValidateExpressionSmootherOptions(const ExpressionSmootherOptions& options);

// The canonical scores of `result` (by the `expression` of each entry;
// classes absent score 0), rescaled to sum to 1. nullopt when the result has
// no scores, a score is not finite or negative, or they sum to 0.
std::optional<ExpressionScores> ScoresFromResult(const v1::ExpressionResult& result);

// Index of the highest score; ties go to the earlier class, as in
// analysis::MakeExpressionResult.
int TopIndex(const ExpressionScores& scores);

class ExpressionSmoother {
 public:
  // REQUIRES: ValidateExpressionSmootherOptions(options).ok().
  explicit ExpressionSmoother(const ExpressionSmootherOptions& options);

  // Adds one frame of the track. Returns the change event when the reported
  // dominant changed at this frame.
  std::optional<v1::ExpressionChange> Add(int64_t timestamp_us, const ExpressionScores& scores);

  // Frames in the window now (0 .. window_frames).
  int frames() const { return count_; }
  // Mean of the frames in the window; all 0 before the first frame.
  const ExpressionScores& smoothed() const { return smoothed_; }
  // The debounced dominant; UNSPECIFIED before the first frame.
  v1::Expression dominant() const { return dominant_; }
  const ExpressionSmootherOptions& options() const { return options_; }

 private:
  ExpressionSmootherOptions options_;
  std::vector<ExpressionScores> ring_;  // window_frames slots
  int next_ = 0;                        // slot the next frame goes to
  int count_ = 0;
  ExpressionScores smoothed_{};
  v1::Expression dominant_ = v1::EXPRESSION_UNSPECIFIED;
  // The class currently trying to take over, and since when.
  int candidate_ = -1;
  int candidate_frames_ = 0;
  int64_t candidate_since_us_ = 0;
  float candidate_score_ = 0.0f;
};

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_EXPRESSION_SMOOTHER_H_

// Builders shared by the stream tests: faces, expression scores, voices.
#ifndef AFFECT_TESTS_STREAM_STREAM_TEST_UTIL_H_
#define AFFECT_TESTS_STREAM_STREAM_TEST_UTIL_H_

#include <cstdint>
#include <initializer_list>
#include <utility>

#include "affect/v1/results.pb.h"
#include "server/analysis/face/expression_labels.h"
#include "server/analysis/face/expression_reader.h"
#include "server/analysis/geometry.h"

namespace affect::stream::testing {

inline constexpr int64_t kMs = 1000;
inline constexpr int64_t kSecond = 1'000'000;

// Canonical scores with the given classes set (the rest 0).
inline analysis::ExpressionScores Scores(
    std::initializer_list<std::pair<v1::Expression, float>> entries) {
  analysis::ExpressionScores scores{};
  for (const auto& [expression, score] : entries) {
    scores[static_cast<size_t>(analysis::ExpressionIndex(expression))] = score;
  }
  return scores;
}

inline analysis::ExpressionScores OneHot(v1::Expression expression) {
  return Scores({{expression, 1.0f}});
}

inline float ScoreOf(const analysis::ExpressionScores& scores, v1::Expression expression) {
  return scores[static_cast<size_t>(analysis::ExpressionIndex(expression))];
}

inline analysis::Box Square(float center_x, float center_y, float size) {
  return analysis::Box{center_x - size / 2, center_y - size / 2, size, size};
}

// A face whose box is `box`, with an expression read from `scores` when
// given.
inline v1::Face MakeFace(const analysis::Box& box) {
  v1::Face face;
  face.mutable_box()->set_x(box.x);
  face.mutable_box()->set_y(box.y);
  face.mutable_box()->set_width(box.width);
  face.mutable_box()->set_height(box.height);
  return face;
}

inline v1::Face MakeFace(const analysis::Box& box, const analysis::ExpressionScores& scores) {
  v1::Face face = MakeFace(box);
  v1::ModelRef model;
  model.set_name("test-expression");
  *face.mutable_expression() = analysis::MakeExpressionResult(scores, model);
  return face;
}

// A voice summary as the voice analyzer fills it; its speech is one segment
// at the start of the piece, active_share of it long.
inline v1::Voice MakeVoice(float seconds, float active_share, float loudness_dbfs, float arousal) {
  v1::Voice voice;
  voice.set_duration_seconds(seconds);
  voice.set_speech_present(active_share > 0.0f);
  voice.set_active_share(active_share);
  voice.set_loudness_dbfs(loudness_dbfs);
  if (active_share > 0.0f) {
    voice.set_arousal(arousal);
    v1::SpeechSegment* segment = voice.add_speech_segments();
    segment->set_start_seconds(0.0f);
    segment->set_end_seconds(seconds * active_share);
  }
  return voice;
}

inline void SetPitch(v1::Voice* voice, float mean_hz, float stddev_hz, float min_hz, float max_hz,
                     float voiced_share) {
  v1::PitchStatistics* pitch = voice->mutable_pitch();
  pitch->set_mean_hz(mean_hz);
  pitch->set_stddev_hz(stddev_hz);
  pitch->set_min_hz(min_hz);
  pitch->set_max_hz(max_hz);
  pitch->set_voiced_share(voiced_share);
}

}  // namespace affect::stream::testing

#endif  // AFFECT_TESTS_STREAM_STREAM_TEST_UTIL_H_

#include "server/stream/stream_aggregator.h"

#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/stream/stream_test_util.h"
#include "tests/testing/status_matchers.h"

namespace affect::stream {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;
using testing::kMs;
using testing::kSecond;
using testing::MakeFace;
using testing::MakeVoice;
using ::testing::Not;
using testing::OneHot;
using testing::Square;

constexpr int64_t kFrameUs = 100 * kMs;  // 10 fps keeps the arithmetic readable

std::unique_ptr<StreamAggregator> Make(int64_t interval_us = 1 * kSecond, int window = 15) {
  StreamAggregatorOptions options;
  options.aggregate_interval_us = interval_us;
  options.smoothing.window_frames = window;
  auto aggregator = StreamAggregator::Create(options);
  EXPECT_THAT(aggregator, IsOk()) << "valid options";
  return std::move(aggregator).value();
}

v1::ImageAnalysis Frame(std::vector<v1::Face> faces) {
  v1::ImageAnalysis analysis;
  for (v1::Face& face : faces) *analysis.add_faces() = std::move(face);
  return analysis;
}

// One face at a fixed place with the given expression.
v1::ImageAnalysis OneFace(v1::Expression expression, float x = 200) {
  return Frame({MakeFace(Square(x, 200, 100), OneHot(expression))});
}

TEST(StreamAggregatorTest, OptionsComeFromTheStreamConfig) {
  v1::StreamConfig config;
  config.set_stream_id("cam-1");
  auto defaults = StreamAggregatorOptionsFromConfig(config);
  ASSERT_THAT(defaults, IsOk()) << "an empty config is valid";
  EXPECT_EQ(defaults->smoothing.window_frames, 15) << "default smoothing window";
  EXPECT_EQ(defaults->aggregate_interval_us, 2 * kSecond) << "default interval 2000 ms";
  config.set_smoothing_window_frames(30);
  config.set_aggregate_interval_ms(500);
  auto set = StreamAggregatorOptionsFromConfig(config);
  ASSERT_THAT(set, IsOk()) << "in-range values";
  EXPECT_EQ(set->smoothing.window_frames, 30) << "window from the config";
  EXPECT_EQ(set->aggregate_interval_us, 500 * kMs) << "interval from the config";
  config.set_smoothing_window_frames(0);
  EXPECT_THAT(StreamAggregatorOptionsFromConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("config.smoothing_window_frames: 0 is outside [1, 300]")))
      << "window 0 refused, field named";
  config.set_smoothing_window_frames(15);
  config.set_aggregate_interval_ms(50);
  EXPECT_THAT(StreamAggregatorOptionsFromConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("config.aggregate_interval_ms: 50 is outside [100, 600000]")))
      << "interval 50 ms refused, field named";
}

TEST(StreamAggregatorTest, AssignsTrackIdsToFacesAndAttireInPlace) {
  auto aggregator = Make();
  std::vector<v1::StreamAggregate> out;
  v1::ImageAnalysis frame = Frame({MakeFace(Square(100, 100, 80)), MakeFace(Square(400, 100, 80))});
  frame.add_attire()->set_face_index(1);
  ASSERT_THAT(aggregator->AddFrame(0, &frame, &out), IsOk()) << "first frame";
  EXPECT_EQ(frame.faces(0).track_id(), 1u) << "first face, track 1";
  EXPECT_EQ(frame.faces(1).track_id(), 2u) << "second face, track 2";
  EXPECT_EQ(frame.attire(0).track_id(), 2u) << "attire follows its face_index";
}

TEST(StreamAggregatorTest, EmitsEachWindowWhenStreamTimeReachesItsEnd) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  for (int i = 0; i < 30; ++i) {  // 0.0 .. 2.9 s
    v1::ImageAnalysis frame = OneFace(v1::EXPRESSION_HAPPY);
    ASSERT_THAT(aggregator->AddFrame(i * kFrameUs, &frame, &out), IsOk()) << "frame " << i;
    if (i == 9) {
      EXPECT_TRUE(out.empty()) << "0.9 s: the first window is still open";
    }
    if (i == 10) {
      EXPECT_EQ(out.size(), 1u) << "1.0 s reaches the end of [0, 1 s)";
    }
  }
  ASSERT_EQ(out.size(), 2u) << "[0, 1) and [1, 2) closed by 2.9 s";
  EXPECT_EQ(out[0].window_start_us(), 0) << "first window start";
  EXPECT_EQ(out[0].window_end_us(), 1 * kSecond) << "first window end";
  EXPECT_EQ(out[1].window_start_us(), 1 * kSecond) << "second window start";
  ASSERT_EQ(out[0].tracks_size(), 1) << "one person";
  EXPECT_EQ(out[0].tracks(0).frames_seen(), 10u) << "10 frames in each second";
  EXPECT_EQ(out[0].tracks(0).dominant(), v1::EXPRESSION_HAPPY) << "happy throughout";
  EXPECT_FLOAT_EQ(out[0].tracks(0).last_box().width(), 100.0f) << "last box carried";

  aggregator->Finish(3 * kSecond, &out);
  ASSERT_EQ(out.size(), 3u) << "Finish emits the open window";
  EXPECT_EQ(out[2].window_start_us(), 2 * kSecond) << "last window start";
  EXPECT_EQ(out[2].window_end_us(), 3 * kSecond) << "cut at the end of the media";
  v1::ImageAnalysis late = OneFace(v1::EXPRESSION_HAPPY);
  EXPECT_THAT(aggregator->AddFrame(4 * kSecond, &late, &out),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("finished")))
      << "no frames after Finish";
}

TEST(StreamAggregatorTest, LastFrameOnAWindowStartClosesAWindowThatContainsIt) {
  // A stream whose last frame lands exactly on a window boundary, finished at
  // that frame (as the session does: the end of the media is the last frame's
  // timestamp). The last window used to be [2 s, 2 s): zero length, not
  // containing its own frame.
  StreamAggregatorOptions options;
  options.aggregate_interval_us = 1 * kSecond;
  auto aggregator = StreamAggregator::Create(options);
  ASSERT_TRUE(aggregator.ok()) << aggregator.status();
  std::vector<v1::StreamAggregate> out;
  for (int64_t t : {0 * kSecond, 1 * kSecond, 2 * kSecond}) {
    v1::ImageAnalysis frame = OneFace(v1::EXPRESSION_HAPPY);
    ASSERT_TRUE((*aggregator)->AddFrame(t, &frame, &out).ok()) << t;
  }
  (*aggregator)->Finish(2 * kSecond, &out);
  ASSERT_EQ(out.size(), 3u) << "[0, 1), [1, 2) and the last window";
  EXPECT_EQ(out[2].window_start_us(), 2 * kSecond) << "last window start";
  EXPECT_GT(out[2].window_end_us(), 2 * kSecond) << "the last window contains its frame";
  EXPECT_LE(out[2].window_end_us(), 3 * kSecond) << "never past its nominal end";
  ASSERT_EQ(out[2].tracks_size(), 1) << "the last frame's face";
  EXPECT_EQ(out[2].tracks(0).frames_seen(), 1u);
}

TEST(StreamAggregatorTest, JumpOverSeveralWindowsSkipsTheEmptyOnes) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  v1::ImageAnalysis frame = OneFace(v1::EXPRESSION_NEUTRAL);
  ASSERT_THAT(aggregator->AddFrame(500 * kMs, &frame, &out), IsOk()) << "frame at 0.5 s";
  frame = OneFace(v1::EXPRESSION_NEUTRAL);
  ASSERT_THAT(aggregator->AddFrame(5200 * kMs, &frame, &out), IsOk()) << "next frame at 5.2 s";
  ASSERT_EQ(out.size(), 1u) << "only [0, 1) held data; [1, 5) are skipped";
  EXPECT_EQ(out[0].window_start_us(), 0) << "the emitted window";
  EXPECT_EQ(aggregator->open_window_start_us(), 5 * kSecond) << "the open window holds 5.2 s";
  frame = OneFace(v1::EXPRESSION_NEUTRAL);
  ASSERT_THAT(aggregator->AddFrame(6 * kSecond, &frame, &out), IsOk()) << "frame at 6 s";
  ASSERT_EQ(out.size(), 2u) << "[5, 6) closed";
  EXPECT_EQ(out[1].window_start_us(), 5 * kSecond) << "windows stay on the 1 s grid";
  EXPECT_EQ(out[1].window_end_us(), 6 * kSecond) << "a full window";
}

TEST(StreamAggregatorTest, AFrameWithoutFacesStillMakesAWindow) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  v1::ImageAnalysis empty;
  ASSERT_THAT(aggregator->AddFrame(0, &empty, &out), IsOk()) << "a frame with no faces";
  aggregator->AdvanceTo(1 * kSecond, &out);
  ASSERT_EQ(out.size(), 1u) << "the window was analysed: it is reported";
  EXPECT_EQ(out[0].tracks_size(), 0) << "nobody in view";
  EXPECT_FALSE(out[0].has_voice()) << "no audio, no voice";
}

TEST(StreamAggregatorTest, RejectsFramesGoingBackInTime) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  v1::ImageAnalysis frame = OneFace(v1::EXPRESSION_HAPPY);
  ASSERT_THAT(aggregator->AddFrame(500 * kMs, &frame, &out), IsOk()) << "frame at 0.5 s";
  EXPECT_THAT(aggregator->AddFrame(400 * kMs, &frame, &out),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("earlier than the previous frame's 500000")))
      << "timestamps must not decrease";
  aggregator->AdvanceTo(2500 * kMs, &out);
  EXPECT_THAT(aggregator->AddFrame(1500 * kMs, &frame, &out),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("already emitted")))
      << "a frame for an emitted window";
}

TEST(StreamAggregatorTest, SmoothedScoresUseTheConfiguredWindow) {
  auto aggregator = Make(1 * kSecond, /*window=*/4);
  std::vector<v1::StreamAggregate> out;
  for (int i = 0; i < 10; ++i) {
    // Sad for 6 frames, then happy for 4: the last 4 frames are all happy.
    v1::ImageAnalysis frame = OneFace(i < 6 ? v1::EXPRESSION_SAD : v1::EXPRESSION_HAPPY);
    ASSERT_THAT(aggregator->AddFrame(i * kFrameUs, &frame, &out), IsOk()) << "frame " << i;
  }
  aggregator->AdvanceTo(1 * kSecond, &out);
  ASSERT_EQ(out.size(), 1u) << "one window";
  const v1::TrackAggregate& track = out[0].tracks(0);
  ASSERT_EQ(track.smoothed_scores_size(), 7) << "all seven classes";
  for (const v1::ExpressionScore& score : track.smoothed_scores()) {
    EXPECT_FLOAT_EQ(score.score(), score.expression() == v1::EXPRESSION_HAPPY ? 1.0f : 0.0f)
        << "a 4-frame window holds only the happy frames (" << score.expression() << ")";
  }
}

TEST(StreamAggregatorTest, ChangeEventsAreReportedInTheWindowThatDecidesThem) {
  auto aggregator = Make(1 * kSecond, /*window=*/5);
  std::vector<v1::StreamAggregate> out;
  for (int i = 0; i < 30; ++i) {
    // Neutral until 1.5 s, happy from frame 15 on.
    v1::ImageAnalysis frame = OneFace(i < 15 ? v1::EXPRESSION_NEUTRAL : v1::EXPRESSION_HAPPY);
    ASSERT_THAT(aggregator->AddFrame(i * kFrameUs, &frame, &out), IsOk()) << "frame " << i;
  }
  aggregator->Finish(3 * kSecond, &out);
  ASSERT_EQ(out.size(), 3u) << "three windows";
  EXPECT_EQ(out[0].tracks(0).changes_size(), 0) << "steady neutral: no event";
  ASSERT_EQ(out[1].tracks(0).changes_size(), 1) << "one change in [1, 2)";
  const v1::ExpressionChange& change = out[1].tracks(0).changes(0);
  EXPECT_EQ(change.timestamp_us(), 1700 * kMs)
      << "frame 17: first with happy ahead (3 of 5 frames)";
  EXPECT_EQ(change.from(), v1::EXPRESSION_NEUTRAL) << "from";
  EXPECT_EQ(change.to(), v1::EXPRESSION_HAPPY) << "to";
  EXPECT_EQ(out[1].tracks(0).dominant(), v1::EXPRESSION_HAPPY) << "dominant at the window's end";
  EXPECT_EQ(out[2].tracks(0).changes_size(), 0) << "no further change";
  EXPECT_THAT(out[1].tracks(0).fused().explanation(),
              HasSubstr("Changed from neutral to happy at 1.70 s."))
      << "the change is part of the evidence";
}

TEST(StreamAggregatorTest, VoiceIsMergedOverItsWindow) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  // Two half-second pieces in [0, 1): all speech at +0.6, then silence.
  ASSERT_THAT(aggregator->AddVoice(0, MakeVoice(0.5f, 1.0f, -20.0f, 0.6f)), IsOk()) << "piece 1";
  ASSERT_THAT(aggregator->AddVoice(500 * kMs, MakeVoice(0.5f, 0.0f, -70.0f, 0.0f)), IsOk())
      << "piece 2";
  // A piece in [1, 2), added ahead of the frames.
  ASSERT_THAT(aggregator->AddVoice(1 * kSecond, MakeVoice(1.0f, 0.5f, -25.0f, -0.2f)), IsOk())
      << "piece 3";
  for (int i = 0; i < 21; ++i) {
    v1::ImageAnalysis frame = OneFace(v1::EXPRESSION_NEUTRAL);
    ASSERT_THAT(aggregator->AddFrame(i * kFrameUs, &frame, &out), IsOk()) << "frame " << i;
  }
  ASSERT_EQ(out.size(), 2u) << "two windows";
  ASSERT_TRUE(out[0].has_voice()) << "audio in the first window";
  EXPECT_FLOAT_EQ(out[0].voice().duration_seconds(), 1.0f) << "two half seconds";
  EXPECT_NEAR(out[0].voice().active_share(), 0.5f, 1e-6) << "speech in half of it";
  EXPECT_NEAR(out[0].voice().arousal(), 0.6f, 1e-6) << "arousal of the speech only";
  ASSERT_TRUE(out[1].has_voice()) << "audio in the second window";
  EXPECT_NEAR(out[1].voice().arousal(), -0.2f, 1e-6) << "the second window has its own voice";
  EXPECT_DOUBLE_EQ(aggregator->late_voice_seconds(), 0.0) << "nothing was late";
}

TEST(StreamAggregatorTest, VoiceStraddlingAWindowBoundaryIsSplitByTime) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  ASSERT_THAT(aggregator->AddVoice(750 * kMs, MakeVoice(1.0f, 1.0f, -20.0f, 0.5f)), IsOk())
      << "0.75..1.75 s";
  aggregator->AdvanceTo(2 * kSecond, &out);
  ASSERT_EQ(out.size(), 2u) << "both windows hold voice";
  EXPECT_NEAR(out[0].voice().duration_seconds(), 0.25f, 1e-6) << "a quarter in [0, 1)";
  EXPECT_NEAR(out[1].voice().duration_seconds(), 0.75f, 1e-6) << "three quarters in [1, 2)";
  EXPECT_EQ(out[0].tracks_size(), 0) << "an audio-only window has no tracks";
}

TEST(StreamAggregatorTest, VoiceForAnEmittedWindowIsDroppedAndCounted) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  v1::ImageAnalysis frame = OneFace(v1::EXPRESSION_NEUTRAL);
  ASSERT_THAT(aggregator->AddFrame(0, &frame, &out), IsOk()) << "frame at 0";
  frame = OneFace(v1::EXPRESSION_NEUTRAL);
  ASSERT_THAT(aggregator->AddFrame(1 * kSecond, &frame, &out), IsOk())
      << "frame at 1 s closes [0, 1)";
  ASSERT_THAT(aggregator->AddVoice(500 * kMs, MakeVoice(1.0f, 1.0f, -20.0f, 0.5f)), IsOk())
      << "late voice is not an error";
  EXPECT_NEAR(aggregator->late_voice_seconds(), 0.5, 1e-9) << "the half in [0, 1) came too late";
  aggregator->Finish(2 * kSecond, &out);
  ASSERT_EQ(out.size(), 2u) << "two windows";
  EXPECT_FALSE(out[0].has_voice()) << "the first window was emitted before the voice came";
  EXPECT_NEAR(out[1].voice().duration_seconds(), 0.5f, 1e-6) << "the half in [1, 2) counts";
}

TEST(StreamAggregatorTest, VoiceFarAheadOfTheVideoIsRefused) {
  StreamAggregatorOptions options;
  options.aggregate_interval_us = 1 * kSecond;
  options.max_voice_windows_ahead = 4;
  auto aggregator = StreamAggregator::Create(options).value();
  EXPECT_THAT(aggregator->AddVoice(10 * kSecond, MakeVoice(1.0f, 1.0f, -20.0f, 0.0f)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too far ahead of the video")))
      << "10 windows ahead with a bound of 4";
  EXPECT_THAT(aggregator->AddVoice(0, MakeVoice(0.0f, 1.0f, -20.0f, 0.0f)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("voice.duration_seconds")))
      << "a piece without duration cannot be weighted";
}

TEST(StreamAggregatorTest, FusesTheVoiceWithTheOnlyPersonInView) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  ASSERT_THAT(aggregator->AddVoice(0, MakeVoice(1.0f, 0.8f, -20.0f, 0.7f)), IsOk()) << "voice";
  for (int i = 0; i < 10; ++i) {
    v1::ImageAnalysis frame = OneFace(v1::EXPRESSION_HAPPY);
    ASSERT_THAT(aggregator->AddFrame(i * kFrameUs, &frame, &out), IsOk()) << "frame " << i;
  }
  aggregator->Finish(1 * kSecond, &out);
  ASSERT_EQ(out.size(), 1u) << "one window";
  const v1::FusedAffect& fused = out[0].tracks(0).fused();
  EXPECT_NEAR(fused.valence(), 0.8f, 1e-6) << "valence from the happy face";
  // Face weight 10/15, voice weight 1 (0.8 s of speech ... min(1, 0.8) = 0.8).
  const float face_weight = 10.0f / 15.0f;
  const float voice_weight = 0.8f;
  EXPECT_NEAR(fused.arousal(),
              (face_weight * 0.3f + voice_weight * 0.7f) / (face_weight + voice_weight), 1e-5)
      << "arousal blends the face (+0.3) and the voice (+0.7)";
  EXPECT_EQ(fused.label(), "positive-excited") << "pleasant and aroused";
  EXPECT_THAT(fused.explanation(), HasSubstr("Face (track 1, 10 frames over 0.9 s)"))
      << fused.explanation();
  EXPECT_THAT(fused.explanation(), HasSubstr("Voice over 1.0 s: speech 80% of the time"))
      << fused.explanation();
}

TEST(StreamAggregatorTest, TwoPeopleAndOneVoiceReportTheVoiceSeparately) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  ASSERT_THAT(aggregator->AddVoice(0, MakeVoice(1.0f, 0.8f, -20.0f, 0.7f)), IsOk()) << "voice";
  for (int i = 0; i < 10; ++i) {
    v1::ImageAnalysis frame = Frame({MakeFace(Square(200, 200, 100), OneHot(v1::EXPRESSION_HAPPY)),
                                     MakeFace(Square(600, 200, 100), OneHot(v1::EXPRESSION_SAD))});
    ASSERT_THAT(aggregator->AddFrame(i * kFrameUs, &frame, &out), IsOk()) << "frame " << i;
  }
  aggregator->Finish(1 * kSecond, &out);
  ASSERT_EQ(out.size(), 1u) << "one window";
  ASSERT_EQ(out[0].tracks_size(), 2) << "two people";
  EXPECT_TRUE(out[0].has_voice()) << "the voice is still reported for the window";
  for (const v1::TrackAggregate& track : out[0].tracks()) {
    const bool happy = track.dominant() == v1::EXPRESSION_HAPPY;
    EXPECT_NEAR(track.fused().arousal(), happy ? 0.3f : -0.4f, 1e-6)
        << "track " << track.track_id() << ": arousal from its face alone";
    EXPECT_THAT(track.fused().explanation(),
                HasSubstr("2 faces were tracked in this window (tracks 1, 2) and one audio channel "
                          "cannot be attributed to a person without speaker diarization"))
        << track.fused().explanation();
  }
}

TEST(StreamAggregatorTest, FacesWithoutExpressionHaveNoScoresOrFusion) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  v1::ImageAnalysis frame = Frame({MakeFace(Square(200, 200, 100))});  // ATTIRE only
  ASSERT_THAT(aggregator->AddFrame(0, &frame, &out), IsOk()) << "frame";
  aggregator->Finish(1 * kSecond, &out);
  ASSERT_EQ(out[0].tracks_size(), 1) << "the person is tracked";
  EXPECT_EQ(out[0].tracks(0).smoothed_scores_size(), 0) << "no expression, no scores";
  EXPECT_EQ(out[0].tracks(0).dominant(), v1::EXPRESSION_UNSPECIFIED) << "no dominant";
  EXPECT_FALSE(out[0].tracks(0).has_fused()) << "nothing to fuse";
}

TEST(StreamAggregatorTest, MemoryStaysBoundedWithNewFacesEveryFrame) {
  StreamAggregatorOptions options;
  options.aggregate_interval_us = 600 * kSecond;  // one long window: ended tracks pile up
  options.tracker.max_live_tracks = 16;
  options.max_tracks_per_aggregate = 32;
  auto aggregator = StreamAggregator::Create(options).value();
  std::vector<v1::StreamAggregate> out;
  size_t most_states = 0;
  for (int i = 0; i < 10000; ++i) {
    // Two new faces per frame, each far from all earlier ones.
    const float x = 1000.0f * static_cast<float>(i);
    v1::ImageAnalysis frame = Frame({MakeFace(Square(x, 100, 50), OneHot(v1::EXPRESSION_HAPPY)),
                                     MakeFace(Square(x, 600, 50), OneHot(v1::EXPRESSION_SAD))});
    ASSERT_THAT(aggregator->AddFrame(i * 33 * kMs, &frame, &out), IsOk()) << "frame " << i;
    most_states = std::max(most_states, aggregator->track_states());
  }
  EXPECT_LE(aggregator->tracker().live_tracks(), 16u) << "live tracks bounded";
  EXPECT_LE(most_states, 16u + 32u) << "live plus ended-awaiting-report bounded";
  EXPECT_EQ(aggregator->tracker().next_id(), 20001u) << "20000 faces, 20000 ids";
  aggregator->Finish(330 * kSecond, &out);
  ASSERT_EQ(out.size(), 1u) << "one window";
  EXPECT_LE(out[0].tracks_size(), 32) << "tracks per aggregate bounded";
}

}  // namespace
}  // namespace affect::stream

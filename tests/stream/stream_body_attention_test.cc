// StreamAggregator with BODY and ATTENTION results: per-track attention and
// drowsiness events, movement energy and posture, the active speaker and its
// use in fusion. Constructed FrameResults, no models; time is an input.
#include <memory>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/stream/stream_aggregator.h"
#include "tests/stream/stream_test_util.h"
#include "tests/testing/status_matchers.h"

namespace affect::stream {
namespace {

using ::affect::testing::IsOk;
using ::testing::HasSubstr;
using testing::kMs;
using testing::kSecond;
using testing::MakeFace;
using testing::MakeVoice;
using testing::OneHot;
using testing::Square;

constexpr int64_t kFrameUs = 100 * kMs;  // 10 fps

std::unique_ptr<StreamAggregator> Make(int64_t interval_us) {
  v1::StreamConfig config;
  config.set_aggregate_interval_ms(static_cast<uint32_t>(interval_us / kMs));
  auto options = StreamAggregatorOptionsFromConfig(config);
  EXPECT_THAT(options, IsOk()) << "valid config";
  options->tracker.first_id = 1;  // readable ids
  auto aggregator = StreamAggregator::Create(*options);
  EXPECT_THAT(aggregator, IsOk()) << "valid options";
  return std::move(aggregator).value();
}

v1::Face FaceWithAttention(float x, float eye_openness, float mouth_openness) {
  v1::Face face = MakeFace(Square(x, 200, 100), OneHot(v1::EXPRESSION_NEUTRAL));
  v1::FaceAttention* attention = face.mutable_attention();
  attention->set_mesh_confidence(0.95f);
  attention->set_left_eye_openness(eye_openness);
  attention->set_right_eye_openness(eye_openness);
  attention->set_mouth_openness(mouth_openness);
  attention->mutable_head_pose()->set_pitch_degrees(0.0f);
  return face;
}

// Ten frames at 10 fps of two faces: track 1 keeps its mouth still; track 2
// opens and closes its mouth in the first half second (while it speaks),
// then keeps it still.
void FeedTalkerAndListener(StreamAggregator* aggregator, std::vector<v1::StreamAggregate>* out) {
  for (int i = 0; i < 10; ++i) {
    const bool speaking = i < 5;
    const float talker_mouth = speaking && i % 2 == 1 ? 0.35f : 0.05f;
    v1::ImageAnalysis frame;
    *frame.add_faces() = FaceWithAttention(200, 0.9f, 0.05f);         // track 1, still
    *frame.add_faces() = FaceWithAttention(600, 0.9f, talker_mouth);  // track 2, talks
    ASSERT_THAT(aggregator->AddFrame(i * kFrameUs, &frame, out), IsOk()) << "frame " << i;
  }
}

// A standing person centred at (x, y): shoulders 100 px apart, so one body
// scale is 100 px; every keypoint seen with score 0.9.
v1::PersonBody Body(float x, float y, int face_index) {
  static constexpr float kOffsets[17][2] = {
      {0, -60},  {-10, -70}, {10, -70}, {-20, -65}, {20, -65}, {-50, 0},
      {50, 0},   {-60, 50},  {60, 50},  {-60, 100}, {60, 100}, {-40, 100},
      {40, 100}, {-40, 180}, {40, 180}, {-40, 260}, {40, 260}};
  v1::PersonBody body;
  body.set_face_index(face_index);
  body.set_score(0.9f);
  body.mutable_box()->set_x(x - 70);
  body.mutable_box()->set_y(y - 80);
  body.mutable_box()->set_width(140);
  body.mutable_box()->set_height(350);
  for (const auto& offset : kOffsets) {
    v1::BodyKeypoint* keypoint = body.add_keypoints();
    keypoint->mutable_position()->set_x(x + offset[0]);
    keypoint->mutable_position()->set_y(y + offset[1]);
    keypoint->set_score(0.9f);
  }
  return body;
}

TEST(StreamBodyAttentionTest, ClosingEyesRaisePerclosAndTheLevelWithAnEvent) {
  auto aggregator = Make(2 * kSecond);
  std::vector<v1::StreamAggregate> out;
  // 20 s with open eyes, then 30 s of closures of 0.3 s every second.
  for (int64_t t = 0; t < 50 * kSecond; t += kFrameUs) {
    const bool closing = t >= 20 * kSecond && (t % kSecond) < 300 * kMs;
    v1::ImageAnalysis frame;
    *frame.add_faces() = FaceWithAttention(200, closing ? 0.05f : 0.9f, 0.05f);
    ASSERT_THAT(aggregator->AddFrame(t, &frame, &out), IsOk()) << "frame at " << t;
  }
  aggregator->Finish(50 * kSecond, &out);
  ASSERT_EQ(out.size(), 25u) << "one aggregate per 2 s window";

  const v1::StreamAggregate& before = out[9];  // [18 s, 20 s)
  ASSERT_EQ(before.tracks_size(), 1) << "one track";
  ASSERT_TRUE(before.tracks(0).has_attention()) << "attention reported";
  EXPECT_EQ(before.tracks(0).attention().level(), v1::DROWSINESS_ALERT)
      << before.tracks(0).attention().evidence();
  ASSERT_TRUE(before.tracks(0).attention().has_perclos()) << "observed long enough";
  EXPECT_LT(before.tracks(0).attention().perclos(), 0.01f) << "eyes open";
  EXPECT_GT(before.tracks(0).attention().eyes_observed_seconds(), 19.0) << "20 s observed";

  const v1::TrackAggregate& last = out.back().tracks(0);
  EXPECT_GT(last.attention().perclos(), 0.15f) << "about 0.18 at 50 s";
  EXPECT_EQ(last.attention().level(), v1::DROWSINESS_DROWSY) << last.attention().evidence();
  EXPECT_GT(last.attention().blinks(), 20u) << "0.3 s closures count as blinks";
  EXPECT_THAT(last.fused().explanation(), HasSubstr("Drowsiness: drowsy (PERCLOS"))
      << "fusion names the drowsiness";

  std::vector<v1::DrowsinessChange> changes;
  for (const v1::StreamAggregate& aggregate : out) {
    for (const v1::DrowsinessChange& change : aggregate.tracks(0).drowsiness_changes()) {
      EXPECT_GE(change.timestamp_us(), aggregate.window_start_us()) << "stamped in its window";
      EXPECT_LT(change.timestamp_us(), aggregate.window_end_us()) << "stamped in its window";
      changes.push_back(change);
    }
  }
  ASSERT_FALSE(changes.empty()) << "the rise is reported as an event";
  EXPECT_EQ(changes.front().from(), v1::DROWSINESS_ALERT) << "from alert";
  EXPECT_GT(changes.front().timestamp_us(), 20 * kSecond) << "after the eyes began to close";
  EXPECT_EQ(changes.back().to(), v1::DROWSINESS_DROWSY) << "up to drowsy";
  EXPECT_FALSE(changes.back().evidence().empty()) << "with evidence";
}

TEST(StreamBodyAttentionTest, BodiesGetTrackIdsAndMovementEnergyPerTrack) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  for (int i = 0; i < 10; ++i) {
    v1::ImageAnalysis frame;
    *frame.add_faces() = MakeFace(Square(200, 140, 60), OneHot(v1::EXPRESSION_HAPPY));
    *frame.add_faces() = MakeFace(Square(600, 140, 60), OneHot(v1::EXPRESSION_HAPPY));
    // Body 0 belongs to face 1 and stands still; body 1 belongs to face 0
    // and moves 10 px (0.1 body scale) per 0.1 s frame.
    *frame.add_bodies() = Body(600, 200, 1);
    *frame.add_bodies() = Body(200 + 10.0f * static_cast<float>(i), 200, 0);
    v1::PostureCue* cue = frame.mutable_bodies(1)->add_cues();
    cue->set_name("arms_raised");
    cue->set_score(0.5f + 0.05f * static_cast<float>(i));
    *frame.add_bodies() = Body(1000, 200, -1);  // no face
    ASSERT_THAT(aggregator->AddFrame(i * kFrameUs, &frame, &out), IsOk()) << "frame " << i;
    EXPECT_EQ(frame.bodies(0).track_id(), frame.faces(1).track_id()) << "linked via face_index";
    EXPECT_EQ(frame.bodies(1).track_id(), frame.faces(0).track_id()) << "linked via face_index";
    EXPECT_EQ(frame.bodies(2).track_id(), 0u) << "no face, no track";
  }
  aggregator->Finish(1 * kSecond, &out);
  ASSERT_EQ(out.size(), 1u) << "one window";
  ASSERT_EQ(out[0].tracks_size(), 2) << "two tracks";
  const v1::TrackAggregate& moving = out[0].tracks(0);  // track 1: face 0
  const v1::TrackAggregate& still = out[0].tracks(1);
  ASSERT_TRUE(moving.has_movement_energy()) << "measured";
  EXPECT_NEAR(moving.movement_energy().energy(), 1.0f, 1e-3) << "0.1 scale per 0.1 s";
  EXPECT_NEAR(moving.movement_energy().level(), 1.0f, 1e-3) << "vigorous";
  EXPECT_EQ(moving.movement_energy().steps(), 9u) << "9 steps between 10 poses";
  ASSERT_TRUE(still.has_movement_energy()) << "measured";
  EXPECT_NEAR(still.movement_energy().energy(), 0.0f, 1e-6) << "still";
  ASSERT_EQ(moving.posture_size(), 1) << "the cue seen on this track";
  EXPECT_EQ(moving.posture(0).name(), "arms_raised") << "cue name";
  EXPECT_NEAR(moving.posture(0).score(), 0.95f, 1e-6) << "strongest score in the window";
  EXPECT_EQ(still.posture_size(), 0) << "no cue on the still track";
  EXPECT_THAT(moving.fused().explanation(),
              HasSubstr("Movement energy 1.00 body scales/s supports high arousal"))
      << "fusion names the movement";
  EXPECT_FALSE(moving.has_attention()) << "no ATTENTION, no attention field";
}

TEST(StreamBodyAttentionTest, VoiceIsAttributedToTheTrackWhoseMouthMoves) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  // Speech in the first half of the window, silence in the second.
  ASSERT_THAT(aggregator->AddVoice(0, MakeVoice(0.5f, 1.0f, -20.0f, 0.6f)), IsOk()) << "speech";
  ASSERT_THAT(aggregator->AddVoice(500 * kMs, MakeVoice(0.5f, 0.0f, -70.0f, 0.0f)), IsOk())
      << "silence";
  FeedTalkerAndListener(aggregator.get(), &out);
  aggregator->Finish(1 * kSecond, &out);
  ASSERT_EQ(out.size(), 1u) << "one window";
  const v1::StreamAggregate& aggregate = out[0];
  ASSERT_TRUE(aggregate.has_speaker()) << "voice and mouths measured";
  EXPECT_EQ(aggregate.speaker().decision(), "speaker") << aggregate.speaker().reason();
  EXPECT_EQ(aggregate.speaker().track_id(), 2u) << aggregate.speaker().reason();
  EXPECT_NEAR(aggregate.speaker().speech_seconds(), 0.5, 1e-6) << "the speech piece";
  ASSERT_EQ(aggregate.speaker().tracks_size(), 2) << "evidence per track";
  EXPECT_GT(aggregate.speaker().tracks(1).score(), 0.1f) << "talker's mouth moved in speech";

  ASSERT_EQ(aggregate.tracks_size(), 2) << "two tracks";
  const v1::FusedAffect& talker = aggregate.tracks(1).fused();
  EXPECT_THAT(talker.explanation(), HasSubstr("Voice attributed to track 2"))
      << talker.explanation();
  EXPECT_THAT(talker.explanation(), HasSubstr("% voice")) << "voice in the blend";
  const v1::FusedAffect& listener = aggregate.tracks(0).fused();
  EXPECT_THAT(listener.explanation(), HasSubstr("but attributed to track 2"))
      << listener.explanation();
  EXPECT_THAT(listener.explanation(), HasSubstr("from the face alone")) << "face only";
}

// One 1 s audio piece whose first half is speech: the speech segments (not
// the piece) mark speech, so the talker's still mouth in the second half is
// the silence baseline of the same piece.
TEST(StreamBodyAttentionTest, SpeechSegmentsInsideOnePieceSeparateSpeechFromSilence) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  v1::Voice voice = MakeVoice(1.0f, 0.5f, -20.0f, 0.6f);
  // Hostile or stray segments are clipped to the piece or skipped.
  for (auto [from, to] : {std::pair{-5.0f, -1.0f}, std::pair{0.8f, 0.7f},
                          std::pair{std::nanf(""), 0.9f}, std::pair{2.0f, 1e30f}}) {
    v1::SpeechSegment* stray = voice.add_speech_segments();
    stray->set_start_seconds(from);
    stray->set_end_seconds(to);
  }
  ASSERT_THAT(aggregator->AddVoice(0, voice), IsOk());
  FeedTalkerAndListener(aggregator.get(), &out);
  aggregator->Finish(1 * kSecond, &out);
  ASSERT_EQ(out.size(), 1u) << "one window";
  const v1::ActiveSpeaker& speaker = out[0].speaker();
  EXPECT_EQ(speaker.decision(), "speaker") << speaker.reason();
  EXPECT_EQ(speaker.track_id(), 2u) << speaker.reason();
  EXPECT_NEAR(speaker.speech_seconds(), 0.5, 1e-6)
      << "half of the piece, not all of it; the stray segments add nothing";
  // The window's voice says where the speech was, from the window's start.
  ASSERT_EQ(out[0].voice().speech_segments_size(), 1);
  EXPECT_FLOAT_EQ(out[0].voice().speech_segments(0).start_seconds(), 0.0f);
  EXPECT_FLOAT_EQ(out[0].voice().speech_segments(0).end_seconds(), 0.5f);
}

TEST(StreamBodyAttentionTest, AggregateVoiceSegmentsJoinPiecesAndStartAtTheWindow) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  // Window [1 s, 2 s): two 0.5 s pieces, all speech, then speech in the
  // first 0.2 s of a piece starting at 2 s (the next window).
  ASSERT_THAT(aggregator->AddVoice(1 * kSecond, MakeVoice(0.5f, 1.0f, -20.0f, 0.1f)), IsOk());
  ASSERT_THAT(aggregator->AddVoice(1500 * kMs, MakeVoice(0.5f, 1.0f, -20.0f, 0.1f)), IsOk());
  ASSERT_THAT(aggregator->AddVoice(2 * kSecond, MakeVoice(0.5f, 0.4f, -20.0f, 0.1f)), IsOk());
  aggregator->Finish(3 * kSecond, &out);
  ASSERT_GE(out.size(), 2u);
  const v1::Voice& first = out[0].voice();
  EXPECT_EQ(out[0].window_start_us(), 1 * kSecond);
  ASSERT_EQ(first.speech_segments_size(), 1) << "touching pieces make one segment";
  EXPECT_FLOAT_EQ(first.speech_segments(0).start_seconds(), 0.0f);
  EXPECT_FLOAT_EQ(first.speech_segments(0).end_seconds(), 1.0f);
  const v1::Voice& second = out[1].voice();
  ASSERT_EQ(second.speech_segments_size(), 1);
  EXPECT_FLOAT_EQ(second.speech_segments(0).start_seconds(), 0.0f);
  EXPECT_NEAR(second.speech_segments(0).end_seconds(), 0.2f, 1e-6f);
}

TEST(StreamBodyAttentionTest, TrackStateIsDroppedWithItsTrack) {
  auto aggregator = Make(1 * kSecond);
  std::vector<v1::StreamAggregate> out;
  v1::ImageAnalysis first;
  *first.add_faces() = FaceWithAttention(200, 0.9f, 0.05f);
  *first.add_bodies() = Body(200, 260, 0);
  ASSERT_THAT(aggregator->AddFrame(0, &first, &out), IsOk()) << "a face and its body";
  EXPECT_EQ(aggregator->track_states(), 1u) << "one track held";
  // Faceless frames for long enough that the tracker ends the track.
  for (int64_t t = kFrameUs; t <= 10 * kSecond; t += kFrameUs) {
    v1::ImageAnalysis empty;
    ASSERT_THAT(aggregator->AddFrame(t, &empty, &out), IsOk()) << "frame at " << t;
  }
  EXPECT_EQ(aggregator->track_states(), 0u) << "state dropped with the track";
}

}  // namespace
}  // namespace affect::stream

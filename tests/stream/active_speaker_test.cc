#include "server/stream/active_speaker.h"

#include <cmath>
#include <functional>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/stream/stream_test_util.h"
#include "tests/testing/status_matchers.h"

namespace affect::stream {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kMs;
using testing::kSecond;

constexpr int64_t kWindowEnd = 10 * kSecond;

bool Speaking(int64_t t) {
  return (t >= 1 * kSecond && t < 4 * kSecond) || (t >= 6 * kSecond && t < 9 * kSecond);
}

// 10 samples a second over the 10 s window.
TrackMouthSeries Series(uint64_t id, const std::function<float(int64_t, int)>& openness) {
  TrackMouthSeries series;
  series.track_id = id;
  for (int i = 0; i < 100; ++i) {
    const int64_t t = i * 100 * kMs;
    series.samples.push_back(MouthSample{t, openness(t, i)});
  }
  return series;
}

// Talks when the audio has speech: opens and closes every sample.
float Talker(int64_t t, int i) { return Speaking(t) ? (i % 2 == 0 ? 0.05f : 0.35f) : 0.05f; }
// Listens: a still mouth with mesh jitter.
float Listener(int64_t, int i) { return i % 3 == 0 ? 0.04f : 0.05f; }
// Chews all the time, speech or not.
float Chewer(int64_t, int i) { return i % 2 == 0 ? 0.1f : 0.4f; }

ActiveSpeakerInput Input(std::vector<TrackMouthSeries> tracks) {
  ActiveSpeakerInput input;
  input.window_start_us = 0;
  input.window_end_us = kWindowEnd;
  input.speech = {{1 * kSecond, 4 * kSecond}, {6 * kSecond, 9 * kSecond}};
  input.tracks = std::move(tracks);
  return input;
}

const ActiveSpeakerOptions kOptions;

TEST(ActiveSpeakerTest, OptionsAreValidated) {
  EXPECT_THAT(ValidateActiveSpeakerOptions(kOptions), IsOk());
  ActiveSpeakerOptions options;
  options.min_relative_margin = 1.0f;
  EXPECT_THAT(ValidateActiveSpeakerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("min_relative_margin")));
  options = ActiveSpeakerOptions{};
  options.min_speech_samples = 1;
  EXPECT_THAT(ValidateActiveSpeakerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("min_speech_samples")));
}

TEST(ActiveSpeakerTest, AttributesTheVoiceToTheFaceThatTalks) {
  const auto result = AttributeVoice(Input({Series(4, Listener), Series(7, Talker)}), kOptions);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->decision, SpeakerDecision::kSpeaker) << result->reason;
  EXPECT_EQ(result->track_id, 7u) << result->reason;
  EXPECT_NEAR(result->speech_seconds, 6.0, 1e-9);
  ASSERT_EQ(result->tracks.size(), 2u);
  EXPECT_EQ(result->tracks[1].speech_samples, 60) << "6 s of speech at 10 samples/s";
  EXPECT_EQ(result->tracks[1].silence_samples, 40);
  EXPECT_NEAR(result->tracks[1].speech_movement, 0.15f, 1e-5) << "0.05/0.35 alternating";
  EXPECT_NEAR(result->tracks[1].silence_movement, 0.0f, 1e-6);
  EXPECT_THAT(result->reason, HasSubstr("track 7"));
}

TEST(ActiveSpeakerTest, AFaceThatMovesAllTheTimeIsNotTheSpeaker) {
  const auto result = AttributeVoice(Input({Series(2, Chewer), Series(3, Talker)}), kOptions);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->decision, SpeakerDecision::kSpeaker) << result->reason;
  EXPECT_EQ(result->track_id, 3u) << "the chewer moves as much in silence: " << result->reason;
  EXPECT_NEAR(result->tracks[0].score, 0.0f, 1e-5);
}

TEST(ActiveSpeakerTest, NobodySpeaking) {
  ActiveSpeakerInput input = Input({Series(4, Listener), Series(7, Talker)});
  input.speech.clear();
  auto result = AttributeVoice(input, kOptions);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->decision, SpeakerDecision::kNoSpeech);
  EXPECT_EQ(result->track_id, 0u);
  EXPECT_THAT(result->reason, HasSubstr("no speech"));

  input.speech = {{5 * kSecond, 5 * kSecond + 200 * kMs}};
  result = AttributeVoice(input, kOptions);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->decision, SpeakerDecision::kNoSpeech) << "0.2 s < 0.3 s: " << result->reason;
}

TEST(ActiveSpeakerTest, SpeechButNoMouthMoving) {
  const auto result = AttributeVoice(Input({Series(4, Listener), Series(5, Listener)}), kOptions);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->decision, SpeakerDecision::kNoMouthMoving) << result->reason;
  EXPECT_EQ(result->track_id, 0u);
  EXPECT_THAT(result->reason, HasSubstr("no mouth moved"));
}

TEST(ActiveSpeakerTest, TwoFacesTalkingAlikeIsAmbiguous) {
  const auto result = AttributeVoice(
      Input({Series(8, Talker), Series(9, [](int64_t t, int i) { return Talker(t, i) * 0.9f; })}),
      kOptions);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->decision, SpeakerDecision::kAmbiguous) << result->reason;
  EXPECT_EQ(result->track_id, 0u);
  EXPECT_THAT(result->reason, HasSubstr("tracks 8 and 9"));
}

TEST(ActiveSpeakerTest, NoFaceSeenDuringSpeech) {
  // The only face is lost whenever the voice speaks (an off-screen speaker
  // talking while the camera shows a listener who looks away).
  TrackMouthSeries series = Series(6, Talker);
  std::vector<MouthSample> kept;
  for (const MouthSample& s : series.samples) {
    if (!Speaking(s.timestamp_us)) kept.push_back(s);
  }
  series.samples = kept;
  const auto result = AttributeVoice(Input({series}), kOptions);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->decision, SpeakerDecision::kNoFaceDuringSpeech) << result->reason;
  EXPECT_FALSE(result->tracks[0].judged);
  EXPECT_EQ(AttributeVoice(Input({}), kOptions)->decision, SpeakerDecision::kNoFaceDuringSpeech)
      << "no track at all";
}

TEST(ActiveSpeakerTest, HostileInput) {
  EXPECT_THAT(AttributeVoice(ActiveSpeakerInput{}, kOptions),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("window")));
  ActiveSpeakerInput negative = Input({});
  negative.window_start_us = std::numeric_limits<int64_t>::min();
  EXPECT_THAT(AttributeVoice(negative, kOptions),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("window")));
  EXPECT_THAT(AttributeVoice(Input({Series(1, Talker), Series(1, Listener)}), kOptions),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("track 1 appears twice")));

  ActiveSpeakerInput input = Input({Series(4, Listener), Series(7, Talker)});
  input.window_start_us = 1 * kSecond;
  input.window_end_us = 9 * kSecond;
  input.speech = {{std::numeric_limits<int64_t>::min(), 4 * kSecond},  // clipped to [1, 4 s)
                  {6 * kSecond, std::numeric_limits<int64_t>::max()},  // to [6, 9 s)
                  {5 * kSecond, 3 * kSecond},                          // empty: dropped
                  {2 * kSecond, 2500 * kMs}};                          // inside the first
  input.tracks[0].samples.push_back(MouthSample{5 * kSecond, std::nanf("")});
  input.tracks[0].samples.push_back(MouthSample{-1, 100.0f});
  input.tracks[0].samples.push_back(MouthSample{std::numeric_limits<int64_t>::max(), 100.0f});
  const auto result = AttributeVoice(input, kOptions);
  ASSERT_THAT(result, IsOk());
  EXPECT_NEAR(result->speech_seconds, 6.0, 1e-9) << "[1, 4) and [6, 9)";
  EXPECT_EQ(result->tracks[0].speech_samples + result->tracks[0].silence_samples, 80)
      << "the samples in [1 s, 9 s); the NaN and out-of-window ones are skipped";
  EXPECT_EQ(result->decision, SpeakerDecision::kSpeaker) << result->reason;
  EXPECT_EQ(result->track_id, 7u);
}

}  // namespace
}  // namespace affect::stream

#include "server/stream/voice_merger.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/stream/stream_test_util.h"

namespace affect::stream {
namespace {

using testing::MakeVoice;
using testing::SetPitch;

TEST(VoiceMergerTest, EmptyMergerGivesAnEmptyVoice) {
  VoiceMerger merger;
  EXPECT_TRUE(merger.empty()) << "nothing added";
  EXPECT_EQ(merger.Merged().duration_seconds(), 0.0f) << "no audio, no duration";
  EXPECT_FALSE(merger.Merged().has_pitch()) << "no audio, no pitch";
}

TEST(VoiceMergerTest, OnePieceIsReproduced) {
  v1::Voice voice = MakeVoice(2.0f, 0.5f, -24.0f, 0.3f);
  SetPitch(&voice, 180.0f, 20.0f, 140.0f, 230.0f, 0.8f);
  voice.set_speaking_rate_hz(4.2f);
  VoiceMerger merger;
  merger.Add(voice, 2.0);
  const v1::Voice merged = merger.Merged();
  EXPECT_FLOAT_EQ(merged.duration_seconds(), 2.0f) << "duration";
  EXPECT_TRUE(merged.speech_present()) << "speech";
  EXPECT_FLOAT_EQ(merged.active_share(), 0.5f) << "active share";
  EXPECT_NEAR(merged.loudness_dbfs(), -24.0f, 1e-4) << "loudness";
  EXPECT_NEAR(merged.pitch().mean_hz(), 180.0f, 1e-3) << "pitch mean";
  EXPECT_NEAR(merged.pitch().stddev_hz(), 20.0f, 1e-3) << "pitch spread";
  EXPECT_FLOAT_EQ(merged.pitch().min_hz(), 140.0f) << "pitch min";
  EXPECT_FLOAT_EQ(merged.pitch().max_hz(), 230.0f) << "pitch max";
  EXPECT_NEAR(merged.pitch().voiced_share(), 0.8f, 1e-6) << "voiced share";
  EXPECT_NEAR(merged.speaking_rate_hz(), 4.2f, 1e-5) << "rate";
  EXPECT_NEAR(merged.arousal(), 0.3f, 1e-6) << "arousal";
}

TEST(VoiceMergerTest, SharesAndMeansAreWeightedByTime) {
  VoiceMerger merger;
  // 1 s, all speech, arousal +0.6; 3 s, a third speech (1 s), arousal -0.2.
  merger.Add(MakeVoice(1.0f, 1.0f, -20.0f, 0.6f), 1.0);
  merger.Add(MakeVoice(3.0f, 1.0f / 3.0f, -20.0f, -0.2f), 3.0);
  const v1::Voice merged = merger.Merged();
  EXPECT_FLOAT_EQ(merged.duration_seconds(), 4.0f) << "1 s + 3 s";
  EXPECT_NEAR(merged.active_share(), 0.5f, 1e-6) << "2 s of speech in 4 s";
  EXPECT_NEAR(merged.arousal(), 0.2f, 1e-6) << "speech-weighted: (1 x 0.6 + 1 x -0.2) / 2";
}

TEST(VoiceMergerTest, LoudnessIsThePowerMeanOfTheSpeech) {
  VoiceMerger merger;
  merger.Add(MakeVoice(1.0f, 1.0f, -20.0f, 0.0f), 1.0);
  merger.Add(MakeVoice(1.0f, 1.0f, -30.0f, 0.0f), 1.0);
  merger.Add(MakeVoice(5.0f, 0.0f, -70.0f, 0.0f), 5.0);  // silence does not dilute speech loudness
  const double expected = 10.0 * std::log10((0.01 + 0.001) / 2.0);
  EXPECT_NEAR(merger.Merged().loudness_dbfs(), expected, 1e-3)
      << "RMS of the speech frames: mean power of -20 and -30 dBFS";
}

TEST(VoiceMergerTest, LoudnessWithoutSpeechIsThatOfTheWholeAudio) {
  VoiceMerger merger;
  merger.Add(MakeVoice(1.0f, 0.0f, -50.0f, 0.0f), 1.0);
  merger.Add(MakeVoice(1.0f, 0.0f, -60.0f, 0.0f), 1.0);
  const v1::Voice merged = merger.Merged();
  EXPECT_FALSE(merged.speech_present()) << "no piece had speech";
  EXPECT_NEAR(merged.loudness_dbfs(), 10.0 * std::log10((1e-5 + 1e-6) / 2.0), 1e-3)
      << "mean power of the whole audio";
  EXPECT_FALSE(merged.has_pitch()) << "no speech, no pitch";
  EXPECT_FLOAT_EQ(merged.arousal(), 0.0f) << "no speech, arousal unset";
}

TEST(VoiceMergerTest, PitchIsPooledOverVoicedTime) {
  VoiceMerger merger;
  v1::Voice low = MakeVoice(1.0f, 1.0f, -25.0f, 0.0f);
  SetPitch(&low, 100.0f, 0.0f, 100.0f, 100.0f, 1.0f);
  v1::Voice high = MakeVoice(1.0f, 1.0f, -25.0f, 0.0f);
  SetPitch(&high, 200.0f, 0.0f, 200.0f, 200.0f, 1.0f);
  v1::Voice unvoiced = MakeVoice(2.0f, 1.0f, -25.0f, 0.0f);  // speech, no pitch found
  merger.Add(low, 1.0);
  merger.Add(high, 1.0);
  merger.Add(unvoiced, 2.0);
  const v1::PitchStatistics pitch = merger.Merged().pitch();
  EXPECT_NEAR(pitch.mean_hz(), 150.0f, 1e-3) << "equal voiced time at 100 and 200 Hz";
  EXPECT_NEAR(pitch.stddev_hz(), 50.0f, 1e-3) << "pooled spread of the union";
  EXPECT_FLOAT_EQ(pitch.min_hz(), 100.0f) << "min of minima";
  EXPECT_FLOAT_EQ(pitch.max_hz(), 200.0f) << "max of maxima";
  EXPECT_NEAR(pitch.voiced_share(), 0.5f, 1e-6) << "2 voiced s of 4 speech s";
}

TEST(VoiceMergerTest, RateCountsOnlyPiecesThatHaveOne) {
  VoiceMerger merger;
  v1::Voice with_rate = MakeVoice(2.0f, 1.0f, -25.0f, 0.0f);
  with_rate.set_speaking_rate_hz(5.0f);
  merger.Add(with_rate, 2.0);
  merger.Add(MakeVoice(0.3f, 1.0f, -25.0f, 0.0f), 0.3);  // too short for a rate
  EXPECT_NEAR(merger.Merged().speaking_rate_hz(), 5.0f, 1e-5) << "unset rates are not zeros";
}

TEST(VoiceMergerTest, EmotionScoresAreAveragedPerLabel) {
  VoiceMerger merger;
  v1::Voice a = MakeVoice(1.0f, 1.0f, -25.0f, 0.0f);
  v1::Voice b = MakeVoice(3.0f, 1.0f, -25.0f, 0.0f);
  for (auto [voice, angry] : {std::pair<v1::Voice*, float>{&a, 0.8f}, {&b, 0.4f}}) {
    auto* score = voice->add_emotion_scores();
    score->set_label("angry");
    score->set_score(angry);
    score = voice->add_emotion_scores();
    score->set_label("calm");
    score->set_score(1.0f - angry);
    voice->mutable_emotion_model()->set_name("ser");
  }
  merger.Add(a, 1.0);
  merger.Add(b, 3.0);
  const v1::Voice merged = merger.Merged();
  ASSERT_EQ(merged.emotion_scores_size(), 2) << "two labels";
  EXPECT_EQ(merged.emotion_scores(0).label(), "angry") << "label order kept";
  EXPECT_NEAR(merged.emotion_scores(0).score(), 0.5f, 1e-6) << "(1 x 0.8 + 3 x 0.4) / 4";
  EXPECT_EQ(merged.emotion_model().name(), "ser") << "model named";
}

}  // namespace
}  // namespace affect::stream

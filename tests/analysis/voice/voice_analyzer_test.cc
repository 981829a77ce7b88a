#include "server/analysis/voice/voice_analyzer.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/analysis/voice/voice_test_signals.h"
#include "tests/testing/status_matchers.h"

namespace affect {
namespace {

using ::affect::testing::Add;
using ::affect::testing::Concat;
using ::affect::testing::Silence;
using ::affect::testing::SpeechLike;
using ::affect::testing::SpeechLikeSignal;
using ::affect::testing::StatusIs;
using ::affect::testing::Tone;
using ::affect::testing::WhiteNoise;
using ::testing::HasSubstr;

std::unique_ptr<VoiceAnalyzer> MakeAnalyzer() {
  auto analyzer = VoiceAnalyzer::Create({});
  EXPECT_TRUE(analyzer.ok()) << analyzer.status();
  return std::move(analyzer).value();
}

double SineDbfs(double amplitude) { return 20.0 * std::log10(amplitude / std::sqrt(2.0)); }

TEST(VoiceAnalyzerTest, PureToneIsVoicedSpeechWithItsPitch) {
  // README "Voice activity": a steady tone in the pitch range is speech for
  // its first ~8.6 s; this one lasts 3 s, so every frame is speech.
  for (double hz : {90.0, 220.0, 350.0}) {
    const v1::Voice voice = MakeAnalyzer()->AnalyzeClip(Tone(hz, 3.0, 0.2));
    EXPECT_TRUE(voice.speech_present()) << hz;
    EXPECT_FLOAT_EQ(voice.active_share(), 1.0f) << hz;
    EXPECT_NEAR(voice.loudness_dbfs(), SineDbfs(0.2), 0.05) << hz;
    ASSERT_TRUE(voice.has_pitch()) << hz;
    EXPECT_NEAR(voice.pitch().mean_hz(), hz, hz * 0.02) << hz;
    EXPECT_NEAR(voice.pitch().mean_hz(), hz, hz * 0.003) << hz << ": well inside the 2% asked";
    EXPECT_LT(voice.pitch().stddev_hz(), 0.01 * hz) << hz;
    EXPECT_GE(voice.pitch().min_hz(), hz * 0.99) << hz;
    EXPECT_LE(voice.pitch().max_hz(), hz * 1.01) << hz;
    EXPECT_FLOAT_EQ(voice.pitch().voiced_share(), 1.0f) << hz;
    EXPECT_FLOAT_EQ(voice.duration_seconds(), 3.0f);
  }
}

TEST(VoiceAnalyzerTest, SilenceHasNoSpeechAndFloorLoudness) {
  const v1::Voice voice = MakeAnalyzer()->AnalyzeClip(Silence(2.0));
  EXPECT_FALSE(voice.speech_present());
  EXPECT_EQ(voice.active_share(), 0.0f);
  EXPECT_EQ(voice.loudness_dbfs(), -120.0f) << "digital silence reads as the -120 dBFS floor";
  EXPECT_FALSE(voice.has_pitch());
  EXPECT_EQ(voice.speaking_rate_hz(), 0.0f) << "unset";
  EXPECT_EQ(voice.arousal(), 0.0f) << "unset";
  EXPECT_FLOAT_EQ(voice.duration_seconds(), 2.0f);
}

TEST(VoiceAnalyzerTest, QuietNoiseGivesItsOwnLevelAsLoudness) {
  const v1::Voice voice = MakeAnalyzer()->AnalyzeClip(WhiteNoise(2.0, 0.0001));
  EXPECT_FALSE(voice.speech_present());
  EXPECT_NEAR(voice.loudness_dbfs(), -80.0, 0.5) << "RMS of the whole clip when there is no speech";
}

TEST(VoiceAnalyzerTest, SpeechLikeSignalAtFourSyllablesPerSecond) {
  SpeechLike s;  // 140 Hz voice, 4 Hz syllables, 5 s
  const v1::Voice voice = MakeAnalyzer()->AnalyzeClip(SpeechLikeSignal(s));
  EXPECT_TRUE(voice.speech_present());
  std::printf("  4 Hz syllables: rate %.3f /s, pitch %.2f Hz\n", voice.speaking_rate_hz(),
              voice.pitch().mean_hz());
  EXPECT_NEAR(voice.speaking_rate_hz(), 4.0, 0.25);
  EXPECT_NEAR(voice.pitch().mean_hz(), 140.0, 140.0 * 0.02);
  EXPECT_GT(voice.pitch().voiced_share(), 0.9);
}

TEST(VoiceAnalyzerTest, RateFollowsTheSyllableRate) {
  for (double rate : {2.5, 6.0}) {
    SpeechLike s;
    s.syllable_hz = rate;
    s.seconds = 6.0;
    const v1::Voice voice = MakeAnalyzer()->AnalyzeClip(SpeechLikeSignal(s));
    std::printf("  %.1f Hz syllables: rate %.3f /s\n", rate, voice.speaking_rate_hz());
    EXPECT_NEAR(voice.speaking_rate_hz(), rate, 0.1 * rate) << rate;
  }
}

TEST(VoiceAnalyzerTest, RateCountsSpeechTimeNotPauses) {
  SpeechLike s;
  s.seconds = 2.0;
  const std::vector<float> syllables = SpeechLikeSignal(s);
  const v1::Voice voice = MakeAnalyzer()->AnalyzeClip(Concat({syllables, Silence(2.0), syllables}));
  EXPECT_NEAR(voice.active_share(), 4.0 / 6.0, 0.02) << "4 s of speech in 6 s";
  EXPECT_NEAR(voice.speaking_rate_hz(), 4.0, 0.4) << "8 + 8 nuclei over 4 s of speech";
}

TEST(VoiceAnalyzerTest, SpeechSegmentsSayWhereTheSpeechIs) {
  // 1 s silence, 1.5 s tone, 1 s silence, 0.5 s tone to the end.
  const v1::Voice voice = MakeAnalyzer()->AnalyzeClip(
      Concat({Silence(1.0), Tone(200.0, 1.5, 0.2), Silence(1.0), Tone(200.0, 0.5, 0.2)}));
  ASSERT_EQ(voice.speech_segments_size(), 2) << "two runs of speech";
  // A frame stands for its central 10 ms; the 30 ms frames straddling an
  // edge and the detector's smoothing move the edges by a few frames.
  EXPECT_NEAR(voice.speech_segments(0).start_seconds(), 1.0, 0.05);
  EXPECT_NEAR(voice.speech_segments(0).end_seconds(), 2.5, 0.05);
  EXPECT_NEAR(voice.speech_segments(1).start_seconds(), 3.5, 0.05);
  EXPECT_FLOAT_EQ(voice.speech_segments(1).end_seconds(), 4.0f)
      << "a run through the last frame reaches the clip's end";
  double speech = 0.0;
  for (const v1::SpeechSegment& segment : voice.speech_segments()) {
    EXPECT_LT(segment.start_seconds(), segment.end_seconds());
    speech += segment.end_seconds() - segment.start_seconds();
  }
  EXPECT_NEAR(speech, voice.active_share() * voice.duration_seconds(), 0.03)
      << "the segments hold the speech frames";

  const v1::Voice all = MakeAnalyzer()->AnalyzeClip(Tone(200.0, 1.0, 0.2));
  ASSERT_EQ(all.speech_segments_size(), 1);
  EXPECT_EQ(all.speech_segments(0).start_seconds(), 0.0f) << "from the clip's start";
  EXPECT_FLOAT_EQ(all.speech_segments(0).end_seconds(), 1.0f) << "to its end";
  EXPECT_EQ(MakeAnalyzer()->AnalyzeClip(Silence(1.0)).speech_segments_size(), 0);
}

TEST(VoiceAnalyzerTest, SpeechInModerateNoiseIsStillFound) {
  SpeechLike s;
  s.amplitude = 0.2;
  const std::vector<float> speech = SpeechLikeSignal(s);
  const v1::Voice voice = MakeAnalyzer()->AnalyzeClip(
      Concat({WhiteNoise(1.0, 0.005, 3), Add(speech, WhiteNoise(5.0, 0.005, 4))}));
  EXPECT_TRUE(voice.speech_present());
  EXPECT_NEAR(voice.active_share(), 5.0 / 6.0, 0.05) << "the noise-only second is not speech";
  EXPECT_NEAR(voice.pitch().mean_hz(), 140.0, 140.0 * 0.02);
}

TEST(VoiceAnalyzerTest, VeryShortClipsAreHandled) {
  auto analyzer = MakeAnalyzer();
  const v1::Voice empty = analyzer->AnalyzeClip({});
  EXPECT_FALSE(empty.speech_present());
  EXPECT_EQ(empty.duration_seconds(), 0.0f);
  const v1::Voice short_tone = analyzer->AnalyzeClip(Tone(200.0, 0.02, 0.3));
  EXPECT_FLOAT_EQ(short_tone.duration_seconds(), 0.02f);
  EXPECT_EQ(short_tone.speaking_rate_hz(), 0.0f) << "too little speech for a rate";
}

TEST(VoiceAnalyzerTest, RejectsBadOptions) {
  VoiceAnalyzerOptions options;
  options.pitch_min_hz = 300.0f;
  options.pitch_max_hz = 200.0f;
  EXPECT_THAT(VoiceAnalyzer::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pitch range")));
  options = {};
  options.yin_threshold = 1.5f;
  EXPECT_THAT(VoiceAnalyzer::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("yin_threshold")));
}

TEST(FillVoiceTest, LeavesUnmeasuredFieldsUnset) {
  VoiceFeatures features;
  features.speech_present = true;
  features.active_share = 0.5f;
  features.loudness_dbfs = -30.0f;
  features.duration_seconds = 1.0;
  features.pitch = PitchSummary{};
  features.pitch->voiced_share = 0.0f;  // speech, but nothing voiced
  v1::Voice voice;
  FillVoice(features, std::nullopt, &voice);
  EXPECT_TRUE(voice.has_pitch());
  EXPECT_EQ(voice.pitch().mean_hz(), 0.0f);
  EXPECT_EQ(voice.speaking_rate_hz(), 0.0f);
  EXPECT_EQ(voice.arousal(), 0.0f);
  EXPECT_EQ(voice.emotion_scores_size(), 0);
}

}  // namespace
}  // namespace affect

#include "server/analysis/voice/voice_arousal.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/analysis/voice/voice_analyzer.h"
#include "tests/analysis/voice/voice_test_signals.h"

namespace affect {
namespace {

using ::affect::testing::SpeechLike;
using ::affect::testing::SpeechLikeSignal;

VoiceFeatures AtReference(const ProsodyReference& r) {
  VoiceFeatures f;
  f.speech_present = true;
  f.speech_seconds = 2.0;
  f.loudness_dbfs = static_cast<float>(r.loudness_dbfs.mean);
  PitchSummary pitch;
  pitch.voiced_frames = 100;
  pitch.mean_semitones = static_cast<float>(r.pitch_semitones.mean);
  pitch.stddev_semitones = static_cast<float>(r.pitch_spread_semitones.mean);
  f.pitch = pitch;
  f.speaking_rate_hz = static_cast<float>(r.speaking_rate_hz.mean);
  return f;
}

TEST(EstimateArousalTest, IsZeroAtTheReferenceAndUnsetWithoutSpeech) {
  const ProsodyReference& r = PopulationProsodyReference();
  EXPECT_NEAR(*EstimateArousal(AtReference(r), r), 0.0f, 1e-6);
  VoiceFeatures silent;
  EXPECT_FALSE(EstimateArousal(silent, r).has_value());
}

TEST(EstimateArousalTest, FollowsTheDocumentedFormula) {
  const ProsodyReference& r = PopulationProsodyReference();
  VoiceFeatures f = AtReference(r);
  f.loudness_dbfs += 6.0f;            // z = +1 (weight 0.35)
  f.pitch->mean_semitones += 4.0f;    // z = +1 (0.25)
  f.pitch->stddev_semitones -= 1.0f;  // z = -1 (0.20)
  *f.speaking_rate_hz += 20.0f;       // z = +20, clipped to +3 (0.20)
  const double expected = std::tanh((0.35 + 0.25 - 0.20 + 0.20 * 3.0) / 1.0);
  EXPECT_NEAR(*EstimateArousal(f, r), expected, 1e-5);
  // Without pitch and rate only loudness counts.
  f.pitch.reset();
  f.speaking_rate_hz.reset();
  EXPECT_NEAR(*EstimateArousal(f, r), std::tanh(1.0), 1e-5);
}

TEST(EstimateArousalTest, RisesWithEachCue) {
  const ProsodyReference& r = PopulationProsodyReference();
  const float base = *EstimateArousal(AtReference(r), r);
  VoiceFeatures louder = AtReference(r);
  louder.loudness_dbfs += 3.0f;
  VoiceFeatures higher = AtReference(r);
  higher.pitch->mean_semitones += 2.0f;
  VoiceFeatures wider = AtReference(r);
  wider.pitch->stddev_semitones += 1.0f;
  VoiceFeatures faster = AtReference(r);
  *faster.speaking_rate_hz += 1.0f;
  for (const VoiceFeatures* f : {&louder, &higher, &wider, &faster}) {
    EXPECT_GT(*EstimateArousal(*f, r), base + 0.05f);
  }
}

TEST(VoiceBaselineTest, StartsAtThePopulationAndMovesToTheStream) {
  VoiceBaseline baseline;  // prior weight 5 s
  const ProsodyReference& population = PopulationProsodyReference();
  VoiceFeatures window;
  window.speech_present = true;
  window.loudness_dbfs = -40.0f;  // loudness only: z_population = -14 / 6
  window.speech_seconds = 5.0;
  const double z_population = (-40.0 + 26.0) / 6.0;
  EXPECT_NEAR(*baseline.EstimateArousal(window), std::tanh(z_population), 1e-6)
      << "a new stream is scored like a unary clip";
  EXPECT_NEAR(*baseline.EstimateArousal(window), *EstimateArousal(window, population), 1e-6);

  baseline.Add(window);  // as much speech as the prior weighs: a = 1/2
  EXPECT_DOUBLE_EQ(baseline.StreamReference().loudness_dbfs.mean, -40.0);
  EXPECT_DOUBLE_EQ(baseline.StreamReference().loudness_dbfs.stddev, 2.0) << "the floor";
  EXPECT_NEAR(*baseline.EstimateArousal(window), std::tanh(0.5 * z_population + 0.5 * 0.0), 1e-6);
  VoiceFeatures louder = window;
  louder.loudness_dbfs = -36.0f;  // z_stream = +2, z_population = -10 / 6
  EXPECT_NEAR(*baseline.EstimateArousal(louder), std::tanh(0.5 * (-10.0 / 6.0) + 0.5 * 2.0), 1e-6);

  for (int i = 0; i < 199; ++i) baseline.Add(window);  // 1000 s of speech
  EXPECT_DOUBLE_EQ(baseline.speech_seconds(), 1000.0);
  EXPECT_NEAR(*baseline.EstimateArousal(window), 0.0, 0.02) << "scored against itself";
  EXPECT_GT(*baseline.EstimateArousal(louder), 0.9) << "+4 dB over a steady speaker";
}

TEST(VoiceBaselineTest, WindowsWithoutSpeechAddNothing) {
  VoiceBaseline baseline;
  baseline.Add(VoiceFeatures{});
  EXPECT_EQ(baseline.speech_seconds(), 0.0);
}

// The stream case end to end: after a calm stretch, a louder, higher, more
// varied and faster window reads as aroused against the stream's baseline,
// and the calm speaker's own windows read as about neutral.
TEST(VoiceArousalStreamTest, ExcitedWindowStandsOutAgainstACalmBaseline) {
  auto analyzer = VoiceAnalyzer::Create({});
  ASSERT_TRUE(analyzer.ok());
  SpeechLike calm;
  calm.f0_hz = 110.0;
  calm.amplitude = 0.03;
  calm.vibrato_semitones = 1.0;
  calm.syllable_hz = 3.0;
  calm.seconds = 2.0;
  SpeechLike excited = calm;
  excited.f0_hz = 170.0;
  excited.amplitude = 0.12;  // +12 dB
  excited.vibrato_semitones = 4.0;
  excited.syllable_hz = 5.5;

  VoiceStreamState state;
  std::vector<float> calm_arousal;
  for (int window = 0; window < 15; ++window) {
    calm.vibrato_hz = 0.5 + 0.05 * window;  // a little variety between windows
    calm_arousal.push_back(
        (*analyzer)->AnalyzeStreamWindow(SpeechLikeSignal(calm), &state).arousal());
  }
  EXPECT_LT(calm_arousal.front(), -0.5f)
      << "against the population this quiet, low, slow voice is calm";
  EXPECT_LT(std::abs(calm_arousal.back()), std::abs(calm_arousal.front()) / 3.0f)
      << "against its own baseline (30 s of speech, a = 5 / 35) it is near neutral";
  const float excited_arousal =
      (*analyzer)->AnalyzeStreamWindow(SpeechLikeSignal(excited), &state).arousal();
  std::printf("  arousal: calm window 1 %.3f, calm window 15 %.3f, excited %.3f\n",
              calm_arousal.front(), calm_arousal.back(), excited_arousal);
  EXPECT_GT(excited_arousal, 0.8f);
  EXPECT_GT(excited_arousal, calm_arousal.back() + 0.5f);
}

TEST(VoiceArousalClipTest, UnaryClipsUseThePopulationReference) {
  auto analyzer = VoiceAnalyzer::Create({});
  ASSERT_TRUE(analyzer.ok());
  SpeechLike calm;
  calm.f0_hz = 110.0;
  calm.amplitude = 0.03;
  calm.syllable_hz = 3.0;
  SpeechLike excited = calm;
  excited.f0_hz = 220.0;
  excited.amplitude = 0.3;
  excited.vibrato_semitones = 4.0;
  excited.syllable_hz = 6.0;
  const float a_calm = (*analyzer)->AnalyzeClip(SpeechLikeSignal(calm)).arousal();
  const float a_excited = (*analyzer)->AnalyzeClip(SpeechLikeSignal(excited)).arousal();
  std::printf("  unary arousal: calm %.3f, excited %.3f\n", a_calm, a_excited);
  EXPECT_LT(a_calm, 0.0f);
  EXPECT_GT(a_excited, 0.5f);
}

}  // namespace
}  // namespace affect

#include "server/analysis/voice/voice_activity.h"

#include <algorithm>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/analysis/voice/voice_test_signals.h"

namespace affect {
namespace {

using ::affect::testing::Concat;
using ::affect::testing::Silence;
using ::affect::testing::SpeechLike;
using ::affect::testing::SpeechLikeSignal;
using ::affect::testing::Tone;
using ::affect::testing::WhiteNoise;

std::vector<VoiceFrameFeatures> Features(const std::vector<float>& x) {
  PowerSpectrum spectrum(512);
  return ComputeVoiceFrameFeatures(x, &spectrum);
}

int CountSpeech(const std::vector<bool>& speech) {
  return static_cast<int>(std::count(speech.begin(), speech.end(), true));
}

TEST(VoiceFrameCountTest, CountsWholeFramesEveryHop) {
  EXPECT_EQ(VoiceFrameCount(0), 0);
  EXPECT_EQ(VoiceFrameCount(100), 1) << "a short clip still gets one frame";
  EXPECT_EQ(VoiceFrameCount(480), 1);
  EXPECT_EQ(VoiceFrameCount(639), 1);
  EXPECT_EQ(VoiceFrameCount(640), 2);
  EXPECT_EQ(VoiceFrameCount(16000), 98) << "1 + (16000 - 480) / 160";
}

TEST(VoiceFrameFeaturesTest, SeparateTonesFromNoiseAndSilence) {
  const auto tone = Features(Tone(220.0, 0.1, 0.1));
  EXPECT_NEAR(tone[2].energy_db, 20.0 * std::log10(0.1 / std::sqrt(2.0)), 0.1);
  EXPECT_LT(tone[2].spectral_flatness, 0.01);
  EXPECT_NEAR(tone[2].zero_crossing_rate, 2.0 * 220.0 / 16000.0, 0.005);

  const auto noise = Features(WhiteNoise(0.1, 0.1));
  EXPECT_NEAR(noise[2].energy_db, -20.0, 1.0);
  EXPECT_GT(noise[2].spectral_flatness, 0.4) << "white noise: about exp(-euler gamma) = 0.56";
  EXPECT_GT(noise[2].zero_crossing_rate, 0.4);

  const auto silence = Features(Silence(0.1));
  EXPECT_EQ(silence[2].energy_db, kMinEnergyDbfs);
  EXPECT_EQ(silence[2].spectral_flatness, 1.0f);
}

TEST(VoiceActivityTest, SteadyToneIsSpeechForItsFirstSeconds) {
  // A -20 dBFS tone (amplitude 0.1414): loud and speech-like, so speech while
  // the floor, rising 0.2% of the gap per frame from -70 dBFS, stays more
  // than 9 dB below it: 50 dB * 0.998^n > 9 dB for n < 857 frames.
  const std::vector<float> tone = Tone(220.0, 12.0, 0.1 * std::sqrt(2.0));
  const auto frames = Features(tone);
  const auto speech = DetectVoiceActivity(frames, {}, nullptr);
  ASSERT_EQ(speech.size(), 1198u);
  EXPECT_TRUE(std::all_of(speech.begin(), speech.begin() + 850, [](bool s) { return s; }))
      << "the first 8.5 s are speech";
  EXPECT_NEAR(CountSpeech(speech), 857, 3) << "then the tone has become the noise floor";
  EXPECT_FALSE(speech.back());
}

TEST(VoiceActivityTest, SilenceAndQuietNoiseAreNotSpeech) {
  EXPECT_EQ(CountSpeech(DetectVoiceActivity(Features(Silence(2.0)), {}, nullptr)), 0);
  EXPECT_EQ(CountSpeech(DetectVoiceActivity(Features(WhiteNoise(2.0, 0.0003)), {}, nullptr)), 0)
      << "-70 dBFS noise is below the absolute floor";
}

TEST(VoiceActivityTest, LoudWhiteNoiseIsNotSpeech) {
  EXPECT_EQ(CountSpeech(DetectVoiceActivity(Features(WhiteNoise(2.0, 0.1)), {}, nullptr)), 0)
      << "-20 dBFS noise is loud but has a flat spectrum";
}

TEST(VoiceActivityTest, SpeechLikeSignalIsSpeechThroughItsSyllableDips) {
  const auto speech = DetectVoiceActivity(Features(SpeechLikeSignal({})), {}, nullptr);
  EXPECT_EQ(CountSpeech(speech), static_cast<int>(speech.size()));
}

TEST(VoiceActivityTest, BridgesShortPausesButNotLongOnes) {
  const std::vector<float> tone = Tone(150.0, 1.0, 0.1);
  const auto short_pause =
      DetectVoiceActivity(Features(Concat({tone, Silence(0.1), tone})), {}, nullptr);
  EXPECT_EQ(CountSpeech(short_pause), static_cast<int>(short_pause.size()))
      << "a 100 ms pause is part of speaking";
  const auto long_pause =
      DetectVoiceActivity(Features(Concat({tone, Silence(0.5), tone})), {}, nullptr);
  // 0.5 s of silence: frames wholly inside it (480-sample frames every 160
  // samples) are not speech: (8000 - 480) / 160 + 1 = 48 frames.
  EXPECT_EQ(static_cast<int>(long_pause.size()) - CountSpeech(long_pause), 48);
}

TEST(VoiceActivityTest, DropsIsolatedClicks) {
  std::vector<float> x = Silence(1.0);
  for (int i = 8000; i < 8100; ++i)
    x[static_cast<size_t>(i)] = 0.3f * ((i / 20) % 2 ? 1.0f : -1.0f);
  // A 6 ms burst touches at most 4 frames (30 ms long, 10 ms apart): fewer
  // than min_speech_frames (5), so it is dropped.
  EXPECT_EQ(CountSpeech(DetectVoiceActivity(Features(x), {}, nullptr)), 0);
  // A 100 ms burst is kept.
  for (int i = 8000; i < 9600; ++i)
    x[static_cast<size_t>(i)] = 0.3f * ((i / 20) % 2 ? 1.0f : -1.0f);
  EXPECT_GT(CountSpeech(DetectVoiceActivity(Features(x), {}, nullptr)), 5);
}

TEST(VoiceActivityTest, StreamStateCarriesTheNoiseFloorAcrossWindows) {
  const std::vector<float> tone = Tone(220.0, 4.0, 0.1 * std::sqrt(2.0));
  VoiceActivityState state;
  int speech_frames = 0;
  for (int window = 0; window < 3; ++window) {
    speech_frames += CountSpeech(DetectVoiceActivity(Features(tone), {}, &state));
  }
  EXPECT_TRUE(state.initialized);
  EXPECT_GT(state.noise_floor_dbfs, -30.0f) << "the floor has climbed towards the tone";
  EXPECT_LT(speech_frames, 3 * 398) << "so the tone stops counting as speech in the last window";
  int fresh = 0;
  for (int window = 0; window < 3; ++window) {
    fresh += CountSpeech(DetectVoiceActivity(Features(tone), {}, nullptr));
  }
  EXPECT_EQ(fresh, 3 * 398) << "without state every window starts from the initial floor";
}

}  // namespace
}  // namespace affect

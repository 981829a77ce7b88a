#include "server/analysis/voice/yin_pitch.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/analysis/voice/voice_test_signals.h"

namespace affect {
namespace {

using ::affect::testing::SpeechLike;
using ::affect::testing::SpeechLikeSignal;
using ::affect::testing::Tone;
using ::affect::testing::WhiteNoise;

std::vector<float> Head(const std::vector<float>& x, int n) {
  return std::vector<float>(x.begin(), x.begin() + n);
}

TEST(YinPitchTrackerTest, LagRangeFollowsThePitchRange) {
  YinPitchTracker yin({});
  EXPECT_EQ(yin.min_lag(), 40) << "16000 / 400 Hz";
  EXPECT_EQ(yin.max_lag(), 267) << "ceil(16000 / 60 Hz)";
  EXPECT_EQ(yin.frame_length(), 480 + 267 + 1);
}

TEST(YinPitchTrackerTest, FindsThePitchOfPureTonesWithinAQuarterPercent) {
  YinPitchTracker yin({});
  for (double hz : {62.0, 80.0, 120.0, 220.0, 333.3, 395.0}) {
    const auto estimate = yin.Estimate(Head(Tone(hz, 0.1, 0.3), yin.frame_length()));
    ASSERT_TRUE(estimate.has_value()) << hz << " Hz";
    EXPECT_NEAR(estimate->frequency_hz, hz, hz * 0.0025) << hz << " Hz";
    EXPECT_LT(estimate->aperiodicity, 0.01) << hz << " Hz";
  }
}

TEST(YinPitchTrackerTest, FindsTheFundamentalOfAHarmonicVoice) {
  YinPitchTracker yin({});
  SpeechLike voice;
  voice.f0_hz = 110.0;
  voice.floor = 1.0;  // no amplitude modulation
  const auto estimate = yin.Estimate(Head(SpeechLikeSignal(voice), yin.frame_length()));
  ASSERT_TRUE(estimate.has_value());
  EXPECT_NEAR(estimate->frequency_hz, 110.0, 110.0 * 0.0025) << "not an octave or harmonic error";
}

TEST(YinPitchTrackerTest, NoiseAndSilenceAreUnvoiced) {
  YinPitchTracker yin({});
  EXPECT_FALSE(yin.Estimate(Head(WhiteNoise(0.1, 0.1), yin.frame_length())).has_value());
  EXPECT_FALSE(
      yin.Estimate(std::vector<float>(static_cast<size_t>(yin.frame_length()), 0.0f)).has_value());
}

TEST(YinPitchTrackerTest, TonesOutsideTheRangeAreNotReportedInIt) {
  YinPitchTracker yin({});
  // 30 Hz: its period is beyond the largest lag, so no dip in range.
  EXPECT_FALSE(yin.Estimate(Head(Tone(30.0, 0.1, 0.3), yin.frame_length())).has_value());
}

}  // namespace
}  // namespace affect

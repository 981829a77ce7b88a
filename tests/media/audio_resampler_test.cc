#include "server/media/audio_resampler.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace affect {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<float> Tone(double hz, uint32_t rate, double seconds, double amplitude = 0.5) {
  std::vector<float> x(static_cast<size_t>(seconds * rate));
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(amplitude * std::sin(2.0 * kPi * hz * static_cast<double>(i) / rate));
  }
  return x;
}

// The middle of a signal, away from the start-up and flush transients.
std::vector<float> Middle(const std::vector<float>& x) {
  return std::vector<float>(x.begin() + static_cast<std::ptrdiff_t>(x.size() / 4),
                            x.end() - static_cast<std::ptrdiff_t>(x.size() / 4));
}

double Rms(const std::vector<float>& x) {
  double sum = 0.0;
  for (float v : x) sum += static_cast<double>(v) * v;
  return std::sqrt(sum / static_cast<double>(x.size()));
}

double Db(double ratio) { return 20.0 * std::log10(ratio); }

// Amplitude of the component at `hz` (Hann-windowed single-bin DFT).
double AmplitudeAt(const std::vector<float>& x, double hz, uint32_t rate) {
  double re = 0.0;
  double im = 0.0;
  double window_sum = 0.0;
  const size_t n = x.size();
  for (size_t i = 0; i < n; ++i) {
    const double w = 0.5 - 0.5 * std::cos(2.0 * kPi * static_cast<double>(i) / n);
    const double phase = 2.0 * kPi * hz * static_cast<double>(i) / rate;
    re += w * x[i] * std::cos(phase);
    im -= w * x[i] * std::sin(phase);
    window_sum += w;
  }
  return 2.0 * std::hypot(re, im) / window_sum;
}

// Frequency from the interpolated positions of the first and last upward
// zero crossings.
double ZeroCrossingFrequency(const std::vector<float>& x, uint32_t rate) {
  double first = -1.0;
  double last = -1.0;
  int crossings = 0;
  for (size_t i = 1; i < x.size(); ++i) {
    if (x[i - 1] < 0.0f && x[i] >= 0.0f) {
      const double t = static_cast<double>(i - 1) + x[i - 1] / (x[i - 1] - x[i]);
      if (first < 0.0) first = t;
      last = t;
      ++crossings;
    }
  }
  return (crossings - 1) * static_cast<double>(rate) / (last - first);
}

TEST(ResampleTest, OutputLengthIsTheCeilingOfTheRatio) {
  EXPECT_EQ(Resample(std::vector<float>(44100), 44100, 16000).size(), 16000u);
  EXPECT_EQ(Resample(std::vector<float>(100), 44100, 16000).size(), 37u);  // 36.28 -> 37
  EXPECT_EQ(Resample(std::vector<float>(8000), 8000, 16000).size(), 16000u);
  EXPECT_EQ(Resample(std::vector<float>(1), 48000, 16000).size(), 1u);
  EXPECT_TRUE(Resample({}, 48000, 16000).empty());
}

TEST(ResampleTest, SameRateIsACopy) {
  const std::vector<float> x = {0.1f, -0.2f, 0.3f};
  EXPECT_EQ(Resample(x, 16000, 16000), x);
}

TEST(ResampleTest, KeepsTheFrequencyAndLevelOfA440HzTone) {
  for (uint32_t rate : {8000u, 11025u, 22050u, 44100u, 48000u, 96000u, 192000u, 8001u}) {
    const std::vector<float> out = Resample(Tone(440.0, rate, 2.0), rate, kAnalysisSampleRateHz);
    ASSERT_EQ(out.size(), 32000u) << rate;
    const std::vector<float> middle = Middle(out);
    EXPECT_NEAR(ZeroCrossingFrequency(middle, kAnalysisSampleRateHz), 440.0, 0.05)
        << "from " << rate << " Hz";
    EXPECT_NEAR(Db(Rms(middle) / (0.5 / std::sqrt(2.0))), 0.0, 0.01) << "from " << rate << " Hz";
  }
}

TEST(ResampleTest, PassbandIsFlatToSixKilohertz) {
  for (double hz : {100.0, 1000.0, 3000.0, 6000.0}) {
    const std::vector<float> out = Middle(Resample(Tone(hz, 48000, 1.0), 48000, 16000));
    EXPECT_NEAR(Db(AmplitudeAt(out, hz, 16000) / 0.5), 0.0, 0.05) << hz << " Hz";
  }
}

// The anti-aliasing filter: a tone above the output Nyquist (8 kHz) must not
// fold back into 0-8 kHz. Measured: the RMS of everything left in the output
// relative to the input tone, and the level at the alias frequency.
TEST(ResampleTest, AttenuatesTonesAboveTheNewNyquist) {
  struct Case {
    uint32_t rate;
    double hz;
  };
  for (const Case& c : {Case{44100, 8500}, Case{44100, 9000}, Case{44100, 12000},
                        Case{44100, 20000}, Case{48000, 8200}, Case{48000, 12000},
                        Case{48000, 23000}, Case{32000, 10000}, Case{22050, 10000}}) {
    const std::vector<float> in = Tone(c.hz, c.rate, 1.0);
    const std::vector<float> out = Middle(Resample(in, c.rate, 16000));
    const double residual_db = Db(Rms(out) / Rms(Middle(in)));
    // Without a filter the tone would alias to |hz - k * 16000| at full level.
    double alias = std::fmod(c.hz, 16000.0);
    if (alias > 8000.0) alias = 16000.0 - alias;
    const double alias_db = Db(AmplitudeAt(out, alias, 16000) / 0.5);
    EXPECT_LT(residual_db, -70.0) << c.hz << " Hz from " << c.rate << " Hz";
    EXPECT_LT(alias_db, -80.0) << c.hz << " Hz from " << c.rate << " Hz aliases to " << alias;
    ::testing::Test::RecordProperty(
        "alias_" + std::to_string(c.rate) + "_" + std::to_string(static_cast<int>(c.hz)),
        std::to_string(alias_db));
    std::printf("  %6u Hz input, %5.0f Hz tone: residual %6.1f dB, at alias %5.0f Hz %6.1f dB\n",
                c.rate, c.hz, residual_db, alias, alias_db);
  }
}

TEST(ResampleTest, UpsamplingSuppressesImages) {
  // 8 kHz -> 16 kHz: a 3 kHz tone has its image at 5 kHz.
  const std::vector<float> out = Middle(Resample(Tone(3000.0, 8000, 1.0), 8000, 16000));
  EXPECT_NEAR(Db(AmplitudeAt(out, 3000.0, 16000) / 0.5), 0.0, 0.05);
  EXPECT_LT(Db(AmplitudeAt(out, 5000.0, 16000) / 0.5), -80.0);
}

TEST(StreamingResamplerTest, ChunkedOutputEqualsOneShot) {
  std::mt19937 rng(42);
  std::normal_distribution<float> noise(0.0f, 0.3f);
  std::vector<float> signal(30000);
  for (float& v : signal) v = noise(rng);
  for (uint32_t rate : {44100u, 8000u, 16000u}) {
    const std::vector<float> expected = Resample(signal, rate, 16000);
    StreamingResampler resampler(rate, 16000);
    std::vector<float> chunked;
    size_t pos = 0;
    while (pos < signal.size()) {
      const size_t n = std::min<size_t>(rng() % 700, signal.size() - pos);  // includes 0
      resampler.Process(absl::MakeConstSpan(signal).subspan(pos, n), &chunked);
      pos += n;
    }
    resampler.Flush(&chunked);
    EXPECT_EQ(chunked, expected) << "from " << rate << " Hz";

    // Reusable after Flush.
    std::vector<float> again;
    resampler.Process(signal, &again);
    resampler.Flush(&again);
    EXPECT_EQ(again, expected) << "from " << rate << " Hz, second signal";
  }
}

}  // namespace
}  // namespace affect

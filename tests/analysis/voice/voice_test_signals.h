// Synthetic 16 kHz test signals for the voice analysis tests.
#ifndef AFFECT_TESTS_ANALYSIS_VOICE_VOICE_TEST_SIGNALS_H_
#define AFFECT_TESTS_ANALYSIS_VOICE_VOICE_TEST_SIGNALS_H_

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace affect::testing {

inline constexpr double kTestPi = 3.14159265358979323846;
inline constexpr int kTestRate = 16000;

inline size_t Samples(double seconds) { return static_cast<size_t>(seconds * kTestRate); }

// amplitude * sin(2 pi f t): RMS level 20 log10(amplitude / sqrt 2) dBFS.
inline std::vector<float> Tone(double hz, double seconds, double amplitude) {
  std::vector<float> x(Samples(seconds));
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(amplitude *
                              std::sin(2.0 * kTestPi * hz * static_cast<double>(i) / kTestRate));
  }
  return x;
}

inline std::vector<float> Silence(double seconds) { return std::vector<float>(Samples(seconds)); }

inline std::vector<float> WhiteNoise(double seconds, double rms, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, rms);
  std::vector<float> x(Samples(seconds));
  for (float& v : x) v = static_cast<float>(normal(rng));
  return x;
}

struct SpeechLike {
  double f0_hz = 140.0;
  // Pitch glide: f0 * 2^(vibrato_semitones / 12 * sin(2 pi vibrato_hz t)).
  double vibrato_semitones = 0.0;
  double vibrato_hz = 0.5;
  // Syllable-rate amplitude modulation: envelope from `floor` to 1.
  double syllable_hz = 4.0;
  double floor = 0.2;
  double amplitude = 0.1;
  double seconds = 5.0;
};

// A 10-harmonic "voice" (harmonic k at 1/k) with syllable-rate amplitude
// modulation starting at an envelope minimum, so that the syllable peaks
// fall at (k + 1/2) / syllable_hz.
inline std::vector<float> SpeechLikeSignal(const SpeechLike& s) {
  std::vector<float> x(Samples(s.seconds));
  double phase = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = static_cast<double>(i) / kTestRate;
    const double f0 = s.f0_hz * std::pow(2.0, s.vibrato_semitones / 12.0 *
                                                  std::sin(2.0 * kTestPi * s.vibrato_hz * t));
    phase += 2.0 * kTestPi * f0 / kTestRate;
    double voice = 0.0;
    for (int h = 1; h <= 10; ++h) voice += std::sin(h * phase) / h;
    const double envelope =
        s.floor + (1.0 - s.floor) * (0.5 - 0.5 * std::cos(2.0 * kTestPi * s.syllable_hz * t));
    x[i] = static_cast<float>(s.amplitude * envelope * voice);
  }
  return x;
}

inline std::vector<float> Concat(std::initializer_list<std::vector<float>> parts) {
  std::vector<float> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline std::vector<float> Add(std::vector<float> a, const std::vector<float>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) a[i] += b[i];
  return a;
}

}  // namespace affect::testing

#endif  // AFFECT_TESTS_ANALYSIS_VOICE_VOICE_TEST_SIGNALS_H_

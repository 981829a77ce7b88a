// Real-time factor of the voice pipeline on a synthetic 10 s clip.
//
//   build-voice/server/analysis/voice/affect-voice-bench
//
// The "RTF" counter is processing time / audio time (0.01 = 100x faster
// than real time), per benchmark: resampling 48 kHz -> 16 kHz, the prosodic
// analysis (VAD, YIN, rate, arousal), and the log-mel front end of a
// typical speech-emotion configuration.
#include <cmath>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "server/analysis/voice/log_mel.h"
#include "server/analysis/voice/voice_analyzer.h"
#include "server/media/audio_resampler.h"

namespace affect {
namespace {

constexpr double kClipSeconds = 10.0;
constexpr double kPi = 3.14159265358979323846;

// Speech-like: a 10-harmonic voice with a gliding pitch, syllable-rate (4 Hz)
// amplitude modulation and a little noise.
std::vector<float> SpeechLikeClip(int sample_rate_hz) {
  const size_t n = static_cast<size_t>(kClipSeconds * sample_rate_hz);
  std::vector<float> x(n);
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 0.003f);
  double phase = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / sample_rate_hz;
    const double f0 = 140.0 + 20.0 * std::sin(2.0 * kPi * 0.5 * t);
    phase += 2.0 * kPi * f0 / sample_rate_hz;
    double voice = 0.0;
    for (int h = 1; h <= 10; ++h) voice += std::sin(h * phase) / h;
    const double envelope = 0.2 + 0.8 * (0.5 - 0.5 * std::cos(2.0 * kPi * 4.0 * t));
    x[i] = static_cast<float>(0.1 * envelope * voice) + noise(rng);
  }
  return x;
}

void SetRtf(benchmark::State& state) {
  state.counters["RTF"] =
      benchmark::Counter(kClipSeconds * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Resample48kTo16k(benchmark::State& state) {
  const std::vector<float> clip = SpeechLikeClip(48000);
  for (auto _ : state) {
    std::vector<float> out = Resample(clip, 48000, kAnalysisSampleRateHz);
    benchmark::DoNotOptimize(out.data());
  }
  SetRtf(state);
}
BENCHMARK(BM_Resample48kTo16k)->Unit(benchmark::kMillisecond);

void BM_AnalyzeClip(benchmark::State& state) {
  const std::vector<float> clip = SpeechLikeClip(kAnalysisSampleRateHz);
  auto analyzer = VoiceAnalyzer::Create({});
  if (!analyzer.ok()) {
    state.SkipWithError("VoiceAnalyzer::Create failed");
    return;
  }
  for (auto _ : state) {
    v1::Voice voice = (*analyzer)->AnalyzeClip(clip);
    benchmark::DoNotOptimize(voice);
  }
  SetRtf(state);
}
BENCHMARK(BM_AnalyzeClip)->Unit(benchmark::kMillisecond);

void BM_LogMel(benchmark::State& state) {
  const std::vector<float> clip = SpeechLikeClip(kAnalysisSampleRateHz);
  LogMelOptions options;  // n_fft 400, hop 160, 64 mels: a common SER front end
  auto front_end = LogMelSpectrogram::Create(options);
  if (!front_end.ok()) {
    state.SkipWithError("LogMelSpectrogram::Create failed");
    return;
  }
  for (auto _ : state) {
    Tensor mel = (*front_end)->Compute(clip);
    benchmark::DoNotOptimize(mel.data());
  }
  SetRtf(state);
}
BENCHMARK(BM_LogMel)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace affect

BENCHMARK_MAIN();

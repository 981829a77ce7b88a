// The log-mel spectrogram front end of speech-emotion models, exactly as
// configured by a model's `audio_features` (model_config.proto).
//
// It reproduces torchaudio's
//   torch.log(torchaudio.transforms.MelSpectrogram(
//       sample_rate, n_fft, win_length, hop_length, f_min, f_max, n_mels,
//       window_fn=torch.hann_window, power=2.0, center=True,
//       pad_mode="reflect", norm=None, mel_scale="htk")(waveform) + log_offset)
// (mel scale "htk", the default) or, with mel scale "slaney", librosa's
// default filterbank (Slaney mel scale and Slaney area normalisation,
// i.e. torchaudio's norm="slaney", mel_scale="slaney"):
//   1. pad the signal by n_fft / 2 on both sides, reflecting it (a signal
//      too short to reflect, n_fft / 2 samples or fewer, is zero-padded);
//   2. frames of n_fft samples every hop_length samples:
//      T = 1 + (N + 2 * (n_fft / 2) - n_fft) / hop_length  (1 + N / hop for even n_fft);
//   3. a periodic Hann window of win_length samples, centred in n_fft;
//   4. power spectrum |DFT|^2 (unnormalised), bins 0 .. n_fft / 2;
//   5. triangular mel filters between f_min and f_max, n_mels + 2 points
//      evenly spaced on the mel scale, evaluated at the bin frequencies
//      k * sample_rate / n_fft;
//   6. natural log of (mel energy + log_offset), log_offset 1e-6 by default.
// The result is [n_mels, T], mel-major, time last (torchaudio's layout).
#ifndef AFFECT_SERVER_ANALYSIS_VOICE_LOG_MEL_H_
#define AFFECT_SERVER_ANALYSIS_VOICE_LOG_MEL_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "affect/v1/model_config.pb.h"
#include "server/tensor/tensor.h"

namespace affect {

enum class MelScale { kHtk, kSlaney };

struct LogMelOptions {
  int sample_rate_hz = 16000;
  int n_fft = 400;
  int hop_length = 160;
  int win_length = 400;
  int n_mels = 64;
  float f_min_hz = 0.0f;
  float f_max_hz = 8000.0f;
  MelScale mel_scale = MelScale::kHtk;
  float log_offset = 1e-6f;
};

// Options from a model config's audio_features: win_length 0 means n_fft,
// f_max_hz 0 means sample_rate_hz / 2. INVALID_ARGUMENT naming the field
// ("<source>: audio_features.win_length 500 exceeds n_fft 400") when they
// are inconsistent.
absl::StatusOr<LogMelOptions> LogMelOptionsFromConfig(const v1::AudioFeatures& features,
                                                      MelScale mel_scale, float log_offset,
                                                      absl::string_view source);

// Thread-safe: Compute is const and uses per-call scratch.
class LogMelSpectrogram {
 public:
  // INVALID_ARGUMENT when the options are inconsistent (see
  // LogMelOptionsFromConfig for the checks).
  static absl::StatusOr<std::unique_ptr<LogMelSpectrogram>> Create(const LogMelOptions& options);

  // T for a signal of `num_samples` samples.
  int NumFrames(size_t num_samples) const;

  // [n_mels, NumFrames(samples.size())]. REQUIRES: !samples.empty().
  Tensor Compute(absl::Span<const float> samples) const;

  // log(log_offset): the value of a silent frame, used for padding.
  float silence_value() const { return silence_value_; }

  // The filterbank, n_mels rows of n_fft / 2 + 1 weights.
  const std::vector<float>& filterbank() const { return filterbank_; }
  const LogMelOptions& options() const { return options_; }

 private:
  explicit LogMelSpectrogram(const LogMelOptions& options);

  LogMelOptions options_;
  std::vector<float> window_;  // n_fft, Hann of win_length centred
  std::vector<float> filterbank_;
  float silence_value_;
};

}  // namespace affect

#endif  // AFFECT_SERVER_ANALYSIS_VOICE_LOG_MEL_H_

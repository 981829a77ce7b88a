#include "server/analysis/voice/log_mel.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "server/analysis/voice/power_spectrum.h"

namespace affect {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kMaxFft = 1 << 16;
constexpr int kMaxMels = 1024;

absl::Status FieldError(absl::string_view source, absl::string_view field,
                        absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(source, source.empty() ? "" : ": ", "audio_features.", field, " ", problem));
}

absl::Status Validate(const LogMelOptions& o, absl::string_view source) {
  if (o.sample_rate_hz < 8000 || o.sample_rate_hz > 192000) {
    return FieldError(source, "sample_rate_hz",
                      absl::StrCat(o.sample_rate_hz, " is outside [8000, 192000]"));
  }
  if (o.n_fft < 2 || o.n_fft > kMaxFft) {
    return FieldError(source, "n_fft", absl::StrCat(o.n_fft, " is outside [2, ", kMaxFft, "]"));
  }
  if (o.hop_length < 1) return FieldError(source, "hop_length", "must be at least 1");
  if (o.win_length < 1 || o.win_length > o.n_fft) {
    return FieldError(source, "win_length",
                      absl::StrCat(o.win_length, " must be in [1, n_fft = ", o.n_fft, "]"));
  }
  if (o.n_mels < 1 || o.n_mels > kMaxMels) {
    return FieldError(source, "n_mels", absl::StrCat(o.n_mels, " is outside [1, ", kMaxMels, "]"));
  }
  const float nyquist = static_cast<float>(o.sample_rate_hz) / 2.0f;
  if (!(o.f_min_hz >= 0.0f) || !(o.f_max_hz <= nyquist) || !(o.f_min_hz < o.f_max_hz)) {
    return FieldError(
        source, "f_min_hz/f_max_hz",
        absl::StrCat("[", o.f_min_hz, ", ", o.f_max_hz,
                     "] must satisfy 0 <= f_min < f_max <= sample_rate / 2 = ", nyquist));
  }
  if (!(o.log_offset > 0.0f)) {
    return absl::InvalidArgumentError(absl::StrCat(source, source.empty() ? "" : ": ",
                                                   "log_offset ", o.log_offset, " must be > 0"));
  }
  return absl::OkStatus();
}

double HzToMel(double hz, MelScale scale) {
  if (scale == MelScale::kHtk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  // Slaney: linear below 1 kHz, logarithmic above.
  constexpr double kLinearStep = 200.0 / 3.0;
  constexpr double kLogStartHz = 1000.0;
  const double log_step = std::log(6.4) / 27.0;
  if (hz < kLogStartHz) return hz / kLinearStep;
  return kLogStartHz / kLinearStep + std::log(hz / kLogStartHz) / log_step;
}

double MelToHz(double mel, MelScale scale) {
  if (scale == MelScale::kHtk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  constexpr double kLinearStep = 200.0 / 3.0;
  constexpr double kLogStartHz = 1000.0;
  const double log_step = std::log(6.4) / 27.0;
  const double log_start_mel = kLogStartHz / kLinearStep;
  if (mel < log_start_mel) return mel * kLinearStep;
  return kLogStartHz * std::exp(log_step * (mel - log_start_mel));
}

// torchaudio.functional.melscale_fbanks, transposed to [n_mels][bins].
std::vector<float> MelFilterbank(const LogMelOptions& o) {
  const int bins = o.n_fft / 2 + 1;
  std::vector<double> bin_hz(static_cast<size_t>(bins));
  for (int k = 0; k < bins; ++k) {
    // torch.linspace(0, sample_rate // 2, bins)
    bin_hz[static_cast<size_t>(k)] =
        bins == 1 ? 0.0 : static_cast<double>(o.sample_rate_hz / 2) * k / (bins - 1);
  }
  const double mel_min = HzToMel(o.f_min_hz, o.mel_scale);
  const double mel_max = HzToMel(o.f_max_hz, o.mel_scale);
  std::vector<double> points(static_cast<size_t>(o.n_mels) + 2);
  for (int i = 0; i < o.n_mels + 2; ++i) {
    const double mel = mel_min + (mel_max - mel_min) * i / (o.n_mels + 1);
    points[static_cast<size_t>(i)] = MelToHz(mel, o.mel_scale);
  }
  std::vector<float> bank(static_cast<size_t>(o.n_mels) * bins, 0.0f);
  for (int m = 0; m < o.n_mels; ++m) {
    const double lower = points[static_cast<size_t>(m)];
    const double center = points[static_cast<size_t>(m) + 1];
    const double upper = points[static_cast<size_t>(m) + 2];
    const double norm = o.mel_scale == MelScale::kSlaney ? 2.0 / (upper - lower) : 1.0;
    for (int k = 0; k < bins; ++k) {
      const double f = bin_hz[static_cast<size_t>(k)];
      const double down = (f - lower) / (center - lower);
      const double up = (upper - f) / (upper - center);
      const double weight = std::max(0.0, std::min(down, up));
      bank[static_cast<size_t>(m) * bins + static_cast<size_t>(k)] =
          static_cast<float>(weight * norm);
    }
  }
  return bank;
}

}  // namespace

absl::StatusOr<LogMelOptions> LogMelOptionsFromConfig(const v1::AudioFeatures& features,
                                                      MelScale mel_scale, float log_offset,
                                                      absl::string_view source) {
  // The config's uint32 fields may hold values beyond int: bound them first.
  constexpr uint32_t kMaxField = 1u << 20;
  for (const auto& [name, value] :
       {std::pair<const char*, uint32_t>{"sample_rate_hz", features.sample_rate_hz()},
        {"n_fft", features.n_fft()},
        {"hop_length", features.hop_length()},
        {"win_length", features.win_length()},
        {"n_mels", features.n_mels()}}) {
    if (value > kMaxField) return FieldError(source, name, absl::StrCat(value, " is too large"));
  }
  LogMelOptions options;
  options.sample_rate_hz = static_cast<int>(features.sample_rate_hz());
  options.n_fft = static_cast<int>(features.n_fft());
  options.hop_length = static_cast<int>(features.hop_length());
  options.win_length =
      features.win_length() == 0 ? options.n_fft : static_cast<int>(features.win_length());
  options.n_mels = static_cast<int>(features.n_mels());
  options.f_min_hz = features.f_min_hz();
  options.f_max_hz = features.f_max_hz() == 0.0f ? static_cast<float>(options.sample_rate_hz) / 2.0f
                                                 : features.f_max_hz();
  options.mel_scale = mel_scale;
  options.log_offset = log_offset;
  if (auto status = Validate(options, source); !status.ok()) return status;
  return options;
}

absl::StatusOr<std::unique_ptr<LogMelSpectrogram>> LogMelSpectrogram::Create(
    const LogMelOptions& options) {
  if (auto status = Validate(options, ""); !status.ok()) return status;
  return std::unique_ptr<LogMelSpectrogram>(new LogMelSpectrogram(options));
}

LogMelSpectrogram::LogMelSpectrogram(const LogMelOptions& options)
    : options_(options),
      window_(static_cast<size_t>(options.n_fft), 0.0f),
      filterbank_(MelFilterbank(options)),
      silence_value_(std::log(options.log_offset)) {
  // torch.hann_window(win_length) (periodic), zero-padded to n_fft with the
  // window centred, as torch.stft does.
  const int left = (options.n_fft - options.win_length) / 2;
  for (int i = 0; i < options.win_length; ++i) {
    window_[static_cast<size_t>(left + i)] =
        static_cast<float>(0.5 - 0.5 * std::cos(2.0 * kPi * i / options.win_length));
  }
}

int LogMelSpectrogram::NumFrames(size_t num_samples) const {
  const int64_t pad = options_.n_fft / 2;
  const int64_t padded = static_cast<int64_t>(num_samples) + 2 * pad;
  return 1 + static_cast<int>((padded - options_.n_fft) / options_.hop_length);
}

Tensor LogMelSpectrogram::Compute(absl::Span<const float> samples) const {
  const int64_t n = static_cast<int64_t>(samples.size());
  const int64_t pad = options_.n_fft / 2;
  const bool reflect = pad < n;
  // Index into the padded signal -> sample (reflect: x[-1] = x[1]).
  auto padded_sample = [&](int64_t index) -> float {
    int64_t i = index - pad;
    if (i >= 0 && i < n) return samples[static_cast<size_t>(i)];
    if (!reflect) return 0.0f;
    if (i < 0) i = -i;
    if (i >= n) i = 2 * (n - 1) - i;
    return samples[static_cast<size_t>(i)];
  };

  const int frames = NumFrames(samples.size());
  const int bins = options_.n_fft / 2 + 1;
  const int mels = options_.n_mels;
  Tensor out({mels, frames});
  PowerSpectrum spectrum(options_.n_fft);
  std::vector<float> frame(static_cast<size_t>(options_.n_fft));
  std::vector<float> power(static_cast<size_t>(bins));
  float* values = out.data();
  for (int t = 0; t < frames; ++t) {
    const int64_t start = static_cast<int64_t>(t) * options_.hop_length;
    for (int i = 0; i < options_.n_fft; ++i) {
      frame[static_cast<size_t>(i)] = padded_sample(start + i) * window_[static_cast<size_t>(i)];
    }
    spectrum.Compute(frame, absl::MakeSpan(power));
    for (int m = 0; m < mels; ++m) {
      const float* weights = filterbank_.data() + static_cast<size_t>(m) * bins;
      double energy = 0.0;
      for (int k = 0; k < bins; ++k)
        energy += static_cast<double>(weights[k]) * power[static_cast<size_t>(k)];
      values[static_cast<size_t>(m) * frames + static_cast<size_t>(t)] =
          static_cast<float>(std::log(energy + options_.log_offset));
    }
  }
  return out;
}

}  // namespace affect

#include "server/analysis/voice/voice_activity.h"

#include <algorithm>
#include <cmath>

namespace affect {
namespace {

constexpr int kSpectrumSize = 512;
constexpr float kFlatnessLowHz = 100.0f;
constexpr float kFlatnessHighHz = 4000.0f;
constexpr double kPi = 3.14159265358979323846;

const std::vector<float>& HannWindow() {
  static const std::vector<float>* window = [] {
    auto* w = new std::vector<float>(kVoiceFrameLength);
    for (int i = 0; i < kVoiceFrameLength; ++i) {
      (*w)[static_cast<size_t>(i)] =
          static_cast<float>(0.5 - 0.5 * std::cos(2.0 * kPi * i / kVoiceFrameLength));
    }
    return w;
  }();
  return *window;
}

float EnergyDb(double mean_square) {
  if (!(mean_square > 0.0)) return kMinEnergyDbfs;
  return std::max(kMinEnergyDbfs, static_cast<float>(10.0 * std::log10(mean_square)));
}

VoiceFrameFeatures FrameFeatures(absl::Span<const float> frame, PowerSpectrum* spectrum,
                                 std::vector<float>* windowed, std::vector<float>* power) {
  VoiceFrameFeatures features;
  double sum = 0.0;
  double sum_squares = 0.0;
  for (float x : frame) {
    sum += x;
    sum_squares += static_cast<double>(x) * x;
  }
  const double n = static_cast<double>(frame.size());
  features.energy_db = EnergyDb(sum_squares / n);

  // Zero crossings of the mean-removed frame, so a DC offset cannot hide them.
  const float mean = static_cast<float>(sum / n);
  int crossings = 0;
  for (size_t i = 1; i < frame.size(); ++i) {
    crossings += ((frame[i - 1] - mean) >= 0.0f) != ((frame[i] - mean) >= 0.0f);
  }
  features.zero_crossing_rate =
      frame.size() > 1 ? static_cast<float>(crossings) / static_cast<float>(frame.size() - 1)
                       : 0.0f;

  const std::vector<float>& window = HannWindow();
  windowed->assign(frame.size(), 0.0f);
  for (size_t i = 0; i < frame.size(); ++i) (*windowed)[i] = frame[i] * window[i];
  spectrum->Compute(*windowed, absl::MakeSpan(*power));
  const float bin_hz = static_cast<float>(kVoiceSampleRateHz) / kSpectrumSize;
  const int low = static_cast<int>(std::ceil(kFlatnessLowHz / bin_hz));
  const int high = static_cast<int>(std::floor(kFlatnessHighHz / bin_hz));
  double log_sum = 0.0;
  double power_sum = 0.0;
  for (int k = low; k <= high; ++k) {
    const double p = (*power)[static_cast<size_t>(k)];
    power_sum += p;
    log_sum += std::log(p + 1e-20);
  }
  const int bins = high - low + 1;
  const double arithmetic = power_sum / bins;
  // Digital silence has no spectral shape: call it flat (noise-like).
  features.spectral_flatness =
      arithmetic > 1e-18 ? static_cast<float>(std::min(1.0, std::exp(log_sum / bins) / arithmetic))
                         : 1.0f;
  return features;
}

// Sets runs of `value` shorter than `min_length` to !value. With
// `interior_only`, runs touching either end are kept.
void RemoveShortRuns(std::vector<bool>* flags, bool value, int min_length, bool interior_only) {
  const int n = static_cast<int>(flags->size());
  int i = 0;
  while (i < n) {
    if ((*flags)[static_cast<size_t>(i)] != value) {
      ++i;
      continue;
    }
    int j = i;
    while (j < n && (*flags)[static_cast<size_t>(j)] == value) ++j;
    const bool touches_end = i == 0 || j == n;
    if (j - i < min_length && !(interior_only && touches_end)) {
      for (int k = i; k < j; ++k) (*flags)[static_cast<size_t>(k)] = !value;
    }
    i = j;
  }
}

}  // namespace

int VoiceFrameCount(size_t num_samples) {
  if (num_samples == 0) return 0;
  if (num_samples < static_cast<size_t>(kVoiceFrameLength)) return 1;
  return 1 + static_cast<int>((num_samples - kVoiceFrameLength) / kVoiceFrameHop);
}

std::vector<VoiceFrameFeatures> ComputeVoiceFrameFeatures(absl::Span<const float> samples,
                                                          PowerSpectrum* spectrum) {
  const int count = VoiceFrameCount(samples.size());
  std::vector<VoiceFrameFeatures> features(static_cast<size_t>(count));
  std::vector<float> windowed;
  std::vector<float> power(static_cast<size_t>(spectrum->num_bins()));
  for (int f = 0; f < count; ++f) {
    const size_t start = static_cast<size_t>(f) * kVoiceFrameHop;
    const size_t length = std::min<size_t>(kVoiceFrameLength, samples.size() - start);
    features[static_cast<size_t>(f)] =
        FrameFeatures(samples.subspan(start, length), spectrum, &windowed, &power);
  }
  return features;
}

std::vector<bool> DetectVoiceActivity(absl::Span<const VoiceFrameFeatures> frames,
                                      const VoiceActivityOptions& options,
                                      VoiceActivityState* state) {
  VoiceActivityState local;
  if (state == nullptr) state = &local;
  if (!state->initialized) {
    state->noise_floor_dbfs = options.initial_noise_floor_dbfs;
    state->initialized = true;
  }
  float floor = state->noise_floor_dbfs;
  std::vector<bool> speech(frames.size(), false);
  for (size_t i = 0; i < frames.size(); ++i) {
    const VoiceFrameFeatures& f = frames[i];
    const bool speech_like = f.spectral_flatness < options.max_spectral_flatness &&
                             f.zero_crossing_rate < options.max_zero_crossing_rate;
    const float threshold = std::max(options.absolute_floor_dbfs, floor + options.noise_margin_db);
    speech[i] = speech_like && f.energy_db > threshold;
    // Update after deciding, so a frame is judged against the floor that
    // the frames before it set.
    const float gap = f.energy_db - floor;
    if (gap < 0.0f) {
      floor += options.floor_fall_rate * gap;
    } else {
      floor +=
          (speech_like ? options.floor_rise_rate_speech_like : options.floor_rise_rate_noise) * gap;
    }
    floor = std::clamp(floor, kMinEnergyDbfs, 0.0f);
  }
  state->noise_floor_dbfs = floor;
  RemoveShortRuns(&speech, true, options.min_speech_frames, /*interior_only=*/false);
  RemoveShortRuns(&speech, false, options.max_gap_frames, /*interior_only=*/true);
  return speech;
}

}  // namespace affect

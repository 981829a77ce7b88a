#include "server/analysis/voice/voice_analyzer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/analysis/voice/power_spectrum.h"
#include "server/analysis/voice/yin_pitch.h"

namespace affect {
namespace {

constexpr int kSpectrumSize = 512;
constexpr float kMinPitchRangeHz = 40.0f;
constexpr float kMaxPitchRangeHz = 1000.0f;
constexpr double kHopSeconds = static_cast<double>(kVoiceFrameHop) / kVoiceSampleRateHz;

// Runs of speech frames as spans of the clip (VoiceFeatures::speech_spans).
std::vector<SpeechSpan> SpeechSpans(const std::vector<bool>& speech, double duration_seconds) {
  // A frame's 10 ms hop at its centre starts this long after the frame.
  constexpr double kCentreSeconds =
      static_cast<double>(kVoiceFrameLength - kVoiceFrameHop) / 2.0 / kVoiceSampleRateHz;
  std::vector<SpeechSpan> spans;
  const size_t count = speech.size();
  size_t i = 0;
  while (i < count) {
    if (!speech[i]) {
      ++i;
      continue;
    }
    const size_t first = i;
    while (i < count && speech[i]) ++i;
    const double start = first == 0 ? 0.0 : first * kHopSeconds + kCentreSeconds;
    const double end =
        i == count ? duration_seconds : std::min(duration_seconds, i * kHopSeconds + kCentreSeconds);
    if (end > start) spans.push_back(SpeechSpan{start, end});
  }
  return spans;
}

absl::Status InvalidOption(absl::string_view option, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("voice analysis option ", option, " ", problem));
}

double Semitones(double hz) { return 12.0 * std::log2(hz / 100.0); }

PitchSummary Summarize(const std::vector<float>& f0, int speech_frames) {
  PitchSummary summary;
  summary.voiced_frames = static_cast<int>(f0.size());
  summary.voiced_share =
      speech_frames > 0 ? static_cast<float>(f0.size()) / static_cast<float>(speech_frames) : 0.0f;
  if (f0.empty()) return summary;
  double sum = 0.0;
  double sum_st = 0.0;
  for (float hz : f0) {
    sum += hz;
    sum_st += Semitones(hz);
  }
  const double n = static_cast<double>(f0.size());
  const double mean = sum / n;
  const double mean_st = sum_st / n;
  double var = 0.0;
  double var_st = 0.0;
  for (float hz : f0) {
    var += (hz - mean) * (hz - mean);
    const double st = Semitones(hz) - mean_st;
    var_st += st * st;
  }
  summary.mean_hz = static_cast<float>(mean);
  summary.stddev_hz = static_cast<float>(std::sqrt(var / n));
  summary.min_hz = *std::min_element(f0.begin(), f0.end());
  summary.max_hz = *std::max_element(f0.begin(), f0.end());
  summary.mean_semitones = static_cast<float>(mean_st);
  summary.stddev_semitones = static_cast<float>(std::sqrt(var_st / n));
  return summary;
}

}  // namespace

absl::StatusOr<std::unique_ptr<VoiceAnalyzer>> VoiceAnalyzer::Create(
    const VoiceAnalyzerOptions& options) {
  if (!(options.pitch_min_hz >= kMinPitchRangeHz) || !(options.pitch_max_hz <= kMaxPitchRangeHz) ||
      !(options.pitch_min_hz < options.pitch_max_hz)) {
    return InvalidOption("pitch range",
                         absl::StrCat("[", options.pitch_min_hz, ", ", options.pitch_max_hz,
                                      "] Hz must satisfy 40 <= min < max <= 1000"));
  }
  if (!(options.yin_threshold > 0.0f && options.yin_threshold < 1.0f)) {
    return InvalidOption("yin_threshold", absl::StrCat(options.yin_threshold, " is not in (0, 1)"));
  }
  if (options.vad.min_speech_frames < 1 || options.vad.max_gap_frames < 0) {
    return InvalidOption("vad smoothing", "needs min_speech_frames >= 1 and max_gap_frames >= 0");
  }
  if (!(options.syllables.min_dip_db >= 0.0f) || !(options.syllables.min_speech_seconds > 0.0f)) {
    return InvalidOption("syllables", "needs min_dip_db >= 0 and min_speech_seconds > 0");
  }
  return std::unique_ptr<VoiceAnalyzer>(new VoiceAnalyzer(options));
}

VoiceFeatures VoiceAnalyzer::Analyze(absl::Span<const float> samples,
                                     VoiceActivityState* vad_state) const {
  VoiceFeatures features;
  features.duration_seconds = static_cast<double>(samples.size()) / kVoiceSampleRateHz;
  PowerSpectrum spectrum(kSpectrumSize);
  const std::vector<VoiceFrameFeatures> frames = ComputeVoiceFrameFeatures(samples, &spectrum);
  features.frame_count = static_cast<int>(frames.size());
  if (frames.empty()) return features;
  const std::vector<bool> speech = DetectVoiceActivity(frames, options_.vad, vad_state);

  double speech_power = 0.0;
  double all_power = 0.0;
  for (size_t i = 0; i < frames.size(); ++i) {
    const double power = std::pow(10.0, frames[i].energy_db / 10.0);
    all_power += power;
    if (speech[i]) {
      speech_power += power;
      ++features.speech_frame_count;
    }
  }
  features.speech_spans = SpeechSpans(speech, features.duration_seconds);
  features.speech_present = features.speech_frame_count > 0;
  features.active_share =
      static_cast<float>(features.speech_frame_count) / static_cast<float>(frames.size());
  features.speech_seconds = features.speech_frame_count * kHopSeconds;
  const double mean_power = features.speech_present
                                ? speech_power / features.speech_frame_count
                                : all_power / static_cast<double>(frames.size());
  features.loudness_dbfs =
      mean_power > 0.0 ? std::max(kMinEnergyDbfs, static_cast<float>(10.0 * std::log10(mean_power)))
                       : kMinEnergyDbfs;
  if (!features.speech_present) return features;

  // Pitch on speech frames. YIN reads a window longer than the frame; it is
  // centred on the frame and shifted inwards at the clip's edges.
  YinOptions yin_options;
  yin_options.sample_rate_hz = kVoiceSampleRateHz;
  yin_options.min_hz = options_.pitch_min_hz;
  yin_options.max_hz = options_.pitch_max_hz;
  yin_options.threshold = options_.yin_threshold;
  yin_options.window = kVoiceFrameLength;
  YinPitchTracker yin(yin_options);
  const int64_t yin_length = yin.frame_length();
  const int64_t total = static_cast<int64_t>(samples.size());
  std::vector<bool> voiced(frames.size(), false);
  std::vector<float> f0;
  if (total >= yin_length) {
    for (size_t i = 0; i < frames.size(); ++i) {
      if (!speech[i]) continue;
      const int64_t center = static_cast<int64_t>(i) * kVoiceFrameHop + kVoiceFrameLength / 2;
      const int64_t start = std::clamp<int64_t>(center - yin_length / 2, 0, total - yin_length);
      const auto estimate = yin.Estimate(
          samples.subspan(static_cast<size_t>(start), static_cast<size_t>(yin_length)));
      if (!estimate.has_value()) continue;
      voiced[i] = true;
      f0.push_back(estimate->frequency_hz);
    }
  }
  features.pitch = Summarize(f0, features.speech_frame_count);

  std::vector<float> energy(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) energy[i] = frames[i].energy_db;
  features.syllable_nuclei =
      static_cast<int>(FindSyllableNuclei(energy, speech, voiced, options_.syllables).size());
  if (features.speech_seconds >= options_.syllables.min_speech_seconds) {
    features.speaking_rate_hz =
        static_cast<float>(features.syllable_nuclei / features.speech_seconds);
  }
  return features;
}

v1::Voice VoiceAnalyzer::AnalyzeClip(absl::Span<const float> samples) const {
  const VoiceFeatures features = Analyze(samples, nullptr);
  v1::Voice voice;
  FillVoice(features, EstimateArousal(features, PopulationProsodyReference()), &voice);
  return voice;
}

v1::Voice VoiceAnalyzer::AnalyzeStreamWindow(absl::Span<const float> samples,
                                             VoiceStreamState* state) const {
  const VoiceFeatures features = Analyze(samples, &state->vad);
  v1::Voice voice;
  FillVoice(features, state->baseline.EstimateArousal(features), &voice);
  state->baseline.Add(features);
  return voice;
}

void FillVoice(const VoiceFeatures& features, std::optional<float> arousal, v1::Voice* voice) {
  voice->set_speech_present(features.speech_present);
  voice->set_active_share(features.active_share);
  voice->set_loudness_dbfs(features.loudness_dbfs);
  voice->set_duration_seconds(static_cast<float>(features.duration_seconds));
  for (const SpeechSpan& span : features.speech_spans) {
    v1::SpeechSegment* segment = voice->add_speech_segments();
    segment->set_start_seconds(static_cast<float>(span.start_seconds));
    segment->set_end_seconds(static_cast<float>(span.end_seconds));
  }
  if (features.pitch.has_value()) {
    v1::PitchStatistics* pitch = voice->mutable_pitch();
    pitch->set_voiced_share(features.pitch->voiced_share);
    if (features.pitch->voiced_frames > 0) {
      pitch->set_mean_hz(features.pitch->mean_hz);
      pitch->set_stddev_hz(features.pitch->stddev_hz);
      pitch->set_min_hz(features.pitch->min_hz);
      pitch->set_max_hz(features.pitch->max_hz);
    }
  }
  if (features.speaking_rate_hz.has_value()) {
    voice->set_speaking_rate_hz(*features.speaking_rate_hz);
  }
  if (arousal.has_value()) voice->set_arousal(*arousal);
}

}  // namespace affect

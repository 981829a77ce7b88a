#include "server/analysis/voice/voice_arousal.h"

#include <algorithm>
#include <cmath>

namespace affect {
namespace {

constexpr double kLoudnessWeight = 0.35;
constexpr double kPitchWeight = 0.25;
constexpr double kSpreadWeight = 0.20;
constexpr double kRateWeight = 0.20;
constexpr double kMaxAbsZ = 3.0;

// Standard-deviation floors of a stream baseline.
constexpr double kMinLoudnessStddevDb = 2.0;
constexpr double kMinPitchStddevSemitones = 1.0;
constexpr double kMinSpreadStddevSemitones = 0.5;
constexpr double kMinRateStddevHz = 0.5;

// How many seconds of a stream's own speech weigh as much as the prior.
constexpr double kDefaultPriorSeconds = 5.0;

double ZScore(double value, const FeatureReference& reference) {
  const double z = (value - reference.mean) / std::max(reference.stddev, 1e-6);
  return std::clamp(z, -kMaxAbsZ, kMaxAbsZ);
}

enum class Cue { kLoudness, kPitch, kSpread, kRate };

// tanh of the weighted mean of the z-scores of the cues present.
template <typename ZFn>
std::optional<float> CombineCues(const VoiceFeatures& features, ZFn z) {
  if (!features.speech_present) return std::nullopt;
  double weighted = kLoudnessWeight * z(Cue::kLoudness, features.loudness_dbfs);
  double weights = kLoudnessWeight;
  if (features.pitch.has_value() && features.pitch->voiced_frames > 0) {
    weighted += kPitchWeight * z(Cue::kPitch, features.pitch->mean_semitones);
    weighted += kSpreadWeight * z(Cue::kSpread, features.pitch->stddev_semitones);
    weights += kPitchWeight + kSpreadWeight;
  }
  if (features.speaking_rate_hz.has_value()) {
    weighted += kRateWeight * z(Cue::kRate, *features.speaking_rate_hz);
    weights += kRateWeight;
  }
  return static_cast<float>(std::tanh(weighted / weights));
}

}  // namespace

const ProsodyReference& PopulationProsodyReference() {
  static const ProsodyReference reference = [] {
    ProsodyReference r;
    r.loudness_dbfs = {-26.0, 6.0};
    r.pitch_semitones = {12.0 * std::log2(160.0 / 100.0), 4.0};
    r.pitch_spread_semitones = {2.5, 1.0};
    r.speaking_rate_hz = {4.0, 1.0};
    return r;
  }();
  return reference;
}

std::optional<float> EstimateArousal(const VoiceFeatures& features,
                                     const ProsodyReference& reference) {
  return CombineCues(features, [&](Cue cue, double value) {
    switch (cue) {
      case Cue::kLoudness:
        return ZScore(value, reference.loudness_dbfs);
      case Cue::kPitch:
        return ZScore(value, reference.pitch_semitones);
      case Cue::kSpread:
        return ZScore(value, reference.pitch_spread_semitones);
      case Cue::kRate:
        return ZScore(value, reference.speaking_rate_hz);
    }
    return 0.0;
  });
}

void VoiceBaseline::Accumulator::Add(double value, double w) {
  if (!(w > 0.0)) return;
  weight += w;
  const double delta = value - mean;
  mean += delta * w / weight;
  m2 += w * delta * (value - mean);
}

FeatureReference VoiceBaseline::Accumulator::Reference(double min_stddev) const {
  FeatureReference r;
  r.mean = mean;
  r.stddev = std::max(weight > 0.0 ? std::sqrt(m2 / weight) : 0.0, min_stddev);
  return r;
}

VoiceBaseline::VoiceBaseline()
    : VoiceBaseline(PopulationProsodyReference(), kDefaultPriorSeconds) {}

VoiceBaseline::VoiceBaseline(const ProsodyReference& population, double prior_seconds)
    : population_(population), prior_seconds_(std::max(0.0, prior_seconds)) {}

void VoiceBaseline::Add(const VoiceFeatures& features) {
  if (!features.speech_present || !(features.speech_seconds > 0.0)) return;
  const double w = features.speech_seconds;
  speech_seconds_ += w;
  loudness_.Add(features.loudness_dbfs, w);
  if (features.pitch.has_value() && features.pitch->voiced_frames > 0) {
    pitch_.Add(features.pitch->mean_semitones, w);
    spread_.Add(features.pitch->stddev_semitones, w);
  }
  if (features.speaking_rate_hz.has_value()) rate_.Add(*features.speaking_rate_hz, w);
}

double VoiceBaseline::BlendedZ(double value, const FeatureReference& population,
                               const Accumulator& stream, double min_stddev) const {
  const double total = prior_seconds_ + stream.weight;
  const double a = total > 0.0 ? prior_seconds_ / total : 1.0;
  const double z_population = ZScore(value, population);
  if (a >= 1.0) return z_population;
  return a * z_population + (1.0 - a) * ZScore(value, stream.Reference(min_stddev));
}

std::optional<float> VoiceBaseline::EstimateArousal(const VoiceFeatures& features) const {
  return CombineCues(features, [&](Cue cue, double value) {
    switch (cue) {
      case Cue::kLoudness:
        return BlendedZ(value, population_.loudness_dbfs, loudness_, kMinLoudnessStddevDb);
      case Cue::kPitch:
        return BlendedZ(value, population_.pitch_semitones, pitch_, kMinPitchStddevSemitones);
      case Cue::kSpread:
        return BlendedZ(value, population_.pitch_spread_semitones, spread_,
                        kMinSpreadStddevSemitones);
      case Cue::kRate:
        return BlendedZ(value, population_.speaking_rate_hz, rate_, kMinRateStddevHz);
    }
    return 0.0;
  });
}

ProsodyReference VoiceBaseline::StreamReference() const {
  ProsodyReference r;
  r.loudness_dbfs = loudness_.Reference(kMinLoudnessStddevDb);
  r.pitch_semitones = pitch_.Reference(kMinPitchStddevSemitones);
  r.pitch_spread_semitones = spread_.Reference(kMinSpreadStddevSemitones);
  r.speaking_rate_hz = rate_.Reference(kMinRateStddevHz);
  return r;
}

}  // namespace affect

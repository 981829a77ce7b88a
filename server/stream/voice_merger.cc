#include "server/stream/voice_merger.h"

#include <algorithm>
#include <cmath>

namespace affect::stream {

void VoiceMerger::Add(const v1::Voice& voice, double seconds) {
  if (!(seconds > 0.0)) return;
  const double active = std::clamp(static_cast<double>(voice.active_share()), 0.0, 1.0);
  const double speech = voice.speech_present() ? seconds * active : 0.0;
  const double power = std::pow(10.0, static_cast<double>(voice.loudness_dbfs()) / 10.0);
  seconds_ += seconds;
  speech_seconds_ += speech;
  speech_present_ = speech_present_ || voice.speech_present();
  all_power_sum_ += seconds * power;
  if (speech > 0.0) {
    speech_power_sum_ += speech * power;
    arousal_sum_ += speech * voice.arousal();
    arousal_weight_ += speech;
    if (voice.speaking_rate_hz() > 0.0f) {
      rate_sum_ += speech * voice.speaking_rate_hz();
      rate_weight_ += speech;
    }
  }
  if (voice.has_pitch() && speech > 0.0) {
    const v1::PitchStatistics& pitch = voice.pitch();
    const double voiced = speech * std::clamp(static_cast<double>(pitch.voiced_share()), 0.0, 1.0);
    if (voiced > 0.0 && pitch.mean_hz() > 0.0f) {
      const double mean = pitch.mean_hz();
      const double sd = pitch.stddev_hz();
      voiced_seconds_ += voiced;
      pitch_mean_sum_ += voiced * mean;
      pitch_square_sum_ += voiced * (sd * sd + mean * mean);
      pitch_min_hz_ = has_pitch_ ? std::min(pitch_min_hz_, pitch.min_hz()) : pitch.min_hz();
      pitch_max_hz_ = has_pitch_ ? std::max(pitch_max_hz_, pitch.max_hz()) : pitch.max_hz();
      has_pitch_ = true;
    }
  }
  if (voice.emotion_scores_size() > 0) {
    for (const v1::LabelScore& entry : voice.emotion_scores()) {
      auto it = std::find(labels_.begin(), labels_.end(), entry.label());
      if (it == labels_.end()) {
        labels_.push_back(entry.label());
        label_sums_.push_back(0.0);
        it = labels_.end() - 1;
      }
      label_sums_[static_cast<size_t>(it - labels_.begin())] += seconds * entry.score();
    }
    emotion_weight_ += seconds;
    emotion_model_ = voice.emotion_model();
  }
}

v1::Voice VoiceMerger::Merged() const {
  v1::Voice voice;
  if (empty()) return voice;
  voice.set_duration_seconds(static_cast<float>(seconds_));
  voice.set_speech_present(speech_present_);
  voice.set_active_share(static_cast<float>(speech_seconds_ / seconds_));
  const double power =
      speech_seconds_ > 0.0 ? speech_power_sum_ / speech_seconds_ : all_power_sum_ / seconds_;
  voice.set_loudness_dbfs(static_cast<float>(10.0 * std::log10(std::max(power, 1e-12))));
  if (has_pitch_) {
    v1::PitchStatistics* pitch = voice.mutable_pitch();
    const double mean = pitch_mean_sum_ / voiced_seconds_;
    const double variance = std::max(0.0, pitch_square_sum_ / voiced_seconds_ - mean * mean);
    pitch->set_mean_hz(static_cast<float>(mean));
    pitch->set_stddev_hz(static_cast<float>(std::sqrt(variance)));
    pitch->set_min_hz(pitch_min_hz_);
    pitch->set_max_hz(pitch_max_hz_);
    pitch->set_voiced_share(static_cast<float>(voiced_seconds_ / speech_seconds_));
  }
  if (rate_weight_ > 0.0) voice.set_speaking_rate_hz(static_cast<float>(rate_sum_ / rate_weight_));
  if (arousal_weight_ > 0.0) voice.set_arousal(static_cast<float>(arousal_sum_ / arousal_weight_));
  if (emotion_weight_ > 0.0) {
    for (size_t i = 0; i < labels_.size(); ++i) {
      v1::LabelScore* entry = voice.add_emotion_scores();
      entry->set_label(labels_[i]);
      entry->set_score(static_cast<float>(label_sums_[i] / emotion_weight_));
    }
    *voice.mutable_emotion_model() = emotion_model_;
  }
  return voice;
}

}  // namespace affect::stream

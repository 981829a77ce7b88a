#include "server/stream/active_speaker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <unordered_set>

#include "absl/strings/str_format.h"

namespace affect::stream {
namespace {

bool InSpeech(const std::vector<TimeInterval>& speech, int64_t t) {
  // The last interval starting at or before t.
  auto it =
      std::upper_bound(speech.begin(), speech.end(), t,
                       [](int64_t value, const TimeInterval& i) { return value < i.start_us; });
  if (it == speech.begin()) return false;
  --it;
  return t < it->end_us;
}

// Population standard deviation (Welford, in double).
class Spread {
 public:
  void Add(double x) {
    ++count_;
    const double delta = x - mean_;
    mean_ += delta / count_;
    m2_ += delta * (x - mean_);
  }
  int count() const { return count_; }
  // Saturated to float's range (a cast beyond it would be undefined).
  float stddev() const {
    const double sd = count_ > 0 ? std::sqrt(std::max(0.0, m2_ / count_)) : 0.0;
    return static_cast<float>(std::min(sd, static_cast<double>(std::numeric_limits<float>::max())));
  }

 private:
  int count_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0;
};

}  // namespace

std::vector<TimeInterval> NormaliseSpeech(std::vector<TimeInterval> speech, int64_t start,
                                          int64_t end) {
  std::vector<TimeInterval> clipped;
  for (TimeInterval interval : speech) {
    interval.start_us = std::max(interval.start_us, start);
    interval.end_us = std::min(interval.end_us, end);
    if (interval.start_us < interval.end_us) clipped.push_back(interval);
  }
  std::sort(clipped.begin(), clipped.end(),
            [](const TimeInterval& a, const TimeInterval& b) { return a.start_us < b.start_us; });
  std::vector<TimeInterval> merged;
  for (const TimeInterval& interval : clipped) {
    if (!merged.empty() && interval.start_us <= merged.back().end_us) {
      merged.back().end_us = std::max(merged.back().end_us, interval.end_us);
    } else {
      merged.push_back(interval);
    }
  }
  return merged;
}

const char* SpeakerDecisionName(SpeakerDecision decision) {
  switch (decision) {
    case SpeakerDecision::kSpeaker:
      return "speaker";
    case SpeakerDecision::kNoSpeech:
      return "no_speech";
    case SpeakerDecision::kNoFaceDuringSpeech:
      return "no_face_during_speech";
    case SpeakerDecision::kNoMouthMoving:
      return "no_mouth_moving";
    case SpeakerDecision::kAmbiguous:
      return "ambiguous";
  }
  return "unknown";
}

absl::Status ValidateActiveSpeakerOptions(const ActiveSpeakerOptions& o) {
  if (o.min_speech_us < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("active speaker: min_speech_us %d must be >= 0", o.min_speech_us));
  }
  if (o.min_speech_samples < 2 || o.min_silence_samples < 2) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "active speaker: min_speech_samples %d and min_silence_samples %d must be >= 2 (a "
        "spread needs two samples)",
        o.min_speech_samples, o.min_silence_samples));
  }
  if (!(std::isfinite(o.min_speaking_movement) && o.min_speaking_movement > 0.0f)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("active speaker: min_speaking_movement %g must be finite and positive",
                        o.min_speaking_movement));
  }
  if (!(std::isfinite(o.min_margin) && o.min_margin >= 0.0f)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("active speaker: min_margin %g must be finite and >= 0", o.min_margin));
  }
  if (!(o.min_relative_margin >= 0.0f && o.min_relative_margin < 1.0f)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "active speaker: min_relative_margin %g is outside [0, 1)", o.min_relative_margin));
  }
  return absl::OkStatus();
}

absl::StatusOr<ActiveSpeaker> AttributeVoice(const ActiveSpeakerInput& input,
                                             const ActiveSpeakerOptions& options) {
  if (input.window_start_us < 0 || input.window_end_us <= input.window_start_us) {
    return absl::InvalidArgumentError(
        absl::StrFormat("active speaker: the window [%d, %d) us must have 0 <= start < end",
                        input.window_start_us, input.window_end_us));
  }
  std::unordered_set<uint64_t> ids;
  for (const TrackMouthSeries& track : input.tracks) {
    if (!ids.insert(track.track_id).second) {
      return absl::InvalidArgumentError(
          absl::StrFormat("active speaker: track %d appears twice", track.track_id));
    }
  }

  ActiveSpeaker result;
  const std::vector<TimeInterval> speech =
      NormaliseSpeech(input.speech, input.window_start_us, input.window_end_us);
  int64_t speech_us = 0;  // <= window length: no overflow (start >= 0)
  for (const TimeInterval& interval : speech) speech_us += interval.end_us - interval.start_us;
  result.speech_seconds = static_cast<double>(speech_us) / 1e6;

  std::optional<size_t> best;
  std::optional<size_t> second;
  for (const TrackMouthSeries& track : input.tracks) {
    Spread during_speech;
    Spread during_silence;
    for (const MouthSample& sample : track.samples) {
      if (!std::isfinite(sample.openness) || sample.timestamp_us < input.window_start_us ||
          sample.timestamp_us >= input.window_end_us) {
        continue;
      }
      (InSpeech(speech, sample.timestamp_us) ? during_speech : during_silence).Add(sample.openness);
    }
    TrackSpeakingEvidence evidence;
    evidence.track_id = track.track_id;
    evidence.speech_samples = during_speech.count();
    evidence.silence_samples = during_silence.count();
    evidence.speech_movement = during_speech.stddev();
    if (during_silence.count() >= options.min_silence_samples) {
      evidence.silence_movement = during_silence.stddev();
    }
    evidence.score = evidence.speech_movement - evidence.silence_movement;
    evidence.judged =
        during_speech.count() >= options.min_speech_samples && std::isfinite(evidence.score);
    result.tracks.push_back(evidence);
    if (!evidence.judged) continue;
    const size_t index = result.tracks.size() - 1;
    if (!best || evidence.score > result.tracks[*best].score) {
      second = best;
      best = index;
    } else if (!second || evidence.score > result.tracks[*second].score) {
      second = index;
    }
  }

  if (speech_us < options.min_speech_us || speech_us == 0) {
    result.decision = SpeakerDecision::kNoSpeech;
    result.reason = absl::StrFormat(
        "no speech to attribute: %.2f s of speech in the window (at "
        "least %.2f s needed)",
        result.speech_seconds, options.min_speech_us / 1e6);
    return result;
  }
  if (!best) {
    result.decision = SpeakerDecision::kNoFaceDuringSpeech;
    result.reason = absl::StrFormat(
        "no face's mouth was seen during the %.2f s of speech (a track needs %d samples during "
        "speech): the speaker may be off screen",
        result.speech_seconds, options.min_speech_samples);
    return result;
  }
  const TrackSpeakingEvidence& top = result.tracks[*best];
  if (top.score < options.min_speaking_movement) {
    result.decision = SpeakerDecision::kNoMouthMoving;
    result.reason = absl::StrFormat(
        "no mouth moved with the speech: the most, track %d, by %.3f (%.3f during speech, %.3f "
        "in silence), under %.3f",
        top.track_id, top.score, top.speech_movement, top.silence_movement,
        options.min_speaking_movement);
    return result;
  }
  if (second) {
    const TrackSpeakingEvidence& runner_up = result.tracks[*second];
    const float margin = top.score - runner_up.score;
    const float needed = std::max(options.min_margin, options.min_relative_margin * top.score);
    if (margin < needed) {
      result.decision = SpeakerDecision::kAmbiguous;
      result.reason = absl::StrFormat(
          "ambiguous: tracks %d and %d moved their mouths alike during speech (%.3f and %.3f, "
          "margin %.3f < %.3f)",
          top.track_id, runner_up.track_id, top.score, runner_up.score, margin, needed);
      return result;
    }
  }
  result.decision = SpeakerDecision::kSpeaker;
  result.track_id = top.track_id;
  result.reason = absl::StrFormat(
      "track %d: mouth movement %.3f during %.2f s of speech against %.3f in silence", top.track_id,
      top.speech_movement, result.speech_seconds, top.silence_movement);
  if (second) {
    const TrackSpeakingEvidence& runner_up = result.tracks[*second];
    result.reason += absl::StrFormat("; next, track %d, %.3f", runner_up.track_id, runner_up.score);
  }
  return result;
}

}  // namespace affect::stream

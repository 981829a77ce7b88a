#include "server/stream/affect_fusion.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "server/analysis/face/circumplex.h"
#include "server/analysis/face/expression_labels.h"
#include "server/stream/weak_evidence.h"

namespace affect::stream {
namespace {

// "+0.62" / "-0.05" / "+0.00": never "-0.00".
std::string Signed(double value) {
  if (std::abs(value) < 0.005) value = 0.0;
  return absl::StrFormat("%+.2f", value);
}

std::string Seconds(int64_t us) { return absl::StrFormat("%.2f s", static_cast<double>(us) / 1e6); }

std::string FaceSentence(const FaceEvidence& face, float dominant_score,
                         const analysis::CircumplexPoint& point) {
  const std::string seen =
      face.frames_seen == 1
          ? absl::StrCat("1 frame at ", Seconds(face.first_seen_us))
          : absl::StrFormat("%d frames over %.1f s", face.frames_seen,
                            static_cast<double>(face.last_seen_us - face.first_seen_us) / 1e6);
  return absl::StrFormat(
      "Face (track %d, %s): %s %s (%.2f smoothed over %d frame%s), valence %s, arousal %s.",
      face.track_id, seen, dominant_score >= 0.5f ? "mostly" : "leaning",
      std::string(analysis::ExpressionName(face.dominant)), dominant_score, face.smoothing_frames,
      face.smoothing_frames == 1 ? "" : "s", Signed(point.valence), Signed(point.arousal));
}

std::string ChangesSentence(const std::vector<v1::ExpressionChange>& changes) {
  constexpr size_t kListed = 3;
  auto one = [](const v1::ExpressionChange& c) {
    return absl::StrCat(analysis::ExpressionName(c.from()), " to ",
                        analysis::ExpressionName(c.to()), " at ", Seconds(c.timestamp_us()));
  };
  if (changes.size() == 1) return absl::StrCat(" Changed from ", one(changes[0]), ".");
  std::vector<std::string> listed;
  for (size_t i = 0; i < changes.size() && i < kListed; ++i) listed.push_back(one(changes[i]));
  std::string text = absl::StrCat(" Changes: ", absl::StrJoin(listed, ", "));
  if (changes.size() > kListed) absl::StrAppend(&text, " and ", changes.size() - kListed, " more");
  return text + ".";
}

// "2 faces were tracked in this window (tracks 1, 3)"; at most 5 ids listed.
std::string TracksClause(const VoiceEvidence& evidence) {
  constexpr size_t kListed = 5;
  const size_t total =
      evidence.tracks_in_window.size() + static_cast<size_t>(evidence.unlisted_tracks);
  if (total == 0) return "no face was tracked in this window";
  std::vector<uint64_t> listed(
      evidence.tracks_in_window.begin(),
      evidence.tracks_in_window.begin() +
          static_cast<std::ptrdiff_t>(std::min(kListed, evidence.tracks_in_window.size())));
  std::string text = absl::StrCat(total, total == 1 ? " face was" : " faces were",
                                  " tracked in this window (track", total == 1 ? " " : "s ",
                                  absl::StrJoin(listed, ", "));
  if (total > listed.size()) absl::StrAppend(&text, " and ", total - listed.size(), " more");
  return text + ")";
}

}  // namespace

absl::Status ValidateFusionOptions(const FusionOptions& o) {
  auto bad = [](absl::string_view field, auto value, absl::string_view range) {
    return absl::InvalidArgumentError(
        absl::StrCat("fusion.", field, ": ", value, " is outside ", range));
  };
  if (!(o.neutral_radius >= 0.0f && o.neutral_radius < 1.5f)) {
    return bad("neutral_radius", o.neutral_radius, "[0, 1.5)");
  }
  if (!(o.face_arousal_weight > 0.0f))
    return bad("face_arousal_weight", o.face_arousal_weight, "(0, inf)");
  if (!(o.voice_arousal_weight >= 0.0f)) {
    return bad("voice_arousal_weight", o.voice_arousal_weight, "[0, inf)");
  }
  if (!(o.voice_full_seconds > 0.0))
    return bad("voice_full_seconds", o.voice_full_seconds, "(0, inf)");
  if (!(o.face_only_cue_factor > 0.0f && o.face_only_cue_factor <= 1.0f)) {
    return bad("face_only_cue_factor", o.face_only_cue_factor, "(0, 1]");
  }
  if (!(o.disagreement_penalty >= 0.0f && o.disagreement_penalty <= 0.5f)) {
    return bad("disagreement_penalty", o.disagreement_penalty, "[0, 0.5]");
  }
  if (!(o.weak_evidence_confidence >= 0.0f && o.weak_evidence_confidence <= 1.0f)) {
    return bad("weak_evidence_confidence", o.weak_evidence_confidence, "[0, 1]");
  }
  if (!(o.movement_arousal_weight >= 0.0f)) {
    return bad("movement_arousal_weight", o.movement_arousal_weight, "[0, inf)");
  }
  return absl::OkStatus();
}

std::string QuadrantLabel(float valence, float arousal, float neutral_radius) {
  if (std::sqrt(valence * valence + arousal * arousal) < neutral_radius) return "neutral";
  return absl::StrCat(valence >= 0.0f ? "positive-" : "negative-",
                      arousal > 0.0f ? "excited" : "calm");
}

v1::FusedAffect FuseAffect(const FaceEvidence& face, const VoiceEvidence& evidence,
                           const FusionOptions& options) {
  const analysis::CircumplexPoint point = analysis::ExpectedCircumplex(face.smoothed);
  const int dominant = std::max(0, analysis::ExpressionIndex(face.dominant));
  const float dominant_score = face.smoothed[static_cast<size_t>(dominant)];
  float runner_up = 0.0f;
  for (int i = 0; i < analysis::kNumExpressions; ++i) {
    if (i != dominant) runner_up = std::max(runner_up, face.smoothed[static_cast<size_t>(i)]);
  }
  const float margin = std::clamp(dominant_score - runner_up, 0.0f, 1.0f);
  const float face_reliability = std::clamp(static_cast<float>(face.smoothing_frames) /
                                                static_cast<float>(std::max(1, face.window_frames)),
                                            0.0f, 1.0f);

  const v1::Voice* voice = evidence.voice;
  const double speech_seconds =
      voice != nullptr && voice->speech_present()
          ? static_cast<double>(voice->duration_seconds()) * voice->active_share()
          : 0.0;
  const bool alone = evidence.tracks_in_window.size() == 1 && evidence.unlisted_tracks == 0 &&
                     evidence.tracks_in_window[0] == face.track_id;
  const ActiveSpeaker* speaker = evidence.speaker;
  const bool attributed = speaker != nullptr && speaker->decision == SpeakerDecision::kSpeaker &&
                          speaker->track_id == face.track_id;
  const bool use_voice = speech_seconds > 0.0 && (alone || attributed);
  const bool use_movement =
      face.movement.energy.has_value() && options.movement_arousal_weight > 0.0f;
  const float movement_arousal = 2.0f * std::clamp(face.movement.level, 0.0f, 1.0f) - 1.0f;

  float arousal = point.arousal;
  float face_share = 1.0f;
  float movement_share = 0.0f;
  float cues = options.face_only_cue_factor;
  if (use_voice || use_movement) {
    const float w_face = options.face_arousal_weight * face_reliability;
    const float w_voice =
        use_voice
            ? options.voice_arousal_weight *
                  static_cast<float>(std::min(1.0, speech_seconds / options.voice_full_seconds))
            : 0.0f;
    const float w_movement = use_movement ? options.movement_arousal_weight : 0.0f;
    const float total = w_face + w_voice + w_movement;
    face_share = w_face / total;
    movement_share = w_movement / total;
    arousal = face_share * point.arousal + movement_share * movement_arousal;
    if (use_voice) arousal += (1.0f - face_share - movement_share) * voice->arousal();
  }
  if (use_voice) {
    cues = 1.0f - options.disagreement_penalty * std::abs(point.arousal - voice->arousal());
  }
  const float valence = std::clamp(point.valence, -1.0f, 1.0f);
  arousal = std::clamp(arousal, -1.0f, 1.0f);
  const float confidence = std::clamp(face_reliability * (0.5f + 0.5f * margin) * cues, 0.0f, 1.0f);

  v1::FusedAffect fused;
  fused.set_valence(valence);
  fused.set_arousal(arousal);
  fused.set_label(QuadrantLabel(valence, arousal, options.neutral_radius));
  fused.set_confidence(confidence);

  std::string text = FaceSentence(face, dominant_score, point);
  if (!face.changes.empty()) text += ChangesSentence(face.changes);
  if (voice != nullptr) {
    const std::string over = absl::StrFormat(" Voice over %.1f s: ", voice->duration_seconds());
    const int speech_percent = static_cast<int>(std::lround(voice->active_share() * 100.0f));
    if (!voice->speech_present()) {
      absl::StrAppend(&text, over, "no speech detected, so the voice was not used.");
    } else if (!use_voice && speaker != nullptr && speaker->decision == SpeakerDecision::kSpeaker) {
      absl::StrAppend(&text, over, "speech ", speech_percent, "% of the time, arousal ",
                      Signed(voice->arousal()), ", but attributed to track ", speaker->track_id,
                      " (", speaker->reason, "), so not used for this track.");
    } else if (!use_voice) {
      absl::StrAppend(&text, over, "speech ", speech_percent, "% of the time, arousal ",
                      Signed(voice->arousal()), ", but not used: ", TracksClause(evidence));
      if (speaker != nullptr) {
        absl::StrAppend(&text, " and the mouths did not single out a speaker (", speaker->reason,
                        ").");
      } else {
        absl::StrAppend(&text,
                        " and one audio channel cannot be attributed to a person without "
                        "speaker diarization.");
      }
    } else {
      absl::StrAppend(&text, over, "speech ", speech_percent, "% of the time, ",
                      absl::StrFormat("%.1f dBFS", voice->loudness_dbfs()));
      if (voice->has_pitch()) {
        absl::StrAppend(&text, absl::StrFormat(", pitch %.0f Hz", voice->pitch().mean_hz()));
      }
      absl::StrAppend(&text, ", arousal ", Signed(voice->arousal()),
                      " (prosody relative to this stream's baseline).");
      if (!alone)
        absl::StrAppend(&text, " Voice attributed to track ", face.track_id, " (", speaker->reason,
                        ").");
    }
  }
  if (use_movement) {
    absl::StrAppend(
        &text, absl::StrFormat(
                   " Movement energy %.2f body scales/s %s.", *face.movement.energy,
                   movement_arousal > 0.0f ? "supports high arousal" : "suggests low arousal"));
  }
  if (face.attention != nullptr && face.attention->level != DrowsinessLevel::kUnknown) {
    std::string detail = absl::StrJoin(face.attention->reasons, "; ");
    if (detail.empty() && face.attention->perclos.has_value()) {
      detail = absl::StrFormat("PERCLOS %.2f", *face.attention->perclos);
    }
    absl::StrAppend(&text, " Drowsiness: ", DrowsinessLevelName(face.attention->level),
                    detail.empty() ? "" : absl::StrCat(" (", detail, ")"), ".");
  }
  const std::string confidence_text = absl::StrFormat("confidence %.2f", confidence);
  const int face_percent = static_cast<int>(std::lround(face_share * 100.0f));
  const int movement_percent = static_cast<int>(std::lround(movement_share * 100.0f));
  const std::string movement_part =
      use_movement ? absl::StrCat(", ", movement_percent, "% movement") : "";
  if (use_voice) {
    absl::StrAppend(&text, " Fused: ", fused.label(), " (valence ", Signed(valence),
                    " from the face; arousal ", Signed(arousal), " = ", face_percent, "% face, ",
                    100 - face_percent - movement_percent, "% voice", movement_part, "; ",
                    confidence_text, ").");
  } else if (use_movement) {
    absl::StrAppend(&text, " Fused: ", fused.label(), " from the face and movement (valence ",
                    Signed(valence), " from the face; arousal ", Signed(arousal), " = ",
                    face_percent, "% face", movement_part, "; ", confidence_text, ").");
  } else {
    absl::StrAppend(&text, " Fused: ", fused.label(), " from the face alone (valence ",
                    Signed(valence), ", arousal ", Signed(arousal), "; ", confidence_text, ").");
  }
  EvidenceStrength strength;
  strength.confidence = confidence;
  strength.weak_below = options.weak_evidence_confidence;
  strength.smoothing_frames = face.smoothing_frames;
  strength.window_frames = face.window_frames;
  strength.dominant = analysis::ExpressionName(face.dominant);
  strength.margin = margin;
  strength.voice_used = use_voice;
  if (use_voice) strength.arousal_disagreement = std::abs(point.arousal - voice->arousal());
  fused.set_weak_evidence(IsWeakEvidence(strength));
  text += WeakEvidenceSentence(strength);
  fused.set_explanation(std::move(text));
  return fused;
}

}  // namespace affect::stream

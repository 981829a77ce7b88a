// Face + voice fusion for one tracked person over one aggregate window, and
// the plain-language explanation of it (FusedAffect in affect_service.proto).
//
// THE RULE
//  - Valence comes from the face only: the smoothed expression scores mapped
//    onto the circumplex (analysis/face/circumplex.h). Prosody (loudness,
//    pitch, rate) tracks arousal well but carries valence poorly: angry and
//    joyful speech are both loud, high and fast.
//  - Arousal blends the face's circumplex arousal a_f and the voice arousal
//    a_v (voice/voice_arousal.h, against the stream's baseline) when the
//    voice is usable:
//        arousal = (w_f a_f + w_v a_v) / (w_f + w_v)
//        w_f = face_arousal_weight  x r_f,  r_f = frames behind the smoothed
//                                               scores / smoothing window
//        w_v = voice_arousal_weight x r_v,  r_v = min(1, speech seconds in
//                                               the window / voice_full_seconds)
//    otherwise arousal = a_f.
//  - The voice is usable when the window has audio with speech AND either
//    exactly one face track was seen in the window, or the active speaker
//    rule (active_speaker.h, from the mouths' movement during speech;
//    needs ATTENTION) attributed the voice to this track. With two or more
//    people in view and no attribution, one audio channel cannot be given
//    to a person: every track is then fused from its face alone and the
//    explanation says why (and names the speaker decision when there was
//    one); the voice stays in StreamAggregate.voice for the caller.
//  - Movement energy (BODY, movement_energy.h) joins the arousal blend when
//    it was measured in the window, as a third cue with a small weight:
//        a_m = 2 level - 1 (level = min(1, energy / 1 body scale/s)),
//        w_m = movement_arousal_weight (0.25)
//        arousal = (w_f a_f [+ w_v a_v] + w_m a_m) / (w_f [+ w_v] + w_m)
//    Lively gesturing goes with high arousal, stillness with calm; the
//    weight is small because the energy is uncalibrated (jitter floor) and
//    movement also comes from things that are not affect (walking, turning
//    to a screen). It does not change the confidence.
//  - Drowsiness (ATTENTION, attention_tracker.h) is reported, not fused:
//    the explanation names the level and its reasons when it is known.
//  - Label by quadrant of (valence, arousal) with a neutral disc: "neutral"
//    when sqrt(v^2 + a^2) < neutral_radius, else "positive-" (v >= 0) or
//    "negative-", then "excited" (a > 0) or "calm" (a <= 0).
//  - confidence = r_f x (0.5 + 0.5 x margin) x cues, in [0, 1]:
//      margin = smoothed score of the dominant minus the next class (a tie
//               halves the confidence, a certain class keeps it),
//      cues   = face_only_cue_factor when the voice is not used, else
//               1 - disagreement_penalty x |a_f - a_v| (two agreeing cues
//               beat one; cues far apart fall below it).
//
// THE EXPLANATION is built by a fixed template, sentence by sentence, from
// the same numbers (rounded as printed); a cue that was absent is never
// mentioned (no audio: no voice sentence):
//   Face (track 2, 27 frames over 1.8 s): mostly happy (0.71 smoothed over
//   15 frames), valence +0.62, arousal +0.24.
//   [Changed from neutral to happy at 12.40 s.]
//   [Voice over 1.8 s: speech 64% of the time, -23.0 dBFS, pitch 182 Hz,
//    arousal +0.41 (prosody relative to this stream's baseline).]
//   [Voice attributed to track 2 (track 2: mouth movement 0.120 during
//    1.50 s of speech against 0.020 in silence).]   (several faces only)
//   [Movement energy 0.80 body scales/s supports high arousal.]
//   [Drowsiness: tired (PERCLOS 0.09 >= 0.075).]
//   Fused: positive-excited (valence +0.62 from the face; arousal +0.33 =
//   50% face, 50% voice; confidence 0.76).
// With movement the shares read "45% face, 45% voice, 10% movement" (or
// "... from the face and movement (... = 80% face, 20% movement ...").
// "mostly" when the dominant's smoothed score is >= 0.5, else "leaning".
// Voice not used: "Voice over 1.8 s: no speech detected, so the voice was
// not used." or "...: speech 64% of the time, arousal +0.41, but not used:
// 2 faces were tracked in this window (tracks 1, 3) and one audio channel
// cannot be attributed to a person without speaker diarization." and then
// "Fused: positive-excited from the face alone (valence +0.62, arousal
// +0.24; confidence 0.62)."
//
// WEAK EVIDENCE: below FusionOptions::weak_evidence_confidence the reading
// is flagged (FusedAffect.weak_evidence) and the explanation ends with why
// (weak_evidence.h): " Weak evidence (confidence 0.31 < 0.40: ...): do not
// act on this reading alone."
//
// Pure functions, thread-safe.
#ifndef AFFECT_SERVER_STREAM_AFFECT_FUSION_H_
#define AFFECT_SERVER_STREAM_AFFECT_FUSION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "affect/v1/affect_service.pb.h"
#include "affect/v1/results.pb.h"
#include "server/stream/active_speaker.h"
#include "server/stream/attention_tracker.h"
#include "server/stream/expression_smoother.h"
#include "server/stream/movement_energy.h"

namespace affect::stream {

struct FusionOptions {
  // Radius of the "neutral" disc around (0, 0). [0, 1.5).
  float neutral_radius = 0.2f;
  // Prior weights of the two arousal cues (equal: neither is known to be
  // more reliable in general). >= 0, face > 0.
  float face_arousal_weight = 1.0f;
  float voice_arousal_weight = 1.0f;
  // Seconds of speech in the window at which the voice gets its full weight.
  // > 0.
  double voice_full_seconds = 1.0;
  // The cues factor of a face-only reading, (0, 1].
  float face_only_cue_factor = 0.8f;
  // Confidence lost per unit of face/voice arousal disagreement, [0, 0.5].
  float disagreement_penalty = 0.25f;
  // Below this confidence the reading is flagged as weak evidence
  // (FusedAffect.weak_evidence, and a sentence in the explanation: see
  // weak_evidence.h). [0, 1].
  float weak_evidence_confidence = 0.4f;
  // Weight of the movement-energy cue in the arousal blend. [0, inf).
  float movement_arousal_weight = 0.25f;
};

absl::Status ValidateFusionOptions(const FusionOptions& options);

// What the face of one track showed in the window.
struct FaceEvidence {
  uint64_t track_id = 0;
  // Frames of the window in which the track was seen, and the first and
  // last of them (stream time).
  int frames_seen = 0;
  int64_t first_seen_us = 0;
  int64_t last_seen_us = 0;
  // The smoothed scores at the track's last frame of the window, how many
  // frames they average, and the smoothing window.
  ExpressionScores smoothed{};
  int smoothing_frames = 0;
  int window_frames = 1;
  // The debounced dominant and the changes in the window.
  v1::Expression dominant = v1::EXPRESSION_UNSPECIFIED;
  std::vector<v1::ExpressionChange> changes;
  // BODY: the track's movement energy over the window (energy unset when
  // not measured).
  MovementEnergy movement;
  // ATTENTION: the track's attention as of its last sample in the window;
  // null when none.
  const AttentionSummary* attention = nullptr;
};

// The voice of the window and who could have spoken.
struct VoiceEvidence {
  // Merged over the window (voice_merger.h); null when no audio fell in it.
  const v1::Voice* voice = nullptr;
  // Every track seen in the window (with or without an expression)...
  std::vector<uint64_t> tracks_in_window;
  // ... plus tracks seen in it but not listed (dropped by the bounds).
  int unlisted_tracks = 0;
  // Who the voice belongs to (active_speaker.h); null when not decided
  // (no audio, or no mouth measured).
  const ActiveSpeaker* speaker = nullptr;
};

// "neutral", "positive-excited", "positive-calm", "negative-excited" or
// "negative-calm", by the rule above.
std::string QuadrantLabel(float valence, float arousal, float neutral_radius);

// REQUIRES: face.smoothing_frames >= 1, face.dominant set,
// ValidateFusionOptions(options).ok().
v1::FusedAffect FuseAffect(const FaceEvidence& face, const VoiceEvidence& voice,
                           const FusionOptions& options);

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_AFFECT_FUSION_H_

// Posture cues: documented rules on one person's COCO-17 keypoints
// (pose_types.h), each with a score in [0, 1] and the evidence behind it.
//
// SCALE. Every distance is divided by the person's body scale so that the
// rules hold for near and far people alike:
//     body scale B = max(shoulder width, torso length / torso_per_shoulder)
// shoulder width = |left shoulder - right shoulder|, torso length = |shoulder
// midpoint - hip midpoint|. Shoulder width alone collapses when the person
// turns sideways; the torso (about 1.3 shoulder widths on an adult) does not,
// so the larger of the two is the steadier yardstick. Both shoulders are
// required; the hips only refine it.
//
// SCORES. A rule measures one ratio m and maps it linearly onto [0, 1]
// between an onset (score 0) and a full value (score 1), clamped:
//     score = clamp((m - onset) / (full - onset), 0, 1)
// A cue is "present" when score >= present_score (0.5). Image y grows down.
//
// THE RULES (defaults in PostureCueOptions, ratios in body scales B)
//  - head down: h = (shoulder midpoint y - nose y) / B, the nose's height above
//    the shoulder line. Upright, the nose sits about 0.6 B above it (nose to
//    shoulder height ~20-25 cm against a ~35-40 cm keypoint shoulder width);
//    a head dropped towards the chest halves that. Onset 0.45, full 0.15.
//    Needs the nose.
//  - head tilted: the angle between the eye line and the shoulder line (ears
//    when an eye is missing), in degrees, so that a person whose whole body
//    leans is not called tilted. Onset 10, full 25 degrees. Needs both eyes
//    (or both ears), and shoulders at least min_tilt_shoulder_width (0.5) B
//    apart: a torso turned more than about 60 degrees from the camera
//    (cos 60 = 0.5) shows its shoulders nearly one behind the other, and the
//    image angle of that short line is depth, not tilt (on sample4 a woman
//    standing sideways, shoulders 21 px apart on a 485 px body scale, read
//    a 96-degree "tilt").
//  - arms raised: per arm r = (shoulder y - wrist y) / B, how far the wrist is
//    above its own shoulder. Onset 0 (wrist at shoulder height), full 0.5.
//    The cue is the higher arm; needs one wrist with its shoulder.
//  - hand near face: d = min over the seen wrists and the seen face points
//    (nose, eyes) of |wrist - point| / F, where F is the face size,
//    max(ear-to-ear distance, 2.2 x eye-to-eye distance, 0.4 B): faces are
//    about 2.2 inter-eye distances and 0.4 shoulder widths wide, and the max
//    survives a face turned sideways. The wrist keypoint sits a hand's length
//    (about one face) from the fingertips, hence the onset of 1.5 F (score 0)
//    and full 0.75 F (score 1). Needs one wrist and one face point.
//  - arms crossed: per arm c = how far the wrist lies past the body midline
//    (the shoulder midpoint's x) on the opposite side, / B, towards the other
//    arm's side; the side of each arm comes from its shoulder, so it works
//    facing towards or away from the camera. Both arms must cross: the cue is
//    the smaller of the two, onset 0, full 0.25 B. Only at chest height: both
//    wrists between 0.25 B above the shoulder line and the hip line (1.5 B
//    below the shoulders when the hips are not seen); otherwise the score is
//    0 (a hand reaching across at head height is not crossed arms). Needs
//    both wrists and both shoulders.
//  - shoulders hunched: e = (shoulder y - ear y) / B, averaged over the sides
//    that have both (eyes stand in for ears when no ear is seen; they sit
//    slightly higher, so the fallback errs towards "not hunched"). Upright,
//    the ears are about 0.45 B above the shoulders; raised shoulders or a
//    sunken head bring them close. Onset 0.35, full 0.15.
//  - leaning in / away (LeanCue): the body scale against the track's own
//    baseline scale (a person's size in the image only means something
//    relative to that same person earlier): s = B / baseline. Leaning in:
//    onset 1.05, full 1.25; leaning away: onset 0.95, full 0.80.
//
// HOSTILE INPUT. A keypoint counts only when its score is >= min_keypoint_score
// and its coordinates are finite; a body scale below min_body_scale_px (or
// not finite) makes every cue not computed. A cue whose keypoints are missing
// is simply absent from the result: never a guess, never a division by zero.
//
// Known limits: 2-D rules on one image. A person facing away, lying down or
// seen from above breaks the "up is -y" assumption; a camera looking up or
// down at a person shifts the head-down and hunched ratios.
//
// Pure functions, thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_BODY_POSTURE_CUES_H_
#define AFFECT_SERVER_ANALYSIS_BODY_POSTURE_CUES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "server/analysis/body/pose_types.h"

namespace affect::analysis {

enum class PostureCueKind {
  kHeadDown,
  kHeadTilted,
  kArmsRaised,
  kHandNearFace,
  kArmsCrossed,
  kShouldersHunched,
  kLeaningIn,
  kLeaningAway,
};
inline constexpr int kPostureCueKindCount = static_cast<int>(PostureCueKind::kLeaningAway) + 1;

// "head_down", "head_tilted", "arms_raised", "hand_near_face",
// "arms_crossed", "shoulders_hunched", "leaning_in", "leaning_away".
const char* PostureCueName(PostureCueKind kind);

struct PostureCue {
  PostureCueKind kind = PostureCueKind::kHeadDown;
  // In [0, 1], see the rules above.
  float score = 0.0f;
  // score >= PostureCueOptions::present_score.
  bool present = false;
  // The ratio the rule measured (in body scales, face sizes, degrees or the
  // scale ratio, as the rule says).
  float measure = 0.0f;
  // The keypoints the rule read.
  std::vector<BodyPart> keypoints;
  // One line for people, e.g. "left wrist 0.42 body scales above the left
  // shoulder".
  std::string evidence;
};

struct PostureCueOptions {
  // Keypoints below this score are not seen. [0, 1].
  float min_keypoint_score = 0.3f;
  // Bodies smaller than this (pixels) get no cues. > 0.
  float min_body_scale_px = 8.0f;
  // Torso length per shoulder width on an adult, for the body scale. > 0.
  float torso_per_shoulder = 1.3f;
  // A cue is present from this score on. [0, 1].
  float present_score = 0.5f;

  float head_down_onset = 0.45f;  // nose height above the shoulder line, B
  float head_down_full = 0.15f;
  float head_tilt_onset_degrees = 10.0f;
  float head_tilt_full_degrees = 25.0f;
  float min_tilt_shoulder_width = 0.5f;  // shoulder width for the tilt rule, B. [0, 1]
  float arms_raised_onset = 0.0f;        // wrist height above its shoulder, B
  float arms_raised_full = 0.5f;
  float hand_near_face_onset = 1.5f;  // wrist to nose/eye distance, face sizes
  float hand_near_face_full = 0.75f;
  float face_per_eye_distance = 2.2f;  // face width / eye-to-eye distance
  float face_per_body_scale = 0.4f;    // face width / body scale
  float arms_crossed_onset = 0.0f;     // wrist past the midline, B
  float arms_crossed_full = 0.25f;
  float chest_top_above_shoulders = 0.25f;  // B
  float chest_bottom_without_hips = 1.5f;   // B below the shoulders
  float hunched_onset = 0.35f;              // ear height above the shoulder, B
  float hunched_full = 0.15f;
  float lean_in_onset = 1.05f;  // body scale / baseline
  float lean_in_full = 1.25f;
  float lean_away_onset = 0.95f;
  float lean_away_full = 0.80f;
};

// INVALID_ARGUMENT naming the option when one is out of range (thresholds not
// finite, an onset equal to its full value, scores outside [0, 1]).
absl::Status ValidatePostureCueOptions(const PostureCueOptions& options);

// The body scale B in pixels (see above); nullopt when a shoulder is not
// seen or B < min_body_scale_px.
std::optional<float> BodyScale(const PersonPose& pose, const PostureCueOptions& options);

// Each rule on its own; nullopt when it cannot be computed.
std::optional<PostureCue> HeadDownCue(const PersonPose& pose, const PostureCueOptions& options);
std::optional<PostureCue> HeadTiltCue(const PersonPose& pose, const PostureCueOptions& options);
std::optional<PostureCue> ArmsRaisedCue(const PersonPose& pose, const PostureCueOptions& options);
std::optional<PostureCue> HandNearFaceCue(const PersonPose& pose, const PostureCueOptions& options);
std::optional<PostureCue> ArmsCrossedCue(const PersonPose& pose, const PostureCueOptions& options);
std::optional<PostureCue> ShouldersHunchedCue(const PersonPose& pose,
                                              const PostureCueOptions& options);

// Every per-image cue that can be computed, in PostureCueKind order (leaning
// needs a baseline: LeanCue).
std::vector<PostureCue> ComputePostureCues(const PersonPose& pose,
                                           const PostureCueOptions& options);

// Leaning in or away: the pose's body scale against `baseline_body_scale_px`,
// the same track's usual scale (for example the median over its first
// seconds). Returns the leaning-in cue when the scale grew, leaning-away when
// it shrank (score 0 inside the dead band); nullopt when the body scale
// cannot be measured or the baseline is not finite and positive.
std::optional<PostureCue> LeanCue(const PersonPose& pose, float baseline_body_scale_px,
                                  const PostureCueOptions& options);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_BODY_POSTURE_CUES_H_

#include "server/analysis/body/posture_cues.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace affect::analysis {
namespace {

constexpr float kPi = 3.14159265358979f;

const char* PartName(BodyPart part) {
  static constexpr const char* kNames[kBodyPartCount] = {
      "nose",           "left eye",   "right eye",   "left ear",   "right ear",   "left shoulder",
      "right shoulder", "left elbow", "right elbow", "left wrist", "right wrist", "left hip",
      "right hip",      "left knee",  "right knee",  "left ankle", "right ankle"};
  return kNames[static_cast<int>(part)];
}

// A keypoint the rules may read: seen with enough confidence, finite.
std::optional<Point> Seen(const PersonPose& pose, BodyPart part, const PostureCueOptions& options) {
  const BodyKeypoint& k = pose.at(part);
  if (!(k.score >= options.min_keypoint_score) || !std::isfinite(k.x) || !std::isfinite(k.y)) {
    return std::nullopt;
  }
  return Point{k.x, k.y};
}

float Distance(const Point& a, const Point& b) { return std::hypot(a.x - b.x, a.y - b.y); }
Point Midpoint(const Point& a, const Point& b) { return {0.5f * (a.x + b.x), 0.5f * (a.y + b.y)}; }

// Linear from onset (0) to full (1), clamped; works for falling ramps too
// (full < onset). A non-finite measure scores 0.
float Ramp(float measure, float onset, float full) {
  if (!std::isfinite(measure)) return 0.0f;
  const float t = (measure - onset) / (full - onset);
  return std::clamp(t, 0.0f, 1.0f);
}

PostureCue MakeCue(PostureCueKind kind, float measure, float score, std::vector<BodyPart> parts,
                   std::string evidence, const PostureCueOptions& options) {
  PostureCue cue;
  cue.kind = kind;
  cue.measure = measure;
  cue.score = score;
  cue.present = score >= options.present_score;
  cue.keypoints = std::move(parts);
  cue.evidence = std::move(evidence);
  return cue;
}

// Angle of the line from `from` to `to`, degrees in (-180, 180].
float LineAngleDegrees(const Point& from, const Point& to) {
  return std::atan2(to.y - from.y, to.x - from.x) * 180.0f / kPi;
}

// a - b wrapped into (-180, 180].
float AngleDifferenceDegrees(float a, float b) {
  float d = std::fmod(a - b, 360.0f);
  if (d > 180.0f) d -= 360.0f;
  if (d <= -180.0f) d += 360.0f;
  return d;
}

absl::Status CheckRamp(const char* onset_name, float onset, const char* full_name, float full) {
  if (!std::isfinite(onset) || !std::isfinite(full)) {
    return absl::InvalidArgumentError(
        absl::StrCat("posture cues: ", onset_name, " and ", full_name, " must be finite"));
  }
  if (onset == full) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "posture cues: %s (%g) must differ from %s (%g)", onset_name, onset, full_name, full));
  }
  return absl::OkStatus();
}

}  // namespace

const char* PostureCueName(PostureCueKind kind) {
  switch (kind) {
    case PostureCueKind::kHeadDown:
      return "head_down";
    case PostureCueKind::kHeadTilted:
      return "head_tilted";
    case PostureCueKind::kArmsRaised:
      return "arms_raised";
    case PostureCueKind::kHandNearFace:
      return "hand_near_face";
    case PostureCueKind::kArmsCrossed:
      return "arms_crossed";
    case PostureCueKind::kShouldersHunched:
      return "shoulders_hunched";
    case PostureCueKind::kLeaningIn:
      return "leaning_in";
    case PostureCueKind::kLeaningAway:
      return "leaning_away";
  }
  return "unknown";
}

absl::Status ValidatePostureCueOptions(const PostureCueOptions& o) {
  if (!(o.min_keypoint_score >= 0.0f && o.min_keypoint_score <= 1.0f)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "posture cues: min_keypoint_score %g is outside [0, 1]", o.min_keypoint_score));
  }
  if (!(o.present_score >= 0.0f && o.present_score <= 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("posture cues: present_score %g is outside [0, 1]", o.present_score));
  }
  if (!(o.min_tilt_shoulder_width >= 0.0f && o.min_tilt_shoulder_width <= 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("posture cues: min_tilt_shoulder_width %g is outside [0, 1]",
                        o.min_tilt_shoulder_width));
  }
  for (const auto& [name, value] :
       {std::pair<const char*, float>{"min_body_scale_px", o.min_body_scale_px},
        {"torso_per_shoulder", o.torso_per_shoulder},
        {"face_per_eye_distance", o.face_per_eye_distance},
        {"face_per_body_scale", o.face_per_body_scale}}) {
    if (!(std::isfinite(value) && value > 0.0f)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("posture cues: %s %g must be finite and positive", name, value));
    }
  }
  if (!std::isfinite(o.chest_top_above_shoulders) || !std::isfinite(o.chest_bottom_without_hips)) {
    return absl::InvalidArgumentError(
        "posture cues: chest_top_above_shoulders and chest_bottom_without_hips must be finite");
  }
  const absl::Status ramps[] = {
      CheckRamp("head_down_onset", o.head_down_onset, "head_down_full", o.head_down_full),
      CheckRamp("head_tilt_onset_degrees", o.head_tilt_onset_degrees, "head_tilt_full_degrees",
                o.head_tilt_full_degrees),
      CheckRamp("arms_raised_onset", o.arms_raised_onset, "arms_raised_full", o.arms_raised_full),
      CheckRamp("hand_near_face_onset", o.hand_near_face_onset, "hand_near_face_full",
                o.hand_near_face_full),
      CheckRamp("arms_crossed_onset", o.arms_crossed_onset, "arms_crossed_full",
                o.arms_crossed_full),
      CheckRamp("hunched_onset", o.hunched_onset, "hunched_full", o.hunched_full),
      CheckRamp("lean_in_onset", o.lean_in_onset, "lean_in_full", o.lean_in_full),
      CheckRamp("lean_away_onset", o.lean_away_onset, "lean_away_full", o.lean_away_full),
  };
  for (const absl::Status& status : ramps) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

std::optional<float> BodyScale(const PersonPose& pose, const PostureCueOptions& options) {
  const auto left = Seen(pose, BodyPart::kLeftShoulder, options);
  const auto right = Seen(pose, BodyPart::kRightShoulder, options);
  if (!left || !right) return std::nullopt;
  float scale = Distance(*left, *right);
  const auto left_hip = Seen(pose, BodyPart::kLeftHip, options);
  const auto right_hip = Seen(pose, BodyPart::kRightHip, options);
  if (left_hip && right_hip) {
    const float torso = Distance(Midpoint(*left, *right), Midpoint(*left_hip, *right_hip));
    scale = std::max(scale, torso / options.torso_per_shoulder);
  }
  // Also rejects NaN and inf (coordinates near the float limits overflow).
  if (!(std::isfinite(scale) && scale >= options.min_body_scale_px)) return std::nullopt;
  return scale;
}

std::optional<PostureCue> HeadDownCue(const PersonPose& pose, const PostureCueOptions& options) {
  const auto scale = BodyScale(pose, options);
  const auto nose = Seen(pose, BodyPart::kNose, options);
  if (!scale || !nose) return std::nullopt;
  const Point shoulders = Midpoint(*Seen(pose, BodyPart::kLeftShoulder, options),
                                   *Seen(pose, BodyPart::kRightShoulder, options));
  const float height = (shoulders.y - nose->y) / *scale;
  if (!std::isfinite(height)) return std::nullopt;
  return MakeCue(PostureCueKind::kHeadDown, height,
                 Ramp(height, options.head_down_onset, options.head_down_full),
                 {BodyPart::kNose, BodyPart::kLeftShoulder, BodyPart::kRightShoulder},
                 absl::StrFormat("nose %.2f body scales above the shoulder line (upright about "
                                 "0.6, head down from %.2f)",
                                 height, options.head_down_onset),
                 options);
}

std::optional<PostureCue> HeadTiltCue(const PersonPose& pose, const PostureCueOptions& options) {
  const auto scale = BodyScale(pose, options);
  if (!scale) return std::nullopt;
  const Point left_shoulder = *Seen(pose, BodyPart::kLeftShoulder, options);
  const Point right_shoulder = *Seen(pose, BodyPart::kRightShoulder, options);
  // A torso seen edge-on: its shoulder line has no usable direction.
  if (Distance(left_shoulder, right_shoulder) < options.min_tilt_shoulder_width * *scale) {
    return std::nullopt;
  }
  BodyPart left_part = BodyPart::kLeftEye;
  BodyPart right_part = BodyPart::kRightEye;
  auto left = Seen(pose, left_part, options);
  auto right = Seen(pose, right_part, options);
  if (!left || !right) {
    left_part = BodyPart::kLeftEar;
    right_part = BodyPart::kRightEar;
    left = Seen(pose, left_part, options);
    right = Seen(pose, right_part, options);
  }
  if (!left || !right || Distance(*left, *right) <= 0.0f) return std::nullopt;
  const float head_angle = LineAngleDegrees(*right, *left);
  const float shoulder_angle = LineAngleDegrees(right_shoulder, left_shoulder);
  const float tilt = std::fabs(AngleDifferenceDegrees(head_angle, shoulder_angle));
  if (!std::isfinite(tilt)) return std::nullopt;
  const bool eyes = left_part == BodyPart::kLeftEye;
  return MakeCue(PostureCueKind::kHeadTilted, tilt,
                 Ramp(tilt, options.head_tilt_onset_degrees, options.head_tilt_full_degrees),
                 {left_part, right_part, BodyPart::kLeftShoulder, BodyPart::kRightShoulder},
                 absl::StrFormat("%s line %.0f degrees from the shoulder line (tilted from %.0f)",
                                 eyes ? "eye" : "ear", tilt, options.head_tilt_onset_degrees),
                 options);
}

std::optional<PostureCue> ArmsRaisedCue(const PersonPose& pose, const PostureCueOptions& options) {
  const auto scale = BodyScale(pose, options);
  if (!scale) return std::nullopt;
  std::optional<PostureCue> best;
  for (const auto& [wrist_part, shoulder_part] :
       {std::pair{BodyPart::kLeftWrist, BodyPart::kLeftShoulder},
        std::pair{BodyPart::kRightWrist, BodyPart::kRightShoulder}}) {
    const auto wrist = Seen(pose, wrist_part, options);
    if (!wrist) continue;
    const Point shoulder = *Seen(pose, shoulder_part, options);
    const float raise = (shoulder.y - wrist->y) / *scale;
    if (!std::isfinite(raise)) continue;
    if (best && raise <= best->measure) continue;
    best = MakeCue(
        PostureCueKind::kArmsRaised, raise,
        Ramp(raise, options.arms_raised_onset, options.arms_raised_full),
        {wrist_part, shoulder_part},
        absl::StrFormat("%s %.2f body scales %s the %s", PartName(wrist_part), std::fabs(raise),
                        raise >= 0.0f ? "above" : "below", PartName(shoulder_part)),
        options);
  }
  return best;
}

std::optional<PostureCue> HandNearFaceCue(const PersonPose& pose,
                                          const PostureCueOptions& options) {
  const auto scale = BodyScale(pose, options);
  if (!scale) return std::nullopt;
  float face = options.face_per_body_scale * *scale;
  const auto left_ear = Seen(pose, BodyPart::kLeftEar, options);
  const auto right_ear = Seen(pose, BodyPart::kRightEar, options);
  if (left_ear && right_ear) face = std::max(face, Distance(*left_ear, *right_ear));
  const auto left_eye = Seen(pose, BodyPart::kLeftEye, options);
  const auto right_eye = Seen(pose, BodyPart::kRightEye, options);
  if (left_eye && right_eye) {
    face = std::max(face, options.face_per_eye_distance * Distance(*left_eye, *right_eye));
  }
  if (!(std::isfinite(face) && face > 0.0f)) return std::nullopt;

  std::optional<PostureCue> best;
  for (BodyPart wrist_part : {BodyPart::kLeftWrist, BodyPart::kRightWrist}) {
    const auto wrist = Seen(pose, wrist_part, options);
    if (!wrist) continue;
    for (BodyPart face_part : {BodyPart::kNose, BodyPart::kLeftEye, BodyPart::kRightEye}) {
      const auto point = Seen(pose, face_part, options);
      if (!point) continue;
      const float distance = Distance(*wrist, *point) / face;
      if (!std::isfinite(distance)) continue;
      if (best && distance >= best->measure) continue;
      best = MakeCue(PostureCueKind::kHandNearFace, distance,
                     Ramp(distance, options.hand_near_face_onset, options.hand_near_face_full),
                     {wrist_part, face_part},
                     absl::StrFormat("%s %.2f face sizes (%.0f px each) from the %s",
                                     PartName(wrist_part), distance, face, PartName(face_part)),
                     options);
    }
  }
  return best;
}

std::optional<PostureCue> ArmsCrossedCue(const PersonPose& pose, const PostureCueOptions& options) {
  const auto scale = BodyScale(pose, options);
  const auto left_wrist = Seen(pose, BodyPart::kLeftWrist, options);
  const auto right_wrist = Seen(pose, BodyPart::kRightWrist, options);
  if (!scale || !left_wrist || !right_wrist) return std::nullopt;
  const Point left_shoulder = *Seen(pose, BodyPart::kLeftShoulder, options);
  const Point right_shoulder = *Seen(pose, BodyPart::kRightShoulder, options);
  const Point middle = Midpoint(left_shoulder, right_shoulder);
  // +1 when the person's left is image right (facing the camera), -1 when
  // facing away. Shoulders at the same x (seen from the side) decide nothing.
  const float dx = left_shoulder.x - right_shoulder.x;
  if (dx == 0.0f) return std::nullopt;
  const float left_side = dx > 0.0f ? 1.0f : -1.0f;
  // How far each wrist is on the other arm's side of the midline.
  const float left_cross = -(left_wrist->x - middle.x) * left_side / *scale;
  const float right_cross = (right_wrist->x - middle.x) * left_side / *scale;
  const float cross = std::min(left_cross, right_cross);
  if (!std::isfinite(cross)) return std::nullopt;

  float chest_bottom = middle.y + options.chest_bottom_without_hips * *scale;
  const auto left_hip = Seen(pose, BodyPart::kLeftHip, options);
  const auto right_hip = Seen(pose, BodyPart::kRightHip, options);
  if (left_hip && right_hip) chest_bottom = Midpoint(*left_hip, *right_hip).y;
  const float chest_top = middle.y - options.chest_top_above_shoulders * *scale;
  const auto at_chest = [&](const Point& p) { return p.y >= chest_top && p.y <= chest_bottom; };
  const bool chest_height = at_chest(*left_wrist) && at_chest(*right_wrist);

  const float score =
      chest_height ? Ramp(cross, options.arms_crossed_onset, options.arms_crossed_full) : 0.0f;
  return MakeCue(PostureCueKind::kArmsCrossed, cross, score,
                 {BodyPart::kLeftWrist, BodyPart::kRightWrist, BodyPart::kLeftShoulder,
                  BodyPart::kRightShoulder},
                 absl::StrFormat("wrists %.2f and %.2f body scales past the body midline on the "
                                 "opposite side%s",
                                 left_cross, right_cross,
                                 chest_height ? " at chest height" : ", not at chest height"),
                 options);
}

std::optional<PostureCue> ShouldersHunchedCue(const PersonPose& pose,
                                              const PostureCueOptions& options) {
  const auto scale = BodyScale(pose, options);
  if (!scale) return std::nullopt;
  for (const auto& [left_head, right_head] : {std::pair{BodyPart::kLeftEar, BodyPart::kRightEar},
                                              std::pair{BodyPart::kLeftEye, BodyPart::kRightEye}}) {
    float sum = 0.0f;
    int sides = 0;
    std::vector<BodyPart> parts;
    for (const auto& [head_part, shoulder_part] :
         {std::pair{left_head, BodyPart::kLeftShoulder},
          std::pair{right_head, BodyPart::kRightShoulder}}) {
      const auto head = Seen(pose, head_part, options);
      if (!head) continue;
      sum += (Seen(pose, shoulder_part, options)->y - head->y) / *scale;
      ++sides;
      parts.push_back(head_part);
      parts.push_back(shoulder_part);
    }
    if (sides == 0) continue;
    const float height = sum / static_cast<float>(sides);
    if (!std::isfinite(height)) return std::nullopt;
    const bool ears = left_head == BodyPart::kLeftEar;
    return MakeCue(
        PostureCueKind::kShouldersHunched, height,
        Ramp(height, options.hunched_onset, options.hunched_full), std::move(parts),
        absl::StrFormat("%s %.2f body scales above the shoulders (upright about 0.45, "
                        "hunched from %.2f)",
                        ears ? "ears" : "eyes (ears not seen)", height, options.hunched_onset),
        options);
  }
  return std::nullopt;
}

std::vector<PostureCue> ComputePostureCues(const PersonPose& pose,
                                           const PostureCueOptions& options) {
  std::vector<PostureCue> cues;
  for (auto rule : {&HeadDownCue, &HeadTiltCue, &ArmsRaisedCue, &HandNearFaceCue, &ArmsCrossedCue,
                    &ShouldersHunchedCue}) {
    if (std::optional<PostureCue> cue = rule(pose, options)) cues.push_back(std::move(*cue));
  }
  return cues;
}

std::optional<PostureCue> LeanCue(const PersonPose& pose, float baseline_body_scale_px,
                                  const PostureCueOptions& options) {
  if (!(std::isfinite(baseline_body_scale_px) && baseline_body_scale_px > 0.0f)) {
    return std::nullopt;
  }
  const auto scale = BodyScale(pose, options);
  if (!scale) return std::nullopt;
  const float ratio = *scale / baseline_body_scale_px;
  if (!std::isfinite(ratio)) return std::nullopt;
  const bool in = ratio >= 1.0f;
  const float score = in ? Ramp(ratio, options.lean_in_onset, options.lean_in_full)
                         : Ramp(ratio, options.lean_away_onset, options.lean_away_full);
  return MakeCue(in ? PostureCueKind::kLeaningIn : PostureCueKind::kLeaningAway, ratio, score,
                 {BodyPart::kLeftShoulder, BodyPart::kRightShoulder},
                 absl::StrFormat("body scale %.0f px is %.2f x the track's baseline %.0f px",
                                 *scale, ratio, baseline_body_scale_px),
                 options);
}

}  // namespace affect::analysis

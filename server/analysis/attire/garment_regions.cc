#include "server/analysis/attire/garment_regions.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace affect::analysis {
namespace {

Box Band(float center_x, float chin, float size, float top, float bottom, float width) {
  return Box{center_x - 0.5f * width * size, chin + top * size, width * size,
             (bottom - top) * size};
}

// Both keypoints seen and finite, or nothing.
std::optional<std::pair<BodyKeypoint, BodyKeypoint>> SeenPair(const PersonPose& pose, BodyPart left,
                                                              BodyPart right, float min_score) {
  const BodyKeypoint& a = pose.at(left);
  const BodyKeypoint& b = pose.at(right);
  for (const BodyKeypoint* k : {&a, &b}) {
    if (!(k->score >= min_score) || !std::isfinite(k->x) || !std::isfinite(k->y)) {
      return std::nullopt;
    }
  }
  return std::make_pair(a, b);
}

}  // namespace

PoseGarmentBoxes GarmentRegionsFromPose(const Box& face, const PersonPose& pose,
                                        const PoseGarmentOptions& options,
                                        const GarmentGeometry& geometry) {
  PoseGarmentBoxes out;
  out.boxes = GarmentRegionsFor(face, geometry);
  const float min_score = options.min_keypoint_score;
  const auto shoulders =
      SeenPair(pose, BodyPart::kLeftShoulder, BodyPart::kRightShoulder, min_score);
  const auto hips = SeenPair(pose, BodyPart::kLeftHip, BodyPart::kRightHip, min_score);
  const auto knees = SeenPair(pose, BodyPart::kLeftKnee, BodyPart::kRightKnee, min_score);
  if (shoulders && hips) {
    const float shoulder_y = 0.5f * (shoulders->first.y + shoulders->second.y);
    const float hip_y = 0.5f * (hips->first.y + hips->second.y);
    const float torso = hip_y - shoulder_y;
    const float left = std::min(shoulders->first.x, shoulders->second.x);
    const float right = std::max(shoulders->first.x, shoulders->second.x);
    const float inset = options.shoulder_inset * (right - left);
    const Box upper = Box::FromCorners(
        left + inset, shoulder_y + options.upper_top_of_torso * torso, right - inset, hip_y);
    if (torso > 0.0f && !upper.empty()) {
      out.boxes.upper = upper;
      out.upper_from_pose = true;
    }
  }
  if (hips && knees) {
    const float hip_y = 0.5f * (hips->first.y + hips->second.y);
    const float knee_y = 0.5f * (knees->first.y + knees->second.y);
    const float left = std::min(hips->first.x, hips->second.x);
    const float right = std::max(hips->first.x, hips->second.x);
    const float widen = options.hip_widening * (right - left);
    const Box lower = Box::FromCorners(left - widen, hip_y, right + widen, knee_y);
    if (!lower.empty()) {
      out.boxes.lower = lower;
      out.lower_from_pose = true;
    }
  }
  if (!pose.box.empty() && std::isfinite(pose.box.x) && std::isfinite(pose.box.y)) {
    out.boxes.body = Box::FromCorners(std::min(pose.box.x, face.x), std::min(pose.box.y, face.y),
                                      std::max(pose.box.right(), face.right()),
                                      std::max(pose.box.bottom(), face.bottom()));
  }
  return out;
}

GarmentBoxes GarmentRegionsFor(const Box& face, const GarmentGeometry& g) {
  const float s = std::max(face.width, face.height);
  const float cx = face.center_x();
  const float chin = face.bottom();
  GarmentBoxes boxes;
  boxes.upper = Band(cx, chin, s, g.upper_top, g.upper_bottom, g.upper_width);
  boxes.lower = Band(cx, chin, s, g.lower_top, g.lower_bottom, g.lower_width);
  boxes.body = Box{cx - 0.5f * g.body_width * s, face.y, g.body_width * s,
                   chin + g.body_bottom * s - face.y};
  return boxes;
}

}  // namespace affect::analysis

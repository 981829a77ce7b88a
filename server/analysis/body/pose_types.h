// One person's body pose as the pose model (movenet-multipose) reports it:
// the 17 COCO keypoints, a box and a score. Shared by the pose decoder
// (models -> poses), the posture rules and the stream aggregation, so that
// the three agree on indices and units without depending on each other.
//
// Units: pixels of the analysed image, origin top-left, x right, y down
// (geometry.h). A keypoint's score is the model's confidence in [0, 1]; a
// keypoint below the caller's threshold is treated as not seen.
#ifndef AFFECT_SERVER_ANALYSIS_BODY_POSE_TYPES_H_
#define AFFECT_SERVER_ANALYSIS_BODY_POSE_TYPES_H_

#include <array>

#include "server/analysis/geometry.h"

namespace affect::analysis {

// COCO keypoint order (the order movenet emits them in).
enum class BodyPart : int {
  kNose = 0,
  kLeftEye = 1,
  kRightEye = 2,
  kLeftEar = 3,
  kRightEar = 4,
  kLeftShoulder = 5,
  kRightShoulder = 6,
  kLeftElbow = 7,
  kRightElbow = 8,
  kLeftWrist = 9,
  kRightWrist = 10,
  kLeftHip = 11,
  kRightHip = 12,
  kLeftKnee = 13,
  kRightKnee = 14,
  kLeftAnkle = 15,
  kRightAnkle = 16,
};
inline constexpr int kBodyPartCount = 17;

struct BodyKeypoint {
  float x = 0.0f;
  float y = 0.0f;
  float score = 0.0f;
};

struct PersonPose {
  std::array<BodyKeypoint, kBodyPartCount> keypoints{};
  Box box;  // the model's person box, in image pixels
  float score = 0.0f;

  const BodyKeypoint& at(BodyPart part) const { return keypoints[static_cast<int>(part)]; }
  BodyKeypoint& at(BodyPart part) { return keypoints[static_cast<int>(part)]; }
};

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_BODY_POSE_TYPES_H_

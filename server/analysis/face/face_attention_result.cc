#include "server/analysis/face/face_attention_result.h"

namespace affect::analysis {

v1::FaceAttention ToFaceAttention(const FaceLandmarks& landmarks, const FaceGeometry& geometry,
                                  const v1::ModelRef& model) {
  v1::FaceAttention out;
  out.set_mesh_confidence(landmarks.confidence);
  *out.mutable_model() = model;
  if (geometry.head_pose.has_value()) {
    v1::HeadPose* pose = out.mutable_head_pose();
    pose->set_yaw_degrees(geometry.head_pose->yaw_degrees);
    pose->set_pitch_degrees(geometry.head_pose->pitch_degrees);
    pose->set_roll_degrees(geometry.head_pose->roll_degrees);
  }
  if (geometry.left_eye_openness) out.set_left_eye_openness(*geometry.left_eye_openness);
  if (geometry.right_eye_openness) out.set_right_eye_openness(*geometry.right_eye_openness);
  if (geometry.left_eye_aspect_ratio) {
    out.set_left_eye_aspect_ratio(*geometry.left_eye_aspect_ratio);
  }
  if (geometry.right_eye_aspect_ratio) {
    out.set_right_eye_aspect_ratio(*geometry.right_eye_aspect_ratio);
  }
  if (geometry.mouth_openness) out.set_mouth_openness(*geometry.mouth_openness);
  return out;
}

}  // namespace affect::analysis

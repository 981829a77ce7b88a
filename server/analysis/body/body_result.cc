#include "server/analysis/body/body_result.h"

#include <algorithm>

#include "server/analysis/body/movenet_decoder.h"
#include "server/analysis/body/pose_face_link.h"
#include "server/analysis/geometry.h"
#include "server/analysis/proto_conversions.h"

namespace affect::analysis {

std::vector<v1::PersonBody> ToPersonBodies(
    const std::vector<PersonPose>& poses, const google::protobuf::RepeatedPtrField<v1::Face>& faces,
    int image_width, int image_height, const v1::ModelRef& model) {
  std::vector<Box> face_boxes;
  face_boxes.reserve(static_cast<size_t>(faces.size()));
  for (const v1::Face& face : faces) face_boxes.push_back(FromProto(face.box()));
  const std::vector<int> face_of = LinkPosesToFaces(poses, face_boxes);

  const int width_px = std::max(image_width, 1);
  const int height_px = std::max(image_height, 1);
  const float width = static_cast<float>(width_px);
  const float height = static_cast<float>(height_px);
  std::vector<v1::PersonBody> bodies;
  bodies.reserve(poses.size());
  for (size_t i = 0; i < poses.size(); ++i) {
    const PersonPose& pose = poses[i];
    v1::PersonBody body;
    body.set_index(static_cast<int>(i));
    const Box box = ClipBox(pose.box, width, height);
    *body.mutable_box() = ToProto(box);
    *body.mutable_box_normalized() = ToNormalizedProto(box, width_px, height_px);
    body.set_score(pose.score);
    for (int k = 0; k < kBodyPartCount; ++k) {
      const BodyKeypoint& point = pose.keypoints[static_cast<size_t>(k)];
      v1::BodyKeypoint* keypoint = body.add_keypoints();
      keypoint->set_name(std::string(BodyPartName(k)));
      *keypoint->mutable_position() = ToProto(Point{point.x, point.y});
      keypoint->mutable_position_normalized()->set_x(point.x / width);
      keypoint->mutable_position_normalized()->set_y(point.y / height);
      keypoint->set_score(point.score);
    }
    body.set_face_index(face_of[i]);
    *body.mutable_model() = model;
    bodies.push_back(std::move(body));
  }
  return bodies;
}

v1::PostureCue ToProto(const PostureCue& cue) {
  v1::PostureCue out;
  out.set_name(PostureCueName(cue.kind));
  out.set_score(cue.score);
  if (!cue.evidence.empty()) out.add_evidence(cue.evidence);
  return out;
}

void AddPostureCues(const PersonPose& pose, const PostureCueOptions& options,
                    v1::PersonBody* body) {
  std::vector<PostureCue> cues = ComputePostureCues(pose, options);
  cues.erase(
      std::remove_if(cues.begin(), cues.end(), [](const PostureCue& c) { return !c.present; }),
      cues.end());
  std::stable_sort(cues.begin(), cues.end(),
                   [](const PostureCue& a, const PostureCue& b) { return a.score > b.score; });
  for (const PostureCue& cue : cues) *body->add_cues() = ToProto(cue);
}

}  // namespace affect::analysis

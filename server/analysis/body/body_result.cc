#include "server/analysis/body/body_result.h"

#include <algorithm>

#include "server/analysis/body/movenet_decoder.h"
#include "server/analysis/geometry.h"

namespace affect::analysis {
namespace {

bool Inside(const v1::BoundingBox& box, const BodyKeypoint& point) {
  return point.x >= box.x() && point.x < box.x() + box.width() && point.y >= box.y() &&
         point.y < box.y() + box.height();
}

}  // namespace

int MatchFaceIndex(const PersonPose& pose,
                   const google::protobuf::RepeatedPtrField<v1::Face>& faces,
                   const std::vector<bool>* taken) {
  int best = -1;
  float best_area = 0.0f;
  for (int i = 0; i < faces.size(); ++i) {
    if (taken != nullptr && (*taken)[static_cast<size_t>(i)]) continue;
    const v1::BoundingBox& box = faces.Get(i).box();
    if (!Inside(box, pose.at(BodyPart::kNose)) || !Inside(box, pose.at(BodyPart::kLeftEye)) ||
        !Inside(box, pose.at(BodyPart::kRightEye))) {
      continue;
    }
    const float area = box.width() * box.height();
    if (best < 0 || area < best_area) {
      best = i;
      best_area = area;
    }
  }
  return best;
}

std::vector<v1::PersonBody> ToPersonBodies(
    const std::vector<PersonPose>& poses, const google::protobuf::RepeatedPtrField<v1::Face>& faces,
    int image_width, int image_height, const v1::ModelRef& model) {
  // Best pose first claims its face, whatever order the bodies come in.
  std::vector<size_t> by_score(poses.size());
  for (size_t i = 0; i < poses.size(); ++i) by_score[i] = i;
  std::stable_sort(by_score.begin(), by_score.end(),
                   [&](size_t a, size_t b) { return poses[a].score > poses[b].score; });
  std::vector<int> face_of(poses.size(), -1);
  std::vector<bool> taken(static_cast<size_t>(faces.size()), false);
  for (size_t i : by_score) {
    face_of[i] = MatchFaceIndex(poses[i], faces, &taken);
    if (face_of[i] >= 0) taken[static_cast<size_t>(face_of[i])] = true;
  }

  const float width = static_cast<float>(std::max(image_width, 1));
  const float height = static_cast<float>(std::max(image_height, 1));
  std::vector<v1::PersonBody> bodies;
  bodies.reserve(poses.size());
  for (size_t i = 0; i < poses.size(); ++i) {
    const PersonPose& pose = poses[i];
    v1::PersonBody body;
    body.set_index(static_cast<int>(i));
    const Box box = ClipBox(pose.box, width, height);
    body.mutable_box()->set_x(box.x);
    body.mutable_box()->set_y(box.y);
    body.mutable_box()->set_width(box.width);
    body.mutable_box()->set_height(box.height);
    body.mutable_box_normalized()->set_x(box.x / width);
    body.mutable_box_normalized()->set_y(box.y / height);
    body.mutable_box_normalized()->set_width(box.width / width);
    body.mutable_box_normalized()->set_height(box.height / height);
    body.set_score(pose.score);
    for (int k = 0; k < kBodyPartCount; ++k) {
      const BodyKeypoint& point = pose.keypoints[static_cast<size_t>(k)];
      v1::BodyKeypoint* keypoint = body.add_keypoints();
      keypoint->set_name(std::string(BodyPartName(k)));
      keypoint->mutable_position()->set_x(point.x);
      keypoint->mutable_position()->set_y(point.y);
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

#include "server/analysis/body/pose_face_link.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace affect::analysis {
namespace {

bool Inside(const Box& box, const BodyKeypoint& point) {
  return point.x >= box.x && point.x < box.right() && point.y >= box.y && point.y < box.bottom();
}

float Distance(const BodyKeypoint& a, const BodyKeypoint& b) {
  return std::hypot(a.x - b.x, a.y - b.y);
}

}  // namespace

bool HeadInside(const PersonPose& pose, const Box& box) {
  return Inside(box, pose.at(BodyPart::kNose)) && Inside(box, pose.at(BodyPart::kLeftEye)) &&
         Inside(box, pose.at(BodyPart::kRightEye));
}

std::vector<int> LinkPosesToFaces(const std::vector<PersonPose>& poses,
                                  const std::vector<Box>& faces) {
  // Best pose first claims its face, whatever order the poses come in.
  std::vector<size_t> by_score(poses.size());
  for (size_t i = 0; i < poses.size(); ++i) by_score[i] = i;
  std::stable_sort(by_score.begin(), by_score.end(),
                   [&](size_t a, size_t b) { return poses[a].score > poses[b].score; });
  std::vector<int> face_of(poses.size(), -1);
  std::vector<bool> taken(faces.size(), false);
  for (size_t p : by_score) {
    int best = -1;
    for (size_t f = 0; f < faces.size(); ++f) {
      if (taken[f] || !HeadInside(poses[p], faces[f])) continue;
      if (best < 0 || faces[f].area() < faces[static_cast<size_t>(best)].area()) {
        best = static_cast<int>(f);
      }
    }
    face_of[p] = best;
    if (best >= 0) taken[static_cast<size_t>(best)] = true;
  }
  return face_of;
}

bool SameHead(const PersonPose& better, const PersonPose& other, float fraction) {
  constexpr BodyPart kHead[] = {BodyPart::kNose, BodyPart::kLeftEye, BodyPart::kRightEye};
  float sum = 0.0f;
  for (BodyPart part : kHead) sum += Distance(better.at(part), other.at(part));
  const float eyes = Distance(better.at(BodyPart::kLeftEye), better.at(BodyPart::kRightEye));
  return sum / 3.0f < fraction * std::max(eyes, 1.0f);
}

}  // namespace affect::analysis

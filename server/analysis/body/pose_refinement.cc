#include "server/analysis/body/pose_refinement.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/analysis/body/pose_face_link.h"

namespace affect::analysis {
namespace {

// Region sides past this many face sizes are a configuration error, not a
// wish for a larger crop: the whole-frame pass already sees the frame.
constexpr float kMaxRegionFaces = 20.0f;

}  // namespace

absl::Status PoseRefinementOptions::Validate() const {
  if (max_faces < 0 || max_faces > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("refine_max_faces must be in [0, 64], got ", max_faces));
  }
  for (auto [name, value] : {std::pair{"refine_half_width", half_width},
                             std::pair{"refine_above", above}, std::pair{"refine_below", below}}) {
    if (!(value >= 0.0f && value <= kMaxRegionFaces)) {
      return absl::InvalidArgumentError(absl::StrCat(name, " must be in [0, ", kMaxRegionFaces,
                                                     "] face sizes, got ", value));
    }
  }
  if (!(half_width > 0.0f) || !(above + below > 0.0f)) {
    return absl::InvalidArgumentError(
        "refine_half_width and refine_above + refine_below must be positive");
  }
  return absl::OkStatus();
}

std::vector<size_t> FacesWithoutPose(const std::vector<PersonPose>& poses,
                                     const std::vector<Box>& faces,
                                     const PoseRefinementOptions& options) {
  std::vector<bool> linked(faces.size(), false);
  for (int face : LinkPosesToFaces(poses, faces)) {
    if (face >= 0) linked[static_cast<size_t>(face)] = true;
  }
  std::vector<size_t> unlinked;
  for (size_t f = 0; f < faces.size(); ++f) {
    if (static_cast<int>(unlinked.size()) >= options.max_faces) break;
    if (!linked[f] && !faces[f].empty()) unlinked.push_back(f);
  }
  return unlinked;
}

cv::Rect RegionAroundFace(const Box& face, int image_width, int image_height,
                          const PoseRefinementOptions& options) {
  if (face.empty() || image_width <= 0 || image_height <= 0) return cv::Rect();
  const float size = std::max(face.width, face.height);
  const float left = face.center_x() - options.half_width * size;
  const float right = face.center_x() + options.half_width * size;
  const float top = face.y - options.above * size;
  const float bottom = face.y + options.below * size;
  // Clamp in float before converting: a face box far outside the image must
  // not overflow int.
  const auto clamp = [](float value, int limit) {
    return static_cast<int>(std::clamp(value, 0.0f, static_cast<float>(limit)));
  };
  const int x0 = clamp(std::floor(left), image_width);
  const int y0 = clamp(std::floor(top), image_height);
  const int x1 = clamp(std::ceil(right), image_width);
  const int y1 = clamp(std::ceil(bottom), image_height);
  if (x1 <= x0 || y1 <= y0) return cv::Rect();
  return cv::Rect(x0, y0, x1 - x0, y1 - y0);
}

std::optional<PersonPose> PoseForFace(const std::vector<PersonPose>& found, const Box& face,
                                      const std::vector<PersonPose>& known,
                                      float same_head_fraction) {
  const PersonPose* best = nullptr;
  for (const PersonPose& pose : found) {
    if (!HeadInside(pose, face)) continue;
    const bool already_known = std::any_of(known.begin(), known.end(), [&](const PersonPose& k) {
      return SameHead(k, pose, same_head_fraction);
    });
    if (already_known) continue;
    if (best == nullptr || pose.score > best->score) best = &pose;
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

}  // namespace affect::analysis

// A second look for faces the whole-frame pose pass left without a body.
//
// MoveNet MultiPose sees the frame at 256x256: a person squeezed between
// neighbours, mostly hidden behind them, can be missed there (on sample4
// the second woman from the left gets no pose at 256, 320 or 384 px) while
// BlazeFace finds her face. The pose model then runs again on a region
// around that face, head and upper body at a larger scale, and the pose it
// finds there is kept when its head lies in that face's box (the link rule
// of pose_face_link.h) and it is not a person already found.
//
// The region, in face sizes s (the larger side of the face box): half_width
// s on each side of the face centre, `above` s above the face box and
// `below` s below its top. The defaults (2, 1, 4) frame head, shoulders and
// chest: the cues that need the lower body (hips, knees) come from the
// whole-frame pass for everyone else.
//
// Pure and thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_BODY_POSE_REFINEMENT_H_
#define AFFECT_SERVER_ANALYSIS_BODY_POSE_REFINEMENT_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "opencv2/core.hpp"
#include "server/analysis/body/pose_types.h"
#include "server/analysis/geometry.h"

namespace affect::analysis {

struct PoseRefinementOptions {
  // Faces per image that get a second look (one pose-model item each, in
  // one batch); 0 turns the second look off. Faces beyond it keep no pose.
  int max_faces = 4;
  // The region around the face, in face sizes (see above).
  float half_width = 2.0f;
  float above = 1.0f;
  float below = 4.0f;

  absl::Status Validate() const;
};

// Indices of the faces no pose links to (LinkPosesToFaces), in face order,
// at most options.max_faces of them.
std::vector<size_t> FacesWithoutPose(const std::vector<PersonPose>& poses,
                                     const std::vector<Box>& faces,
                                     const PoseRefinementOptions& options);

// The region around `face` that the second look analyses, in whole pixels
// and clipped to the image; empty when nothing of it lies in the image.
cv::Rect RegionAroundFace(const Box& face, int image_width, int image_height,
                          const PoseRefinementOptions& options);

// Of the poses found in the region around `face` (image pixels, best
// first), the best whose head lies in the face box and which is not the
// same head (SameHead, `same_head_fraction`) as a pose in `known`; nullopt
// when none is.
std::optional<PersonPose> PoseForFace(const std::vector<PersonPose>& found, const Box& face,
                                      const std::vector<PersonPose>& known,
                                      float same_head_fraction);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_BODY_POSE_REFINEMENT_H_

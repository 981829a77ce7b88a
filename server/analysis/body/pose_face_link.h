// Which face a pose belongs to, and whether two poses are one person.
//
// A pose belongs to the face whose box holds its nose and both eye
// keypoints: the pose and face models see the same head, so the three points
// fall inside the detector's box for the person's own face (checked on the
// demo photos) and, in a crowd, not inside a neighbour's. Poses are linked
// best first and each face at most once; when several boxes hold a head the
// smallest (the tightest fit) wins.
//
// Shared by the per-image result (body_result.h), the second look at faces
// without a pose (pose_refinement.h) and the decoder's duplicate removal,
// so that all three apply the same rule. Pure and thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_BODY_POSE_FACE_LINK_H_
#define AFFECT_SERVER_ANALYSIS_BODY_POSE_FACE_LINK_H_

#include <vector>

#include "server/analysis/body/pose_types.h"
#include "server/analysis/geometry.h"

namespace affect::analysis {

// Whether the pose's nose and both eyes lie inside `box` (right and bottom
// edges excluded).
bool HeadInside(const PersonPose& pose, const Box& box);

// For each pose (same order), the index into `faces` of its face, -1 when
// none: best-scored pose first, each face at most once, the smallest
// qualifying box.
std::vector<int> LinkPosesToFaces(const std::vector<PersonPose>& poses,
                                  const std::vector<Box>& faces);

// Whether `other` has `better`'s head: nose and eyes on average closer than
// `fraction` of better's eye distance (at least one pixel). Two centres on
// one body give the same keypoints; this tells the copy apart.
bool SameHead(const PersonPose& better, const PersonPose& other, float fraction);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_BODY_POSE_FACE_LINK_H_

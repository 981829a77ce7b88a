// PersonPose -> the API's PersonBody messages, and the link from a body to
// its face (ImageAnalysis.faces).
//
// A body is linked to its face by the rule of pose_face_link.h (the face box
// holding its nose and both eyes; best pose first, each face once).
//
// Pure and thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_BODY_BODY_RESULT_H_
#define AFFECT_SERVER_ANALYSIS_BODY_BODY_RESULT_H_

#include <vector>

#include "affect/v1/results.pb.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "server/analysis/body/pose_types.h"
#include "server/analysis/body/posture_cues.h"

namespace affect::analysis {

// One PersonBody per pose, in the given order (index = position): box
// clipped to the image and normalised, score, all 17 keypoints with names,
// pixel and normalised positions, the linked face_index (-1 when none) and
// the model. Cues and track ids are left for later stages.
// Adds the posture cues (posture_cues.h) that hold for `pose` (present
// ones only, strongest first) to `body`: name, score and the rule's
// evidence line.
void AddPostureCues(const PersonPose& pose, const PostureCueOptions& options, v1::PersonBody* body);

// The proto form of one cue.
v1::PostureCue ToProto(const PostureCue& cue);

std::vector<v1::PersonBody> ToPersonBodies(
    const std::vector<PersonPose>& poses, const google::protobuf::RepeatedPtrField<v1::Face>& faces,
    int image_width, int image_height, const v1::ModelRef& model);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_BODY_BODY_RESULT_H_

// The face mesh's landmarks and the geometry measured on them
// (face_geometry.h) as the API's FaceAttention. Pure and thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_FACE_FACE_ATTENTION_RESULT_H_
#define AFFECT_SERVER_ANALYSIS_FACE_FACE_ATTENTION_RESULT_H_

#include "affect/v1/results.pb.h"
#include "server/analysis/face/face_geometry.h"
#include "server/analysis/face/face_landmarks.h"

namespace affect::analysis {

// mesh_confidence from `landmarks`, the model, and every measure `geometry`
// holds (an unmeasured one stays absent: a degenerate eye has no openness).
v1::FaceAttention ToFaceAttention(const FaceLandmarks& landmarks, const FaceGeometry& geometry,
                                  const v1::ModelRef& model);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_FACE_FACE_ATTENTION_RESULT_H_

// A face's 468 landmarks as the face mesh model (MediaPipe facemesh) reports
// them, mapped back to the analysed image. Shared by the mesh decoder and the
// attention rules (eye and mouth openness, head pose) so they agree on the
// landmark numbering (MediaPipe's canonical face mesh) and units.
//
// Units: x, y in pixels of the analysed image (origin top-left, y down); z in
// the same pixel scale, relative depth (smaller = nearer the camera), as the
// model reports it scaled by the crop-to-image factor.
#ifndef AFFECT_SERVER_ANALYSIS_FACE_FACE_LANDMARKS_H_
#define AFFECT_SERVER_ANALYSIS_FACE_FACE_LANDMARKS_H_

#include <array>

namespace affect::analysis {

inline constexpr int kFaceMeshLandmarkCount = 468;

struct Landmark3 {
  float x = 0.0f;
  float y = 0.0f;
  float z = 0.0f;
};

struct FaceLandmarks {
  std::array<Landmark3, kFaceMeshLandmarkCount> points{};
  // The mesh model's face-presence confidence in [0, 1].
  float confidence = 0.0f;
};

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_FACE_FACE_LANDMARKS_H_

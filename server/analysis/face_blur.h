// Makes the faces of an analysed image unrecognisable, for sharing outputs
// (affect-client analyze --annotate --blur_faces): each face box, grown by
// kFaceBlurMargin on every side, is pixelated to kFaceBlurCells cells across
// and then smoothed, so no detail finer than an eighth of the face survives.
//
// Coordinates are scaled to the Mat like annotate.h does. Only faces the
// detector found are blurred: a face it missed stays visible, so check the
// output before sharing it. Stateless; thread-safe on distinct images.
#ifndef AFFECT_SERVER_ANALYSIS_FACE_BLUR_H_
#define AFFECT_SERVER_ANALYSIS_FACE_BLUR_H_

#include "absl/status/status.h"
#include "affect/v1/results.pb.h"
#include "opencv2/core.hpp"

namespace affect::analysis {

// Share of the box width/height added on each side (hair, ears, chin).
inline constexpr float kFaceBlurMargin = 0.25f;
// Cells across a face after pixelation.
inline constexpr int kFaceBlurCells = 8;

// `rgb`: CV_8UC3, changed in place. INVALID_ARGUMENT for a null, empty or
// non-RGB image. Boxes outside the image are clipped; empty ones skipped.
absl::Status BlurFaces(const v1::ImageAnalysis& analysis, cv::Mat* rgb);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_FACE_BLUR_H_

// Draws an ImageAnalysis onto its image, for people to look at: face boxes
// (coloured by dominant expression) with track ids, landmarks and a bar per
// expression class; garment regions with colour swatches; detected objects;
// a skeleton per body (keypoints scored at least kSkeletonMinScore, with its
// posture cues); and a scene tag (top category, indoor/outdoor, lighting).
// Used by the
// client to write annotated images and videos.
//
// Coordinates come from the analysis (pixels of the image as analysed); when
// analysis.size differs from the Mat (a resized copy), they are scaled to
// the Mat. Stateless; thread-safe on distinct images.
#ifndef AFFECT_SERVER_ANALYSIS_ANNOTATE_H_
#define AFFECT_SERVER_ANALYSIS_ANNOTATE_H_

#include "absl/status/status.h"
#include "affect/v1/results.pb.h"
#include "opencv2/core.hpp"

namespace affect::analysis {

struct AnnotateOptions {
  bool faces = true;
  bool landmarks = true;
  bool expression_bars = true;
  bool attire = true;
  bool objects = true;
  bool scene_tag = true;
  bool skeletons = true;
  // Blur every face first (face_blur.h), for outputs that will be shared;
  // the boxes, labels and bars are still drawn.
  bool blur_faces = false;
  // Line and text size multiplier; 0 = from the image size (1 per 600 px of
  // the shorter side, at least 1).
  float scale = 0.0f;
};

// `rgb`: CV_8UC3 in RGB order, drawn on in place. INVALID_ARGUMENT for a
// null, empty or non-RGB image.
absl::Status AnnotateImage(const v1::ImageAnalysis& analysis, const AnnotateOptions& options,
                           cv::Mat* rgb);

// Body keypoints below this score are not drawn (the model is guessing).
inline constexpr float kSkeletonMinScore = 0.3f;

// The colour (RGB) used for an expression's box and bar.
cv::Scalar ExpressionColor(v1::Expression expression);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_ANNOTATE_H_

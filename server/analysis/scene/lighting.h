// Lighting from pixels (no model): Rec. 601 luma of the whole image.
//
//   brightness = mean luma / 255, contrast = standard deviation / 255
//   level: DARK    brightness <  0.12   (~3.7 stops below mid-grey)
//          DIM     brightness <  0.30   (~1.3 stops below)
//          NORMAL  otherwise
//          BRIGHT  brightness >= 0.70   (~1.3 stops above)
//
// The stops are counted against 18 % grey after undoing the sRGB curve: an
// sRGB value v is linear ((v + 0.055) / 1.055)^2.4, so 0.12 -> 0.013, 0.30
// -> 0.073, 0.70 -> 0.45 (mid-grey 0.18 is sRGB ~0.46). Pure and
// thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_SCENE_LIGHTING_H_
#define AFFECT_SERVER_ANALYSIS_SCENE_LIGHTING_H_

#include "absl/status/statusor.h"
#include "affect/v1/results.pb.h"
#include "opencv2/core.hpp"

namespace affect::analysis {

struct LightingThresholds {
  float dark_below = 0.12f;
  float dim_below = 0.30f;
  float bright_from = 0.70f;
};

v1::LightingLevel LightingLevelFor(float brightness, const LightingThresholds& thresholds = {});

// INVALID_ARGUMENT for an empty or non-CV_8UC3 image.
absl::StatusOr<v1::Lighting> MeasureLighting(const cv::Mat& rgb,
                                             const LightingThresholds& thresholds = {});

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_SCENE_LIGHTING_H_

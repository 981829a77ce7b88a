#include "server/analysis/scene/lighting.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "server/analysis/image_input.h"
#include "server/common/status_macros.h"

namespace affect::analysis {

v1::LightingLevel LightingLevelFor(float brightness, const LightingThresholds& thresholds) {
  if (brightness < thresholds.dark_below) return v1::LIGHTING_LEVEL_DARK;
  if (brightness < thresholds.dim_below) return v1::LIGHTING_LEVEL_DIM;
  if (brightness >= thresholds.bright_from) return v1::LIGHTING_LEVEL_BRIGHT;
  return v1::LIGHTING_LEVEL_NORMAL;
}

absl::StatusOr<v1::Lighting> MeasureLighting(const cv::Mat& rgb,
                                             const LightingThresholds& thresholds) {
  AFFECT_RETURN_IF_ERROR(ValidateRgbImage(rgb));
  // One exact pass: 1000 x luma is an integer (299 R + 587 G + 114 B), so
  // sums need no rounding and no float copy of the image.
  uint64_t sum = 0;
  double sum_squares = 0.0;
  for (int y = 0; y < rgb.rows; ++y) {
    const cv::Vec3b* row = rgb.ptr<cv::Vec3b>(y);
    uint64_t row_sum = 0;
    uint64_t row_squares = 0;
    for (int x = 0; x < rgb.cols; ++x) {
      const uint64_t luma = 299u * row[x][0] + 587u * row[x][1] + 114u * row[x][2];
      row_sum += luma;
      row_squares += luma * luma;
    }
    sum += row_sum;
    sum_squares += static_cast<double>(row_squares);
  }
  const double n = static_cast<double>(rgb.total());
  const double mean = static_cast<double>(sum) / n;
  const double variance = std::max(0.0, sum_squares / n - mean * mean);
  v1::Lighting lighting;
  lighting.set_brightness(static_cast<float>(mean / 255000.0));
  lighting.set_contrast(static_cast<float>(std::sqrt(variance) / 255000.0));
  lighting.set_level(LightingLevelFor(lighting.brightness(), thresholds));
  return lighting;
}

}  // namespace affect::analysis

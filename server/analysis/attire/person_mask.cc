#include "server/analysis/attire/person_mask.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "opencv2/imgproc.hpp"

namespace affect::analysis {

absl::StatusOr<cv::Mat> PersonMaskFromTensor(const Tensor& probability,
                                             const InputTransform& transform, float threshold) {
  const int in_w = transform.input_width;
  const int in_h = transform.input_height;
  if (in_w <= 0 || in_h <= 0 || transform.image_width <= 0 || transform.image_height <= 0) {
    return absl::InvalidArgumentError("person mask transform has no input or image size");
  }
  if (probability.num_elements() != static_cast<int64_t>(in_w) * in_h) {
    return absl::InvalidArgumentError(absl::StrCat(
        "person segmentation output ", probability.DebugString(), " has ",
        probability.num_elements(), " values; expected ", in_w, "x", in_h, "x1"));
  }
  // Wraps the tensor without copying; cv::resize below writes a new Mat.
  const cv::Mat full(in_h, in_w, CV_32FC1, const_cast<float*>(probability.data()));
  const int x0 = std::clamp(static_cast<int>(std::lround(transform.offset_x)), 0, in_w - 1);
  const int y0 = std::clamp(static_cast<int>(std::lround(transform.offset_y)), 0, in_h - 1);
  const int w = std::clamp(static_cast<int>(std::lround(transform.scale_x * transform.image_width)),
                           1, in_w - x0);
  const int h = std::clamp(
      static_cast<int>(std::lround(transform.scale_y * transform.image_height)), 1, in_h - y0);
  cv::Mat resized;
  cv::resize(full(cv::Rect(x0, y0, w, h)), resized,
             cv::Size(transform.image_width, transform.image_height), 0, 0, cv::INTER_LINEAR);
  cv::Mat mask;
  cv::compare(resized, cv::Scalar(threshold), mask, cv::CMP_GE);
  return mask;
}

}  // namespace affect::analysis

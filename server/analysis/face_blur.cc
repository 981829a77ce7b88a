#include "server/analysis/face_blur.h"

#include <algorithm>
#include <cmath>

#include "opencv2/imgproc.hpp"
#include "server/analysis/image_input.h"

namespace affect::analysis {

absl::Status BlurFaces(const v1::ImageAnalysis& analysis, cv::Mat* rgb) {
  if (rgb == nullptr) return absl::InvalidArgumentError("no image to blur");
  if (absl::Status status = ValidateRgbImage(*rgb); !status.ok()) return status;
  float sx = 1.0f;
  float sy = 1.0f;
  if (analysis.size().width() > 0 && analysis.size().height() > 0) {
    sx = static_cast<float>(rgb->cols) / static_cast<float>(analysis.size().width());
    sy = static_cast<float>(rgb->rows) / static_cast<float>(analysis.size().height());
  }
  const cv::Rect image_rect(0, 0, rgb->cols, rgb->rows);
  for (const v1::Face& face : analysis.faces()) {
    const v1::BoundingBox& box = face.box();
    const float margin_x = box.width() * kFaceBlurMargin;
    const float margin_y = box.height() * kFaceBlurMargin;
    const int x0 = static_cast<int>(std::floor((box.x() - margin_x) * sx));
    const int y0 = static_cast<int>(std::floor((box.y() - margin_y) * sy));
    const int x1 = static_cast<int>(std::ceil((box.x() + box.width() + margin_x) * sx));
    const int y1 = static_cast<int>(std::ceil((box.y() + box.height() + margin_y) * sy));
    const cv::Rect region = cv::Rect(x0, y0, x1 - x0, y1 - y0) & image_rect;
    if (region.width < 2 || region.height < 2) continue;
    cv::Mat roi = (*rgb)(region);
    const int cells_x = std::max(1, std::min(kFaceBlurCells, region.width / 2));
    const int cells_y = std::max(
        1, std::min(region.height / 2,
                    static_cast<int>(std::lround(static_cast<float>(kFaceBlurCells) *
                                                 static_cast<float>(region.height) /
                                                 static_cast<float>(region.width)))));
    cv::Mat small;
    cv::resize(roi, small, cv::Size(cells_x, cells_y), 0, 0, cv::INTER_AREA);
    cv::Mat blocky;
    cv::resize(small, blocky, roi.size(), 0, 0, cv::INTER_NEAREST);
    const int kernel = std::max(3, (std::min(region.width, region.height) / kFaceBlurCells) | 1);
    cv::GaussianBlur(blocky, roi, cv::Size(kernel, kernel), 0);
  }
  return absl::OkStatus();
}

}  // namespace affect::analysis

#include "tests/eval/demo_expression_dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "server/analysis/face/expression_labels.h"
#include "server/common/status_macros.h"
#include "server/media/image_decoder.h"
#include "tests/eval/demo_expression_labels.h"

namespace affect::testing {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<cv::Mat> ReadPhoto(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat(path, " cannot be opened"));
  std::ostringstream bytes;
  bytes << file.rdbuf();
  v1::Image image;
  image.set_encoded(bytes.str());
  return DecodeImage(image, ImageDecodeOptions());
}

// The square of `scale` x the box's larger side around its centre, clipped
// to the image.
cv::Rect ScaledSquare(const analysis::Box& box, float scale, const cv::Size& image) {
  const float side = scale * std::max(box.width, box.height);
  const int x0 = std::max(0, static_cast<int>(std::lround(box.center_x() - side / 2)));
  const int y0 = std::max(0, static_cast<int>(std::lround(box.center_y() - side / 2)));
  const int x1 = std::min(image.width, static_cast<int>(std::lround(box.center_x() + side / 2)));
  const int y1 = std::min(image.height, static_cast<int>(std::lround(box.center_y() + side / 2)));
  return cv::Rect(x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0));
}

// `photo` with every face but `subject` blacked out.
cv::Mat MaskOtherFaces(const cv::Mat& photo, const std::vector<analysis::FaceDetection>& faces,
                       size_t subject) {
  cv::Mat masked = photo.clone();
  for (size_t f = 0; f < faces.size(); ++f) {
    if (f == subject) continue;
    masked(ScaledSquare(faces[f].box, kDemoMaskScale, photo.size())).setTo(cv::Scalar(0, 0, 0));
  }
  const cv::Rect keep = ScaledSquare(faces[subject].box, kDemoSubjectKeepScale, photo.size());
  photo(keep).copyTo(masked(keep));
  return masked;
}

float Iou(const analysis::Box& a, const analysis::Box& b) {
  const float w = std::min(a.right(), b.right()) - std::max(a.x, b.x);
  const float h = std::min(a.bottom(), b.bottom()) - std::max(a.y, b.y);
  if (w <= 0.0f || h <= 0.0f) return 0.0f;
  const float intersection = w * h;
  return intersection / (a.area() + b.area() - intersection);
}

// OK when the largest face found in `image` is `subject` (its box on the
// unmasked photo).
absl::Status CheckSubjectIsLargest(const eval::ExpressionEvaluator& evaluator, const cv::Mat& image,
                                   const analysis::Box& subject, const std::string& file) {
  AFFECT_ASSIGN_OR_RETURN(std::vector<analysis::FaceDetection> faces,
                          evaluator.DetectFaces(std::make_shared<const cv::Mat>(image)));
  if (faces.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(file, ": no face found"));
  }
  const auto largest =
      std::max_element(faces.begin(), faces.end(),
                       [](const analysis::FaceDetection& a, const analysis::FaceDetection& b) {
                         return a.box.area() < b.box.area();
                       });
  const float iou = Iou(largest->box, subject);
  if (iou < kDemoMinSubjectIou) {
    return absl::FailedPreconditionError(
        absl::StrCat(file, ": the largest face found overlaps the labelled one by IoU ", iou, " < ",
                     kDemoMinSubjectIou));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DemoDataset> WriteDemoExpressionDataset(const eval::ExpressionEvaluator& evaluator,
                                                       const std::string& photo_dir,
                                                       const std::string& out_dir) {
  std::error_code error;
  for (const v1::Expression expression : analysis::CanonicalExpressions()) {
    fs::remove_all(fs::path(out_dir) / std::string(analysis::ExpressionName(expression)), error);
    if (error) {
      return absl::InternalError(absl::StrCat("cannot clear ", out_dir, ": ", error.message()));
    }
  }
  DemoDataset dataset;
  for (int photo = 1; photo <= kDemoPhotos; ++photo) {
    const std::string path = absl::StrCat(photo_dir, "/sample", photo, ".jpg");
    AFFECT_ASSIGN_OR_RETURN(cv::Mat rgb, ReadPhoto(path));
    auto shared = std::make_shared<const cv::Mat>(rgb);
    AFFECT_ASSIGN_OR_RETURN(std::vector<analysis::FaceDetection> faces,
                            evaluator.DetectFaces(shared));
    AFFECT_ASSIGN_OR_RETURN(std::vector<LabelledFace> labelled, MatchDemoFaceLabels(photo, faces));
    for (const LabelledFace& face : labelled) {
      if (face.label.expression == v1::EXPRESSION_UNSPECIFIED) {
        ++dataset.skipped_faces;
        continue;
      }
      const cv::Mat masked = MaskOtherFaces(rgb, faces, face.face_index);
      const fs::path folder =
          fs::path(out_dir) / std::string(analysis::ExpressionName(face.label.expression));
      const std::string file =
          (folder / absl::StrCat("sample", photo, "_", std::lround(face.label.x), "_",
                                 std::lround(face.label.y), ".png"))
              .string();
      AFFECT_RETURN_IF_ERROR(CheckSubjectIsLargest(evaluator, masked, face.face.box, file));
      fs::create_directories(folder, error);
      cv::Mat bgr;
      cv::cvtColor(masked, bgr, cv::COLOR_RGB2BGR);
      if (error || !cv::imwrite(file, bgr)) {
        return absl::InternalError(absl::StrCat("cannot write ", file));
      }
      dataset.files.push_back(file);
    }
  }
  return dataset;
}

}  // namespace affect::testing

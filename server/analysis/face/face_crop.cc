#include "server/analysis/face/face_crop.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "opencv2/imgproc.hpp"
#include "server/analysis/image_input.h"
#include "server/common/status_macros.h"

namespace affect::analysis {
namespace {

// Eye distances below this many pixels give no usable angle.
constexpr float kMinEyeDistance = 1e-3f;
// Native crops are capped so a huge face cannot allocate a huge buffer; the
// model input is far smaller anyway.
constexpr int kMaxNativeSide = 4096;

float EyeLineAngle(const FaceDetection& face) {
  const Point right = face.keypoint(FaceKeypoint::kRightEye);
  const Point left = face.keypoint(FaceKeypoint::kLeftEye);
  const float dx = left.x - right.x;
  const float dy = left.y - right.y;
  if (std::hypot(dx, dy) < kMinEyeDistance) return 0.0f;
  return std::atan2(dy, dx);
}

// Rotates `p` about `origin` by -angle: into a frame whose x axis is the
// direction `angle`.
Point ToFrame(Point p, Point origin, float angle) {
  const float c = std::cos(angle);
  const float s = std::sin(angle);
  const float dx = p.x - origin.x;
  const float dy = p.y - origin.y;
  return Point{c * dx + s * dy, -s * dx + c * dy};
}

Point FromFrame(Point p, Point origin, float angle) {
  const float c = std::cos(angle);
  const float s = std::sin(angle);
  return Point{origin.x + c * p.x - s * p.y, origin.y + s * p.x + c * p.y};
}

bool Finite(const Box& b) {
  return std::isfinite(b.x) && std::isfinite(b.y) && std::isfinite(b.width) &&
         std::isfinite(b.height);
}

}  // namespace

absl::StatusOr<FaceCropRegion> FaceCropRegionFor(const FaceDetection& face,
                                                 const v1::FaceCropPolicy& policy) {
  const bool has_keypoints = face.keypoints.size() >= kBlazeFaceKeypoints;
  const bool from_keypoints = policy.box_source() == v1::FaceCropPolicy::BOX_SOURCE_KEYPOINTS;
  if ((from_keypoints || policy.align_eyes()) && !has_keypoints) {
    return absl::InvalidArgumentError(
        absl::StrCat("face crop policy needs keypoints (",
                     from_keypoints ? "box_source KEYPOINTS" : "align_eyes",
                     ") but the face has ", face.keypoints.size()));
  }
  if (!(policy.margin() > -0.5f) || !std::isfinite(policy.margin())) {
    return absl::InvalidArgumentError(
        absl::StrCat("face crop margin ", policy.margin(), " must be > -0.5"));
  }
  FaceCropRegion region;
  region.angle = policy.align_eyes() ? EyeLineAngle(face) : 0.0f;

  // Width and height of the base box in the crop's (possibly rotated) frame.
  float width = 0.0f;
  float height = 0.0f;
  if (from_keypoints) {
    const Point right = face.keypoint(FaceKeypoint::kRightEye);
    const Point left = face.keypoint(FaceKeypoint::kLeftEye);
    const Point eyes{0.5f * (right.x + left.x), 0.5f * (right.y + left.y)};
    // In the frame of the eye line (rotated only when aligning).
    const Point mouth = ToFrame(face.keypoint(FaceKeypoint::kMouthCenter), eyes, region.angle);
    const float eye_distance = std::hypot(left.x - right.x, left.y - right.y);
    const float mouth_distance = std::max(mouth.y, 0.0f);
    const float side = kKeypointBoxScale * std::max(eye_distance, mouth_distance);
    const Point centre{0.0f, kKeypointBoxCentre * mouth_distance};
    region.center = FromFrame(centre, eyes, region.angle);
    width = height = side;
  } else {
    region.center = Point{face.box.center_x(), face.box.center_y()};
    width = face.box.width;
    height = face.box.height;
  }
  width *= 1.0f + 2.0f * policy.margin();
  height *= 1.0f + 2.0f * policy.margin();
  if (policy.square()) width = height = std::max(width, height);
  region.width = width;
  region.height = height;
  const Box check{region.center.x, region.center.y, width, height};
  if (!Finite(check) || check.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("face crop region is empty or not finite (", width, "x", height, ")"));
  }
  return region;
}

absl::StatusOr<cv::Mat> CropFace(const cv::Mat& rgb, const FaceCropRegion& region, int width,
                                 int height, v1::ResizeMethod resize) {
  AFFECT_RETURN_IF_ERROR(ValidateRgbImage(rgb));
  if (width <= 0 || height <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("face crop size ", width, "x", height));
  }
  const int native_w = std::clamp(static_cast<int>(std::lround(region.width)), 1, kMaxNativeSide);
  const int native_h =
      std::clamp(static_cast<int>(std::lround(region.height)), 1, kMaxNativeSide);
  // dst pixel (u, v) samples src at centre + R(angle) * ((u, v) + 0.5 -
  // native/2) - 0.5 (OpenCV indexes pixel centres; ours are at i + 0.5). The
  // native crop keeps the region's scale (region.width / native_w ~ 1).
  const double sx = region.width / native_w;
  const double sy = region.height / native_h;
  const double c = std::cos(region.angle);
  const double s = std::sin(region.angle);
  const double a = c * sx, b = -s * sy, d = s * sx, e = c * sy;
  const double ox = 0.5 - 0.5 * native_w;
  const double oy = 0.5 - 0.5 * native_h;
  cv::Mat map = (cv::Mat_<double>(2, 3) << a, b, region.center.x - 0.5 + a * ox + b * oy,  //
                 d, e, region.center.y - 0.5 + d * ox + e * oy);
  cv::Mat native;
  cv::warpAffine(rgb, native, map, cv::Size(native_w, native_h),
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                 cv::Scalar(0, 0, 0));
  if (native_w == width && native_h == height) return native;
  cv::Mat out;
  cv::resize(native, out, cv::Size(width, height), 0, 0, ToOpenCvInterpolation(resize));
  return out;
}

absl::StatusOr<Tensor> MakeFaceInput(const cv::Mat& rgb, const FaceDetection& face,
                                     const v1::FaceCropPolicy& policy,
                                     const v1::TensorSpec& input_spec) {
  AFFECT_RETURN_IF_ERROR(ValidateRgbImage(rgb));
  AFFECT_ASSIGN_OR_RETURN(const ImageInputShape shape, ImageInputShapeOf(input_spec));
  AFFECT_ASSIGN_OR_RETURN(const FaceCropRegion region, FaceCropRegionFor(face, policy));
  AFFECT_ASSIGN_OR_RETURN(const cv::Mat crop, CropFace(rgb, region, shape.width, shape.height,
                                                        input_spec.normalization().resize()));
  return PixelsToTensor(crop, input_spec);
}

}  // namespace affect::analysis

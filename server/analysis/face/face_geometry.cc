#include "server/analysis/face/face_geometry.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"

namespace affect::analysis {
namespace {

constexpr double kDegreesPerRadian = 180.0 / 3.14159265358979323846;

// Doubles inside: landmark coordinates are floats, but their squares and
// cross products must not overflow or lose the small spans we divide by.
struct Vec3 {
  double x = 0.0;
  double y = 0.0;
  double z = 0.0;
};

Vec3 operator+(const Vec3& a, const Vec3& b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
Vec3 operator-(const Vec3& a, const Vec3& b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
Vec3 operator*(double s, const Vec3& a) { return {s * a.x, s * a.y, s * a.z}; }
double Dot(const Vec3& a, const Vec3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
Vec3 Cross(const Vec3& a, const Vec3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
double Norm(const Vec3& a) { return std::sqrt(Dot(a, a)); }

// The landmark when every coordinate is finite.
std::optional<Vec3> Point3(const FaceLandmarks& face, int index) {
  const Landmark3& p = face.points[index];
  if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z)) return std::nullopt;
  return Vec3{p.x, p.y, p.z};
}

// Distance in the image plane; nullopt when an end is not finite.
std::optional<double> Distance2(const FaceLandmarks& face, int a, int b) {
  const auto pa = Point3(face, a);
  const auto pb = Point3(face, b);
  if (!pa || !pb) return std::nullopt;
  return std::hypot(pa->x - pb->x, pa->y - pb->y);
}

// A ratio as float; nullopt when it is not finite or beyond float's range
// (the cast would be undefined).
std::optional<float> FloatRatio(double ratio) {
  if (!(std::isfinite(ratio) && std::fabs(ratio) <= std::numeric_limits<float>::max())) {
    return std::nullopt;
  }
  return static_cast<float>(ratio);
}

std::optional<Vec3> Midpoint(const FaceLandmarks& face, int a, int b) {
  const auto pa = Point3(face, a);
  const auto pb = Point3(face, b);
  if (!pa || !pb) return std::nullopt;
  return 0.5 * (*pa + *pb);
}

}  // namespace

absl::Status ValidateFaceGeometryOptions(const FaceGeometryOptions& options) {
  if (!(std::isfinite(options.closed_ear) && std::isfinite(options.open_ear) &&
        options.closed_ear >= 0.0f && options.closed_ear < options.open_ear)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "face geometry: closed_ear %g and open_ear %g must satisfy 0 <= closed_ear < open_ear",
        options.closed_ear, options.open_ear));
  }
  if (!(std::isfinite(options.min_span_px) && options.min_span_px > 0.0f)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "face geometry: min_span_px %g must be finite and positive", options.min_span_px));
  }
  if (!(std::fabs(options.neutral_pitch_degrees) <= 45.0f)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("face geometry: neutral_pitch_degrees %g is outside [-45, 45]",
                        options.neutral_pitch_degrees));
  }
  return absl::OkStatus();
}

std::optional<float> EyeAspectRatio(const FaceLandmarks& face, Eye eye,
                                    const FaceGeometryOptions& options) {
  const std::array<int, 6>& p = eye == Eye::kLeft ? kLeftEyeEarLandmarks : kRightEyeEarLandmarks;
  const auto width = Distance2(face, p[0], p[3]);
  const auto outer_lids = Distance2(face, p[1], p[5]);
  const auto inner_lids = Distance2(face, p[2], p[4]);
  if (!width || !outer_lids || !inner_lids) return std::nullopt;
  if (!(*width >= options.min_span_px)) return std::nullopt;
  return FloatRatio((*outer_lids + *inner_lids) / (2.0 * *width));
}

float EyeOpennessFromEar(float ear, const FaceGeometryOptions& options) {
  if (!std::isfinite(ear)) return 0.0f;
  const float t = (ear - options.closed_ear) / (options.open_ear - options.closed_ear);
  return std::clamp(t, 0.0f, 1.0f);
}

std::optional<float> MouthOpenness(const FaceLandmarks& face, const FaceGeometryOptions& options) {
  const auto width = Distance2(face, kRightMouthCorner, kLeftMouthCorner);
  const auto gap = Distance2(face, kUpperInnerLip, kLowerInnerLip);
  if (!width || !gap || !(*width >= options.min_span_px)) return std::nullopt;
  return FloatRatio(*gap / *width);
}

std::optional<HeadPose> EstimateHeadPose(const FaceLandmarks& face,
                                         const FaceGeometryOptions& options) {
  const auto right_eye = Midpoint(face, kRightEyeOuterCorner, kRightEyeInnerCorner);
  const auto left_eye = Midpoint(face, kLeftEyeInnerCorner, kLeftEyeOuterCorner);
  const auto mouth = Midpoint(face, kRightMouthCorner, kLeftMouthCorner);
  if (!right_eye || !left_eye || !mouth) return std::nullopt;

  Vec3 u = *left_eye - *right_eye;
  const double u_norm = Norm(u);
  if (!(std::isfinite(u_norm) && u_norm >= options.min_span_px)) return std::nullopt;
  u = (1.0 / u_norm) * u;

  Vec3 v = *mouth - 0.5 * (*left_eye + *right_eye);
  v = v - Dot(v, u) * u;  // Gram-Schmidt: down the face, square to u
  const double v_norm = Norm(v);
  if (!(std::isfinite(v_norm) && v_norm >= options.min_span_px)) return std::nullopt;
  v = (1.0 / v_norm) * v;

  const Vec3 forward = -1.0 * Cross(u, v);
  HeadPose pose;
  pose.yaw_degrees = static_cast<float>(std::atan2(forward.x, -forward.z) * kDegreesPerRadian);
  pose.pitch_degrees =
      static_cast<float>(std::asin(std::clamp(forward.y, -1.0, 1.0)) * kDegreesPerRadian) -
      options.neutral_pitch_degrees;
  pose.roll_degrees = static_cast<float>(std::atan2(u.y, v.y) * kDegreesPerRadian);
  if (!std::isfinite(pose.yaw_degrees) || !std::isfinite(pose.pitch_degrees) ||
      !std::isfinite(pose.roll_degrees)) {
    return std::nullopt;
  }
  return pose;
}

FaceGeometry MeasureFaceGeometry(const FaceLandmarks& face, const FaceGeometryOptions& options) {
  FaceGeometry geometry;
  geometry.left_eye_aspect_ratio = EyeAspectRatio(face, Eye::kLeft, options);
  geometry.right_eye_aspect_ratio = EyeAspectRatio(face, Eye::kRight, options);
  if (geometry.left_eye_aspect_ratio) {
    geometry.left_eye_openness = EyeOpennessFromEar(*geometry.left_eye_aspect_ratio, options);
  }
  if (geometry.right_eye_aspect_ratio) {
    geometry.right_eye_openness = EyeOpennessFromEar(*geometry.right_eye_aspect_ratio, options);
  }
  geometry.mouth_openness = MouthOpenness(face, options);
  geometry.head_pose = EstimateHeadPose(face, options);
  return geometry;
}

}  // namespace affect::analysis

#include "server/analysis/face/face_geometry.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;

constexpr double kPi = 3.14159265358979323846;

struct V {
  double x, y, z;
};

// A synthetic face in its own frame (x across to the person's left, y down,
// z away from the camera), about a real face's size in millimetres: eyes 30
// wide with the lids `lid_gap` apart (EAR = lid_gap / 30), mouth 50 wide with
// the inner lips `lip_gap` apart, eye and mouth corners in one plane, the
// nose tip 30 in front of it.
std::array<V, kFaceMeshLandmarkCount> SyntheticFace(double lid_gap, double lip_gap) {
  std::array<V, kFaceMeshLandmarkCount> p{};
  for (V& v : p) v = {0, 30, -10};  // landmarks the rules do not read
  const double h = lid_gap / 2;
  // Right eye (image left): corners 33 outer, 133 inner; lids at 1/3, 2/3.
  p[33] = {-45, 0, 0};
  p[133] = {-15, 0, 0};
  p[160] = {-35, -h, -2};
  p[144] = {-35, h, -2};
  p[158] = {-25, -h, -2};
  p[153] = {-25, h, -2};
  // Left eye: 362 inner, 263 outer.
  p[362] = {15, 0, 0};
  p[263] = {45, 0, 0};
  p[385] = {25, -h, -2};
  p[380] = {25, h, -2};
  p[387] = {35, -h, -2};
  p[373] = {35, h, -2};
  // Mouth.
  p[61] = {-25, 70, 0};
  p[291] = {25, 70, 0};
  p[13] = {0, 70 - lip_gap / 2, -5};
  p[14] = {0, 70 + lip_gap / 2, -5};
  p[1] = {0, 35, -30};  // nose tip
  return p;
}

// The face turned by R = Ry(yaw) Rx(pitch) Rz(roll) (signs as documented in
// face_geometry.h), scaled by `scale` px per unit and placed at (cx, cy): an
// orthographic view with depth kept on the x scale, as the mesh reports it.
FaceLandmarks Pose(const std::array<V, kFaceMeshLandmarkCount>& face, double yaw, double pitch,
                   double roll, double scale = 2.0, double cx = 400, double cy = 300) {
  const double a = yaw * kPi / 180, b = pitch * kPi / 180, c = roll * kPi / 180;
  FaceLandmarks out;
  out.confidence = 0.99f;
  for (int i = 0; i < kFaceMeshLandmarkCount; ++i) {
    V p = face[i];
    p = {std::cos(c) * p.x - std::sin(c) * p.y, std::sin(c) * p.x + std::cos(c) * p.y, p.z};  // Rz
    p = {p.x, std::cos(b) * p.y - std::sin(b) * p.z, std::sin(b) * p.y + std::cos(b) * p.z};  // Rx
    p = {std::cos(a) * p.x - std::sin(a) * p.z, p.y, std::sin(a) * p.x + std::cos(a) * p.z};  // Ry
    out.points[i] =
        Landmark3{static_cast<float>(cx + scale * p.x), static_cast<float>(cy + scale * p.y),
                  static_cast<float>(scale * p.z)};
  }
  return out;
}

const FaceGeometryOptions kOptions;

TEST(FaceGeometryTest, DefaultOptionsAreValid) {
  EXPECT_THAT(ValidateFaceGeometryOptions(kOptions), IsOk());
  FaceGeometryOptions options;
  options.closed_ear = 0.3f;
  EXPECT_THAT(ValidateFaceGeometryOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("closed_ear")))
      << "closed must be below open";
  options = FaceGeometryOptions{};
  options.neutral_pitch_degrees = std::numeric_limits<float>::infinity();
  EXPECT_THAT(ValidateFaceGeometryOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("neutral_pitch_degrees")));
}

TEST(FaceGeometryTest, OpenEyesMeasureTheirAspectRatio) {
  const FaceLandmarks face = Pose(SyntheticFace(9, 0), 0, 0, 0);
  EXPECT_NEAR(*EyeAspectRatio(face, Eye::kLeft, kOptions), 0.30f, 1e-5) << "(9 + 9) / (2 x 30)";
  EXPECT_NEAR(*EyeAspectRatio(face, Eye::kRight, kOptions), 0.30f, 1e-5);
  const FaceGeometry geometry = MeasureFaceGeometry(face, kOptions);
  EXPECT_FLOAT_EQ(*geometry.left_eye_openness, 1.0f) << "EAR 0.30 is fully open";
  EXPECT_FLOAT_EQ(*geometry.right_eye_openness, 1.0f);
}

TEST(FaceGeometryTest, ClosedEyesReadClosed) {
  const FaceGeometry geometry = MeasureFaceGeometry(Pose(SyntheticFace(1.5, 0), 0, 0, 0), kOptions);
  EXPECT_NEAR(*geometry.left_eye_aspect_ratio, 0.05f, 1e-5);
  EXPECT_FLOAT_EQ(*geometry.left_eye_openness, 0.0f) << "EAR 0.05 < closed_ear 0.10";
  EXPECT_FLOAT_EQ(*geometry.right_eye_openness, 0.0f);
  const FaceGeometry half = MeasureFaceGeometry(Pose(SyntheticFace(6, 0), 0, 0, 0), kOptions);
  EXPECT_NEAR(*half.left_eye_openness, 0.5f, 1e-4) << "EAR 0.20: halfway from 0.10 to 0.30";
}

TEST(FaceGeometryTest, EyeAspectRatioIgnoresScaleAndInPlaneRotation) {
  for (double scale : {0.3, 1.0, 7.0}) {
    for (double roll : {-40.0, 0.0, 25.0}) {
      const FaceLandmarks face = Pose(SyntheticFace(6, 0), 0, 0, roll, scale, 50, 900);
      EXPECT_NEAR(*EyeAspectRatio(face, Eye::kLeft, kOptions), 0.2f, 1e-4)
          << "scale " << scale << " roll " << roll;
    }
  }
}

TEST(FaceGeometryTest, MouthOpenness) {
  EXPECT_NEAR(*MouthOpenness(Pose(SyntheticFace(9, 0), 0, 0, 0), kOptions), 0.0f, 1e-6)
      << "lips together";
  EXPECT_NEAR(*MouthOpenness(Pose(SyntheticFace(9, 30), 0, 0, 0), kOptions), 0.6f, 1e-5)
      << "gap 30 over width 50: a yawn";
  EXPECT_NEAR(*MouthOpenness(Pose(SyntheticFace(9, 10), 0, 0, 33, 5.0), kOptions), 0.2f, 1e-5)
      << "scale and roll do not matter";
}

TEST(FaceGeometryTest, FrontalFaceHasZeroPose) {
  const auto pose = EstimateHeadPose(Pose(SyntheticFace(9, 0), 0, 0, 0), kOptions);
  ASSERT_TRUE(pose.has_value());
  EXPECT_NEAR(pose->yaw_degrees, 0.0f, 0.01f);
  EXPECT_NEAR(pose->pitch_degrees, 0.0f, 0.01f);
  EXPECT_NEAR(pose->roll_degrees, 0.0f, 0.01f);
}

TEST(FaceGeometryTest, RecoversKnownRotations) {
  struct Case {
    double yaw, pitch, roll;
  };
  for (const Case& c : {Case{30, 0, 0}, Case{-45, 0, 0}, Case{0, 20, 0}, Case{0, -15, 0},
                        Case{0, 0, 15}, Case{0, 0, -30}, Case{25, -10, 8}, Case{-20, 25, -12}}) {
    const auto pose =
        EstimateHeadPose(Pose(SyntheticFace(9, 10), c.yaw, c.pitch, c.roll), kOptions);
    ASSERT_TRUE(pose.has_value()) << c.yaw << "/" << c.pitch << "/" << c.roll;
    EXPECT_NEAR(pose->yaw_degrees, c.yaw, 1.0)
        << "yaw of " << c.yaw << "/" << c.pitch << "/" << c.roll;
    EXPECT_NEAR(pose->pitch_degrees, c.pitch, 1.0)
        << "pitch of " << c.yaw << "/" << c.pitch << "/" << c.roll;
    EXPECT_NEAR(pose->roll_degrees, c.roll, 1.0)
        << "roll of " << c.yaw << "/" << c.pitch << "/" << c.roll;
  }
}

TEST(FaceGeometryTest, YawSignFollowsTheNose) {
  const FaceLandmarks face = Pose(SyntheticFace(9, 0), 30, 0, 0);
  EXPECT_GT(face.points[1].x, 400.0f) << "the nose tip moved to image right";
  EXPECT_GT(EstimateHeadPose(face, kOptions)->yaw_degrees, 0.0f) << "documented: > 0";
}

TEST(FaceGeometryTest, NeutralPitchIsSubtracted) {
  FaceGeometryOptions options;
  options.neutral_pitch_degrees = 7.0f;
  const auto pose = EstimateHeadPose(Pose(SyntheticFace(9, 0), 0, 7, 0), options);
  EXPECT_NEAR(pose->pitch_degrees, 0.0f, 0.01f) << "a face 7 degrees down reads level";
}

TEST(FaceGeometryTest, HostileLandmarksGiveNoMeasureNotACrash) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  FaceLandmarks face = Pose(SyntheticFace(9, 10), 0, 0, 0);
  face.points[385].y = nan;  // a left upper lid point
  face.points[291].x = inf;  // the left mouth corner
  const FaceGeometry geometry = MeasureFaceGeometry(face, kOptions);
  EXPECT_FALSE(geometry.left_eye_aspect_ratio.has_value()) << "NaN lid";
  EXPECT_FALSE(geometry.left_eye_openness.has_value());
  EXPECT_TRUE(geometry.right_eye_aspect_ratio.has_value()) << "the other eye is fine";
  EXPECT_FALSE(geometry.mouth_openness.has_value()) << "inf mouth corner";
  EXPECT_FALSE(geometry.head_pose.has_value()) << "the mouth centre is needed";

  const FaceGeometry zero = MeasureFaceGeometry(FaceLandmarks{}, kOptions);
  EXPECT_FALSE(zero.left_eye_aspect_ratio.has_value()) << "all landmarks at the origin";
  EXPECT_FALSE(zero.right_eye_aspect_ratio.has_value());
  EXPECT_FALSE(zero.mouth_openness.has_value());
  EXPECT_FALSE(zero.head_pose.has_value());

  FaceLandmarks huge = Pose(SyntheticFace(9, 10), 0, 0, 0);
  for (Landmark3& p : huge.points) p.x *= 1e35f;  // spans near the float limit (x up to 5e37)
  const FaceGeometry big = MeasureFaceGeometry(huge, kOptions);
  ASSERT_TRUE(big.head_pose.has_value()) << "doubles inside: 1e37 px spans do not overflow";
  EXPECT_TRUE(std::isfinite(big.head_pose->yaw_degrees));
  ASSERT_TRUE(big.left_eye_aspect_ratio.has_value());
  EXPECT_NEAR(*big.left_eye_aspect_ratio, 0.0f, 1e-6) << "a face stretched flat across x";

  FaceLandmarks wide = Pose(SyntheticFace(9, 10), 0, 0, 0);
  wide.points[kUpperInnerLip].y = -3e38f;
  wide.points[kLowerInnerLip].y = 3e38f;
  wide.points[kRightMouthCorner].x = 400;
  wide.points[kLeftMouthCorner].x = 401;  // 6e38 / 1 px: beyond float's range
  EXPECT_FALSE(MouthOpenness(wide, kOptions).has_value()) << "not representable as a float";

  EXPECT_FLOAT_EQ(EyeOpennessFromEar(nan, kOptions), 0.0f);
  EXPECT_FLOAT_EQ(EyeOpennessFromEar(5.0f, kOptions), 1.0f) << "clamped";
}

}  // namespace
}  // namespace affect::analysis

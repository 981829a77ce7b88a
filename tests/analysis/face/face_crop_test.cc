#include "server/analysis/face/face_crop.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgproc.hpp"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::FaceCropPolicy Policy(float margin, bool square, bool align,
                          v1::FaceCropPolicy::BoxSource source =
                              v1::FaceCropPolicy::BOX_SOURCE_DETECTOR) {
  v1::FaceCropPolicy policy;
  policy.set_margin(margin);
  policy.set_square(square);
  policy.set_align_eyes(align);
  policy.set_box_source(source);
  return policy;
}

// A face tilted by atan(20 / 40) ~ 26.6 degrees: the person's right eye (on
// the image's left) is higher than the left eye.
FaceDetection TiltedFace() {
  FaceDetection face;
  face.box = Box{50, 50, 100, 100};
  face.score = 0.9f;
  face.keypoints.resize(kBlazeFaceKeypoints);
  face.keypoints[static_cast<size_t>(FaceKeypoint::kRightEye)] = Point{80, 90};
  face.keypoints[static_cast<size_t>(FaceKeypoint::kLeftEye)] = Point{120, 110};
  face.keypoints[static_cast<size_t>(FaceKeypoint::kNoseTip)] = Point{95, 115};
  face.keypoints[static_cast<size_t>(FaceKeypoint::kMouthCenter)] = Point{88, 132};
  face.keypoints[static_cast<size_t>(FaceKeypoint::kRightEarTragion)] = Point{55, 80};
  face.keypoints[static_cast<size_t>(FaceKeypoint::kLeftEarTragion)] = Point{140, 125};
  return face;
}

// White image with two black dots where TiltedFace's eyes are.
cv::Mat EyesImage() {
  cv::Mat image(200, 200, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::circle(image, cv::Point(80, 90), 4, cv::Scalar(0, 0, 0), cv::FILLED);
  cv::circle(image, cv::Point(120, 110), 4, cv::Scalar(0, 0, 0), cv::FILLED);
  return image;
}

// Centroid of dark pixels in columns [x0, x1) of a crop.
cv::Point2f DarkCentroid(const cv::Mat& crop, int x0, int x1) {
  double sx = 0, sy = 0, n = 0;
  for (int y = 0; y < crop.rows; ++y) {
    for (int x = x0; x < x1; ++x) {
      const cv::Vec3b p = crop.at<cv::Vec3b>(y, x);
      const double dark = 255.0 - p[0];
      if (dark < 64) continue;
      sx += dark * x;
      sy += dark * y;
      n += dark;
    }
  }
  return n > 0 ? cv::Point2f(static_cast<float>(sx / n), static_cast<float>(sy / n))
               : cv::Point2f(-1, -1);
}

v1::TensorSpec EmotionSpec() {
  v1::TensorSpec spec;
  spec.set_name("input_1");
  spec.add_dims(64);
  spec.add_dims(64);
  spec.add_dims(1);
  spec.set_layout(v1::TENSOR_LAYOUT_NHWC);
  spec.mutable_normalization()->set_color_format(v1::COLOR_FORMAT_GRAY);
  spec.mutable_normalization()->set_scale(1.0f / 127.5f);
  spec.mutable_normalization()->set_offset(-1.0f);
  return spec;
}

TEST(FaceCropRegionTest, AddsMarginOnEachSide) {
  absl::StatusOr<FaceCropRegion> region =
      FaceCropRegionFor(TiltedFace(), Policy(0.1f, false, false));
  ASSERT_THAT(region, IsOk()) << "detector box";
  EXPECT_FLOAT_EQ(region->width, 120.0f) << "100 + 2 * 10%";
  EXPECT_FLOAT_EQ(region->center.x, 100.0f) << "same centre";
  EXPECT_FLOAT_EQ(region->angle, 0.0f) << "not aligned";
}

TEST(FaceCropRegionTest, SquareGrowsTheShorterSide) {
  FaceDetection face = TiltedFace();
  face.box = Box{0, 0, 60, 100};
  absl::StatusOr<FaceCropRegion> region = FaceCropRegionFor(face, Policy(0.0f, true, false));
  ASSERT_THAT(region, IsOk()) << "detector box";
  EXPECT_FLOAT_EQ(region->width, 100.0f) << "width grown to the height";
  EXPECT_FLOAT_EQ(region->height, 100.0f) << "height kept";
}

TEST(FaceCropRegionTest, BuildsABoxFromKeypoints) {
  absl::StatusOr<FaceCropRegion> region = FaceCropRegionFor(
      TiltedFace(), Policy(0.0f, false, true, v1::FaceCropPolicy::BOX_SOURCE_KEYPOINTS));
  ASSERT_THAT(region, IsOk()) << "keypoints present";
  const float eye_distance = std::hypot(40.0f, 20.0f);
  EXPECT_NEAR(region->width, kKeypointBoxScale * eye_distance, 1e-3f)
      << "eye distance is the larger span here";
  EXPECT_NEAR(region->angle, std::atan2(20.0f, 40.0f), 1e-5f) << "eye-line angle";
}

TEST(FaceCropRegionTest, AlignmentNeedsKeypoints) {
  FaceDetection face = TiltedFace();
  face.keypoints.clear();
  EXPECT_THAT(FaceCropRegionFor(face, Policy(0.0f, true, true)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("align_eyes")))
      << "no keypoints to align by";
}

TEST(FaceCropTest, AlignedCropHasLevelEyes) {
  absl::StatusOr<FaceCropRegion> region = FaceCropRegionFor(TiltedFace(), Policy(0.0f, true, true));
  ASSERT_THAT(region, IsOk()) << "aligned region";
  absl::StatusOr<cv::Mat> crop = CropFace(EyesImage(), *region, 64, 64, v1::RESIZE_METHOD_AREA);
  ASSERT_THAT(crop, IsOk()) << "crop";
  const cv::Point2f right_eye = DarkCentroid(*crop, 0, 32);
  const cv::Point2f left_eye = DarkCentroid(*crop, 32, 64);
  ASSERT_GE(right_eye.x, 0.0f) << "right eye visible in the left half";
  ASSERT_GE(left_eye.x, 0.0f) << "left eye visible in the right half";
  EXPECT_NEAR(right_eye.y, left_eye.y, 1.0f) << "eyes level after alignment";
}

TEST(FaceCropTest, UnalignedCropKeepsTheTilt) {
  absl::StatusOr<FaceCropRegion> region =
      FaceCropRegionFor(TiltedFace(), Policy(0.0f, true, false));
  ASSERT_THAT(region, IsOk()) << "plain region";
  absl::StatusOr<cv::Mat> crop = CropFace(EyesImage(), *region, 64, 64, v1::RESIZE_METHOD_AREA);
  ASSERT_THAT(crop, IsOk()) << "crop";
  const float dy = DarkCentroid(*crop, 32, 64).y - DarkCentroid(*crop, 0, 32).y;
  EXPECT_NEAR(dy, 20.0f * 64.0f / 100.0f, 1.5f) << "20 px of tilt at 0.64 scale";
}

TEST(FaceCropTest, OutsideTheImageIsBlack) {
  const cv::Mat white(100, 100, CV_8UC3, cv::Scalar(255, 255, 255));
  FaceCropRegion region;
  region.center = Point{0, 50};  // half the crop left of the image
  region.width = 100;
  region.height = 100;
  absl::StatusOr<cv::Mat> crop = CropFace(white, region, 10, 10, v1::RESIZE_METHOD_AREA);
  ASSERT_THAT(crop, IsOk()) << "crop";
  EXPECT_EQ(crop->at<cv::Vec3b>(5, 1), cv::Vec3b(0, 0, 0)) << "outside: black";
  EXPECT_EQ(crop->at<cv::Vec3b>(5, 8), cv::Vec3b(255, 255, 255)) << "inside: white";
}

TEST(MakeFaceInputTest, ProducesTheExpressionModelsInput) {
  const cv::Mat gray(200, 200, CV_8UC3, cv::Scalar(128, 128, 128));
  absl::StatusOr<Tensor> input =
      MakeFaceInput(gray, TiltedFace(), Policy(0.0f, true, false), EmotionSpec());
  ASSERT_THAT(input, IsOk()) << "valid crop";
  EXPECT_THAT(input->shape(), ElementsAre(64, 64, 1)) << "spec dims, no batch";
  const float expected = (0.2989f + 0.5870f + 0.1140f) * 128.0f / 127.5f - 1.0f;
  EXPECT_NEAR(input->values()[64 * 32 + 32], expected, 1e-4f) << "gray / 127.5 - 1";
}

TEST(MakeFaceInputTest, FollowsAnRgbSpecWithMeans) {
  v1::TensorSpec spec;
  spec.add_dims(112);
  spec.add_dims(112);
  spec.add_dims(3);
  spec.mutable_normalization()->set_color_format(v1::COLOR_FORMAT_RGB);
  spec.mutable_normalization()->add_mean(122.782f);
  spec.mutable_normalization()->add_mean(117.001f);
  spec.mutable_normalization()->add_mean(104.298f);
  spec.mutable_normalization()->set_scale(1.0f / 255.0f);
  const cv::Mat image(200, 200, CV_8UC3, cv::Scalar(200, 100, 50));
  absl::StatusOr<Tensor> input = MakeFaceInput(image, TiltedFace(), Policy(0, true, true), spec);
  ASSERT_THAT(input, IsOk()) << "valid crop";
  EXPECT_THAT(input->shape(), ElementsAre(112, 112, 3)) << "face-api input";
  const float* centre = input->data() + (56 * 112 + 56) * 3;
  EXPECT_NEAR(centre[0], (200 - 122.782f) / 255.0f, 1e-4f) << "red";
  EXPECT_NEAR(centre[2], (50 - 104.298f) / 255.0f, 1e-4f) << "blue";
}

TEST(MakeFaceInputTest, RejectsAnEmptyImage) {
  EXPECT_THAT(MakeFaceInput(cv::Mat(), TiltedFace(), Policy(0, true, false), EmotionSpec()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")))
      << "empty Mat";
}

}  // namespace
}  // namespace affect::analysis

#include "server/analysis/scene/lighting.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;

v1::Lighting Measure(const cv::Mat& image) {
  absl::StatusOr<v1::Lighting> lighting = MeasureLighting(image);
  EXPECT_THAT(lighting, IsOk()) << "valid image";
  return lighting.ok() ? *lighting : v1::Lighting();
}

cv::Mat Constant(int value) { return cv::Mat(20, 30, CV_8UC3, cv::Scalar(value, value, value)); }

TEST(LightingTest, ConstantImagesFallIntoTheDocumentedLevels) {
  EXPECT_EQ(Measure(Constant(10)).level(), v1::LIGHTING_LEVEL_DARK) << "0.04";
  EXPECT_EQ(Measure(Constant(50)).level(), v1::LIGHTING_LEVEL_DIM) << "0.20";
  EXPECT_EQ(Measure(Constant(128)).level(), v1::LIGHTING_LEVEL_NORMAL) << "0.50";
  EXPECT_EQ(Measure(Constant(230)).level(), v1::LIGHTING_LEVEL_BRIGHT) << "0.90";
}

TEST(LightingTest, BrightnessIsMeanLumaAndContrastItsSpread) {
  const v1::Lighting flat = Measure(Constant(51));
  EXPECT_NEAR(flat.brightness(), 0.2f, 1e-5f) << "51 / 255";
  EXPECT_NEAR(flat.contrast(), 0.0f, 1e-6f) << "no spread";
  cv::Mat half = Constant(0);
  half(cv::Rect(0, 0, 15, 20)).setTo(cv::Scalar(255, 255, 255));
  const v1::Lighting split = Measure(half);
  EXPECT_NEAR(split.brightness(), 0.5f, 1e-5f) << "half white";
  EXPECT_NEAR(split.contrast(), 0.5f, 1e-5f) << "RMS contrast of a 0/1 split";
}

TEST(LightingTest, UsesRec601Weights) {
  const cv::Mat green(4, 4, CV_8UC3, cv::Scalar(0, 255, 0));
  EXPECT_NEAR(Measure(green).brightness(), 0.587f, 1e-5f) << "G weight";
}

TEST(LightingTest, ThresholdsAreHalfOpen) {
  EXPECT_EQ(LightingLevelFor(0.12f), v1::LIGHTING_LEVEL_DIM) << "0.12 is no longer dark";
  EXPECT_EQ(LightingLevelFor(0.70f), v1::LIGHTING_LEVEL_BRIGHT) << "0.70 is bright";
}

TEST(LightingTest, RejectsEmptyImages) {
  EXPECT_THAT(MeasureLighting(cv::Mat()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")))
      << "empty Mat";
}

}  // namespace
}  // namespace affect::analysis

#include "server/analysis/image_input.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::TensorSpec Spec(std::vector<int64_t> dims, v1::ColorFormat format, float scale, float offset,
                    std::vector<float> mean = {},
                    v1::TensorLayout layout = v1::TENSOR_LAYOUT_NHWC) {
  v1::TensorSpec spec;
  spec.set_name("input");
  for (int64_t d : dims) spec.add_dims(d);
  spec.set_layout(layout);
  spec.mutable_normalization()->set_color_format(format);
  spec.mutable_normalization()->set_scale(scale);
  spec.mutable_normalization()->set_offset(offset);
  for (float m : mean) spec.mutable_normalization()->add_mean(m);
  return spec;
}

TEST(ImageInputShapeTest, ReadsNhwcAndNchw) {
  absl::StatusOr<ImageInputShape> nhwc =
      ImageInputShapeOf(Spec({64, 32, 3}, v1::COLOR_FORMAT_RGB, 1, 0));
  ASSERT_THAT(nhwc, IsOk()) << "NHWC spec";
  EXPECT_EQ(nhwc->height, 64) << "H first";
  EXPECT_EQ(nhwc->width, 32) << "then W";
  absl::StatusOr<ImageInputShape> nchw = ImageInputShapeOf(
      Spec({3, 64, 32}, v1::COLOR_FORMAT_RGB, 1, 0, {}, v1::TENSOR_LAYOUT_NCHW));
  ASSERT_THAT(nchw, IsOk()) << "NCHW spec";
  EXPECT_EQ(nchw->channels, 3) << "C first";
  EXPECT_EQ(nchw->width, 32) << "W last";
}

TEST(ImageInputShapeTest, RejectsChannelsThatDoNotFitTheColourFormat) {
  EXPECT_THAT(ImageInputShapeOf(Spec({64, 64, 3}, v1::COLOR_FORMAT_GRAY, 1, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("3 channels")))
      << "GRAY needs 1 channel";
}

TEST(ImageInputShapeTest, RejectsBadDimsMeanAndScale) {
  EXPECT_THAT(ImageInputShapeOf(Spec({1, 64, 64, 3}, v1::COLOR_FORMAT_RGB, 1, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("4 dims")))
      << "batch dimension included by mistake";
  EXPECT_THAT(ImageInputShapeOf(Spec({64, 64, 3}, v1::COLOR_FORMAT_RGB, 1, 0, {1, 2})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mean")))
      << "two means for three channels";
  EXPECT_THAT(ImageInputShapeOf(Spec({64, 64, 3}, v1::COLOR_FORMAT_RGB, 0, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scale")))
      << "scale 0 erases the input";
}

TEST(PixelsToTensorTest, NormalisesRgbPerChannel) {
  const cv::Mat pixel(1, 1, CV_8UC3, cv::Scalar(10, 20, 30));  // R, G, B
  absl::StatusOr<Tensor> t = PixelsToTensor(
      pixel, Spec({1, 1, 3}, v1::COLOR_FORMAT_RGB, 0.5f, 1.0f, {0.0f, 10.0f, 20.0f}));
  ASSERT_THAT(t, IsOk()) << "valid input";
  EXPECT_THAT(t->values(), ElementsAre(6.0f, 6.0f, 6.0f)) << "(p - mean) * 0.5 + 1";
}

TEST(PixelsToTensorTest, BgrSwapsChannels) {
  const cv::Mat pixel(1, 1, CV_8UC3, cv::Scalar(10, 20, 30));
  absl::StatusOr<Tensor> t = PixelsToTensor(pixel, Spec({1, 1, 3}, v1::COLOR_FORMAT_BGR, 1, 0));
  ASSERT_THAT(t, IsOk()) << "valid input";
  EXPECT_THAT(t->values(), ElementsAre(30.0f, 20.0f, 10.0f)) << "B, G, R";
}

TEST(PixelsToTensorTest, GrayUsesTheLumaFormula) {
  const cv::Mat pixel(1, 1, CV_8UC3, cv::Scalar(100, 50, 200));
  absl::StatusOr<Tensor> t =
      PixelsToTensor(pixel, Spec({1, 1, 1}, v1::COLOR_FORMAT_GRAY, 1.0f / 127.5f, -1.0f));
  ASSERT_THAT(t, IsOk()) << "valid input";
  const float gray = 0.2989f * 100 + 0.5870f * 50 + 0.1140f * 200;
  EXPECT_NEAR(t->values()[0], gray / 127.5f - 1.0f, 1e-5f) << "the emotion model's input";
}

TEST(PixelsToTensorTest, NchwPutsChannelsInPlanes) {
  cv::Mat pixels(1, 2, CV_8UC3);
  pixels.at<cv::Vec3b>(0, 0) = cv::Vec3b(1, 2, 3);
  pixels.at<cv::Vec3b>(0, 1) = cv::Vec3b(4, 5, 6);
  absl::StatusOr<Tensor> t = PixelsToTensor(
      pixels, Spec({3, 1, 2}, v1::COLOR_FORMAT_RGB, 1, 0, {}, v1::TENSOR_LAYOUT_NCHW));
  ASSERT_THAT(t, IsOk()) << "valid input";
  EXPECT_THAT(t->values(), ElementsAre(1, 4, 2, 5, 3, 6)) << "R plane, G plane, B plane";
  EXPECT_THAT(t->shape(), ElementsAre(3, 1, 2)) << "spec dims";
}

TEST(PixelsToTensorTest, RejectsPixelsOfTheWrongSize) {
  const cv::Mat pixels(4, 4, CV_8UC3, cv::Scalar(0, 0, 0));
  EXPECT_THAT(PixelsToTensor(pixels, Spec({8, 8, 3}, v1::COLOR_FORMAT_RGB, 1, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("4x4")))
      << "pixels must already have the input size";
}

TEST(MakeImageTensorTest, RejectsEmptyAndNonRgbImages) {
  const v1::TensorSpec spec = Spec({8, 8, 3}, v1::COLOR_FORMAT_RGB, 1, 0);
  EXPECT_THAT(MakeImageTensor(cv::Mat(), spec, FitMode::kStretch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")))
      << "empty Mat";
  EXPECT_THAT(MakeImageTensor(cv::Mat(8, 8, CV_8UC1, cv::Scalar(0)), spec, FitMode::kStretch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("CV_8UC3")))
      << "grey Mat";
}

TEST(MakeImageTensorTest, LetterboxPadsWithNormalisedBlack) {
  // 40x20 white image into 8x8: content 8x4 at rows 2..5.
  const cv::Mat white(20, 40, CV_8UC3, cv::Scalar(255, 255, 255));
  absl::StatusOr<ImageTensor> input = MakeImageTensor(
      white, Spec({8, 8, 3}, v1::COLOR_FORMAT_RGB, 1.0f / 127.5f, -1.0f), FitMode::kLetterbox);
  ASSERT_THAT(input, IsOk()) << "valid input";
  EXPECT_FLOAT_EQ(input->transform.offset_y, 2.0f) << "vertical padding split evenly";
  EXPECT_FLOAT_EQ(input->transform.scale_x, 0.2f) << "8 / 40";
  const auto value = [&](int y, int x) { return input->tensor.values()[(y * 8 + x) * 3]; };
  EXPECT_NEAR(value(0, 0), -1.0f, 1e-6f) << "padding is black";
  EXPECT_NEAR(value(4, 4), 1.0f, 1e-6f) << "content is white";
}

TEST(InputTransformTest, LetterboxMapsModelPointsBackToTheImage) {
  const InputTransform t = MakeInputTransform(1920, 1080, 256, 256, FitMode::kLetterbox);
  EXPECT_FLOAT_EQ(t.offset_x, 0.0f) << "wide image: no horizontal padding";
  EXPECT_FLOAT_EQ(t.offset_y, 56.0f) << "(256 - 144) / 2";
  const Point p = t.ToImage(Point{128.0f, 128.0f});
  EXPECT_NEAR(p.x, 960.0f, 1e-3f) << "centre x";
  EXPECT_NEAR(p.y, 540.0f, 1e-3f) << "centre y";
  const Point back = t.ToModel(p);
  EXPECT_NEAR(back.y, 128.0f, 1e-3f) << "round trip";
}

TEST(InputTransformTest, StretchScalesEachAxis) {
  const InputTransform t = MakeInputTransform(1000, 500, 500, 500, FitMode::kStretch);
  const Box b = t.ToImage(Box{100, 100, 50, 50});
  EXPECT_FLOAT_EQ(b.x, 200.0f) << "x scaled by 2";
  EXPECT_FLOAT_EQ(b.y, 100.0f) << "y unchanged";
  EXPECT_FLOAT_EQ(b.width, 100.0f) << "width scaled by 2";
}

TEST(FitModeTest, ParsesNamesAndRejectsOthers) {
  EXPECT_THAT(ParseFitMode("Letterbox"), IsOk()) << "case-insensitive";
  EXPECT_THAT(ParseFitMode("crop"), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("stretch or letterbox")))
      << "unknown mode";
}

}  // namespace
}  // namespace affect::analysis

// --blur_faces (face_blur.h): the face regions lose their detail, the rest
// of the image is untouched.
#include "server/analysis/face_blur.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgproc.hpp"
#include "server/analysis/annotate.h"

namespace affect::analysis {
namespace {

// Fine detail: a 2-pixel checkerboard (the most detail an image can hold).
cv::Mat Detailed(int width, int height) {
  cv::Mat rgb(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const uchar v = ((x / 2 + y / 2) % 2 == 0) ? 30 : 220;
      rgb.at<cv::Vec3b>(y, x) = cv::Vec3b(v, static_cast<uchar>(255 - v), v);
    }
  }
  return rgb;
}

// Mean absolute Laplacian: how much fine detail a region holds.
double Detail(const cv::Mat& rgb, const cv::Rect& rect) {
  cv::Mat gray;
  cv::cvtColor(rgb(rect), gray, cv::COLOR_RGB2GRAY);
  cv::Mat laplacian;
  cv::Laplacian(gray, laplacian, CV_32F);
  return cv::mean(cv::abs(laplacian))[0];
}

v1::ImageAnalysis FaceAt(float x, float y, float size, int width, int height) {
  v1::ImageAnalysis analysis;
  analysis.mutable_size()->set_width(width);
  analysis.mutable_size()->set_height(height);
  v1::Face* face = analysis.add_faces();
  face->mutable_box()->set_x(x);
  face->mutable_box()->set_y(y);
  face->mutable_box()->set_width(size);
  face->mutable_box()->set_height(size);
  return analysis;
}

TEST(FaceBlurTest, FaceLosesItsDetailAndTheRestIsUntouched) {
  const cv::Mat original = Detailed(400, 300);
  cv::Mat blurred = original.clone();
  ASSERT_TRUE(BlurFaces(FaceAt(100, 80, 80, 400, 300), &blurred).ok());
  const cv::Rect face(100, 80, 80, 80);
  EXPECT_LT(Detail(blurred, face), 0.05 * Detail(original, face))
      << "less than 5% of the face's fine detail survives";
  const cv::Rect far_away(300, 200, 80, 80);
  EXPECT_EQ(cv::norm(original(far_away), blurred(far_away), cv::NORM_INF), 0.0)
      << "pixels away from the face are unchanged";
}

TEST(FaceBlurTest, BoxesAreScaledToTheImageAndClipped) {
  // Analysed at 200x150, drawn on 400x300; a face hanging over the edge.
  const cv::Mat original = Detailed(400, 300);
  cv::Mat blurred = original.clone();
  ASSERT_TRUE(BlurFaces(FaceAt(160, 110, 60, 200, 150), &blurred).ok());
  const cv::Rect face_in_image(320, 220, 80, 80);
  EXPECT_LT(Detail(blurred, face_in_image), 0.05 * Detail(original, face_in_image));
}

TEST(FaceBlurTest, AnnotateBlursOnlyWhenAsked) {
  const cv::Mat original = Detailed(400, 300);
  const v1::ImageAnalysis analysis = FaceAt(100, 80, 80, 400, 300);
  AnnotateOptions options;
  options.faces = false;  // nothing drawn: only the blur changes pixels
  options.scene_tag = false;
  cv::Mat plain = original.clone();
  ASSERT_TRUE(AnnotateImage(analysis, options, &plain).ok());
  EXPECT_EQ(cv::norm(original, plain, cv::NORM_INF), 0.0) << "no blur by default";
  options.blur_faces = true;
  cv::Mat blurred = original.clone();
  ASSERT_TRUE(AnnotateImage(analysis, options, &blurred).ok());
  const cv::Rect face(100, 80, 80, 80);
  EXPECT_LT(Detail(blurred, face), 0.05 * Detail(original, face));
}

TEST(FaceBlurTest, RefusesANonRgbImage) {
  cv::Mat gray(10, 10, CV_8UC1, cv::Scalar(0));
  EXPECT_EQ(BlurFaces({}, &gray).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BlurFaces({}, nullptr).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace affect::analysis

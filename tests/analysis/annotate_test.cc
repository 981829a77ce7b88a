#include "server/analysis/annotate.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;

v1::ImageAnalysis OneFace() {
  v1::ImageAnalysis analysis;
  analysis.mutable_size()->set_width(400);
  analysis.mutable_size()->set_height(300);
  v1::Face* face = analysis.add_faces();
  face->mutable_box()->set_x(100);
  face->mutable_box()->set_y(80);
  face->mutable_box()->set_width(60);
  face->mutable_box()->set_height(60);
  face->set_track_id(7);
  v1::ExpressionResult* expression = face->mutable_expression();
  for (int e = 1; e <= 7; ++e) {
    v1::ExpressionScore* score = expression->add_scores();
    score->set_expression(static_cast<v1::Expression>(e));
    score->set_score(e == v1::EXPRESSION_HAPPY ? 1.0f : 0.0f);
  }
  expression->set_dominant(v1::EXPRESSION_HAPPY);
  expression->set_dominant_score(1.0f);
  return analysis;
}

int ChangedPixels(const cv::Mat& before, const cv::Mat& after, const cv::Rect& rect) {
  cv::Mat diff;
  cv::absdiff(before(rect), after(rect), diff);
  cv::Mat gray;
  cv::transform(diff, gray, cv::Matx13f(1, 1, 1));
  return cv::countNonZero(gray);
}

TEST(AnnotateTest, DrawsTheFaceBox) {
  const cv::Mat blank(300, 400, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::Mat image = blank.clone();
  ASSERT_THAT(AnnotateImage(OneFace(), AnnotateOptions{}, &image), IsOk()) << "valid image";
  EXPECT_GT(ChangedPixels(blank, image, cv::Rect(98, 78, 65, 65)), 100)
      << "box outline drawn on the face";
  EXPECT_EQ(image.at<cv::Vec3b>(110, 100), cv::Vec3b(250, 210, 40))
      << "left edge in the 'happy' colour";
}

TEST(AnnotateTest, DrawsExpressionBarsBesideTheFace) {
  const cv::Mat blank(300, 400, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::Mat image = blank.clone();
  ASSERT_THAT(AnnotateImage(OneFace(), AnnotateOptions{}, &image), IsOk()) << "valid image";
  cv::Mat happy;
  cv::inRange(image(cv::Rect(165, 80, 120, 100)), cv::Scalar(250, 210, 40),
              cv::Scalar(250, 210, 40), happy);
  EXPECT_GT(cv::countNonZero(happy), 50) << "a full 'happy' bar right of the box";
}

TEST(AnnotateTest, ScalesCoordinatesToAResizedImage) {
  const cv::Mat blank(150, 200, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::Mat image = blank.clone();
  ASSERT_THAT(AnnotateImage(OneFace(), AnnotateOptions{}, &image), IsOk()) << "half size";
  EXPECT_GT(ChangedPixels(blank, image, cv::Rect(49, 39, 33, 33)), 40)
      << "box drawn at half the coordinates";
}

TEST(AnnotateTest, DrawsTheSceneTag) {
  v1::ImageAnalysis analysis;
  v1::SceneCategoryScore* category = analysis.mutable_scene()->add_categories();
  category->set_category("living_room");
  category->set_score(0.8f);
  const cv::Mat blank(200, 400, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::Mat image = blank.clone();
  ASSERT_THAT(AnnotateImage(analysis, AnnotateOptions{}, &image), IsOk()) << "scene only";
  EXPECT_GT(ChangedPixels(blank, image, cv::Rect(0, 0, 200, 30)), 20) << "tag at the top left";
}

// A body with a shoulder line from (100, 100) to (200, 100) seen, and an
// elbow the model is unsure of.
v1::ImageAnalysis OneBody(float elbow_score) {
  v1::ImageAnalysis analysis;
  analysis.mutable_size()->set_width(400);
  analysis.mutable_size()->set_height(300);
  v1::PersonBody* body = analysis.add_bodies();
  for (int k = 0; k < 17; ++k) {
    v1::BodyKeypoint* keypoint = body->add_keypoints();
    keypoint->set_score(0.0f);
    keypoint->mutable_position()->set_x(150);
    keypoint->mutable_position()->set_y(250);
  }
  body->mutable_keypoints(5)->mutable_position()->set_x(200);  // left shoulder
  body->mutable_keypoints(5)->mutable_position()->set_y(100);
  body->mutable_keypoints(5)->set_score(0.9f);
  body->mutable_keypoints(6)->mutable_position()->set_x(100);  // right shoulder
  body->mutable_keypoints(6)->mutable_position()->set_y(100);
  body->mutable_keypoints(6)->set_score(0.9f);
  body->mutable_keypoints(7)->mutable_position()->set_x(200);  // left elbow
  body->mutable_keypoints(7)->mutable_position()->set_y(200);
  body->mutable_keypoints(7)->set_score(elbow_score);
  return analysis;
}

TEST(AnnotateTest, DrawsTheSkeletonBetweenSeenKeypointsOnly) {
  const cv::Mat blank(300, 400, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::Mat image = blank.clone();
  ASSERT_THAT(AnnotateImage(OneBody(0.1f), AnnotateOptions{}, &image), IsOk());
  EXPECT_GT(ChangedPixels(blank, image, cv::Rect(140, 97, 20, 7)), 20)
      << "the shoulder line is drawn";
  EXPECT_EQ(ChangedPixels(blank, image, cv::Rect(195, 140, 10, 20)), 0)
      << "no upper arm to an elbow scored below kSkeletonMinScore";
  cv::Mat seen = blank.clone();
  ASSERT_THAT(AnnotateImage(OneBody(0.9f), AnnotateOptions{}, &seen), IsOk());
  EXPECT_GT(ChangedPixels(blank, seen, cv::Rect(195, 140, 10, 20)), 20)
      << "the upper arm once the elbow is seen";
  AnnotateOptions off;
  off.skeletons = false;
  cv::Mat none = blank.clone();
  ASSERT_THAT(AnnotateImage(OneBody(0.9f), off, &none), IsOk());
  EXPECT_EQ(ChangedPixels(blank, none, cv::Rect(0, 0, 400, 300)), 0) << "switched off";
}

TEST(AnnotateTest, RejectsEmptyImages) {
  cv::Mat empty;
  EXPECT_THAT(AnnotateImage(OneFace(), AnnotateOptions{}, &empty),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")))
      << "empty Mat";
  EXPECT_THAT(AnnotateImage(OneFace(), AnnotateOptions{}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no image")))
      << "null";
}

}  // namespace
}  // namespace affect::analysis

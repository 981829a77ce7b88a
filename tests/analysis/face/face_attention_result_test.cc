#include "server/analysis/face/face_attention_result.h"

#include "gtest/gtest.h"

namespace affect::analysis {
namespace {

TEST(ToFaceAttentionTest, CarriesEveryMeasureAndLeavesUnmeasuredOnesAbsent) {
  FaceLandmarks landmarks;
  landmarks.confidence = 0.9f;
  v1::ModelRef model;
  model.set_name("facemesh");
  model.set_version(1);

  FaceGeometry geometry;
  geometry.left_eye_aspect_ratio = 0.3f;
  geometry.left_eye_openness = 1.0f;
  geometry.mouth_openness = 0.6f;
  geometry.head_pose = HeadPose{10.0f, -5.0f, 2.0f};
  const v1::FaceAttention attention = ToFaceAttention(landmarks, geometry, model);
  EXPECT_FLOAT_EQ(attention.mesh_confidence(), 0.9f);
  EXPECT_EQ(attention.model().name(), "facemesh");
  ASSERT_TRUE(attention.has_head_pose());
  EXPECT_FLOAT_EQ(attention.head_pose().yaw_degrees(), 10.0f);
  EXPECT_FLOAT_EQ(attention.head_pose().pitch_degrees(), -5.0f);
  EXPECT_FLOAT_EQ(attention.head_pose().roll_degrees(), 2.0f);
  ASSERT_TRUE(attention.has_left_eye_openness());
  EXPECT_FLOAT_EQ(attention.left_eye_openness(), 1.0f);
  EXPECT_FLOAT_EQ(attention.left_eye_aspect_ratio(), 0.3f);
  EXPECT_FALSE(attention.has_right_eye_openness()) << "a degenerate eye is not reported";
  EXPECT_FALSE(attention.has_right_eye_aspect_ratio());
  EXPECT_FLOAT_EQ(attention.mouth_openness(), 0.6f);

  const v1::FaceAttention nothing = ToFaceAttention(landmarks, FaceGeometry{}, model);
  EXPECT_FALSE(nothing.has_head_pose());
  EXPECT_FALSE(nothing.has_left_eye_openness());
  EXPECT_FALSE(nothing.has_mouth_openness());
}

}  // namespace
}  // namespace affect::analysis

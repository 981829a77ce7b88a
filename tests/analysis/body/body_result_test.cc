#include "server/analysis/body/body_result.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/analysis/body/body_fixtures.h"

namespace affect::analysis {
namespace {

using ::testing::SizeIs;
using body_test::PoseWithHeadAt;

v1::Face FaceAt(float x, float y, float side) {
  v1::Face face;
  face.mutable_box()->set_x(x);
  face.mutable_box()->set_y(y);
  face.mutable_box()->set_width(side);
  face.mutable_box()->set_height(side);
  return face;
}

google::protobuf::RepeatedPtrField<v1::Face> Faces(std::vector<v1::Face> list) {
  google::protobuf::RepeatedPtrField<v1::Face> faces;
  for (v1::Face& face : list) *faces.Add() = std::move(face);
  return faces;
}

TEST(ToPersonBodiesTest, FillsKeypointsAndLinksEachFaceOnceBestFirst) {
  const auto faces = Faces({FaceAt(200, 100, 60)});
  // Two poses on the same head: the better one gets the face.
  const std::vector<PersonPose> poses = {PoseWithHeadAt(230, 130, 0.4f),
                                         PoseWithHeadAt(231, 131, 0.7f)};
  v1::ModelRef model;
  model.set_name("movenet_multipose");
  model.set_version(1);
  const std::vector<v1::PersonBody> bodies = ToPersonBodies(poses, faces, 400, 200, model);
  ASSERT_THAT(bodies, SizeIs(2));
  EXPECT_EQ(bodies[0].face_index(), -1) << "the weaker pose loses the shared face";
  EXPECT_EQ(bodies[1].face_index(), 0);
  EXPECT_EQ(bodies[1].index(), 1) << "order kept";
  ASSERT_EQ(bodies[1].keypoints_size(), kBodyPartCount) << "all 17 keypoints";
  EXPECT_EQ(bodies[1].keypoints(0).name(), "nose");
  EXPECT_EQ(bodies[1].keypoints(16).name(), "right_ankle");
  EXPECT_FLOAT_EQ(bodies[1].keypoints(0).position().x(), 231.0f);
  EXPECT_FLOAT_EQ(bodies[1].keypoints(0).position_normalized().x(), 231.0f / 400.0f);
  EXPECT_FLOAT_EQ(bodies[1].keypoints(0).score(), 0.9f);
  EXPECT_FLOAT_EQ(bodies[1].box().y(), 101.0f);
  EXPECT_FLOAT_EQ(bodies[1].box().height(), 99.0f) << "clipped to the 200-pixel-high image";
  EXPECT_FLOAT_EQ(bodies[1].box_normalized().height(), 99.0f / 200.0f);
  EXPECT_EQ(bodies[1].model().name(), "movenet_multipose");
}

// Both wrists well above their shoulders: arms raised, and nothing else
// present (the head is upright over level shoulders, far from the wrists).
TEST(AddPostureCuesTest, ReportsTheCuesThatHoldStrongestFirst) {
  PersonPose pose;
  pose.at(BodyPart::kNose) = {200, 100, 0.9f};
  pose.at(BodyPart::kLeftEye) = {210, 90, 0.9f};
  pose.at(BodyPart::kRightEye) = {190, 90, 0.9f};
  pose.at(BodyPart::kLeftEar) = {220, 95, 0.9f};
  pose.at(BodyPart::kRightEar) = {180, 95, 0.9f};
  pose.at(BodyPart::kLeftShoulder) = {250, 180, 0.9f};
  pose.at(BodyPart::kRightShoulder) = {150, 180, 0.9f};
  pose.at(BodyPart::kLeftElbow) = {290, 120, 0.9f};
  pose.at(BodyPart::kRightElbow) = {110, 120, 0.9f};
  pose.at(BodyPart::kLeftWrist) = {300, 40, 0.9f};
  pose.at(BodyPart::kRightWrist) = {100, 40, 0.9f};
  pose.at(BodyPart::kLeftHip) = {235, 310, 0.9f};
  pose.at(BodyPart::kRightHip) = {165, 310, 0.9f};
  v1::PersonBody body;
  AddPostureCues(pose, PostureCueOptions{}, &body);
  ASSERT_GE(body.cues_size(), 1);
  EXPECT_EQ(body.cues(0).name(), "arms_raised");
  EXPECT_GE(body.cues(0).score(), 0.5f);
  ASSERT_THAT(body.cues(0).evidence(), SizeIs(1));
  for (int i = 1; i < body.cues_size(); ++i) {
    EXPECT_LE(body.cues(i).score(), body.cues(i - 1).score()) << "strongest first";
  }
  for (const v1::PostureCue& cue : body.cues()) {
    EXPECT_NE(cue.name(), "hand_near_face") << "the wrists are far above the head";
    EXPECT_NE(cue.name(), "arms_crossed");
  }

  v1::PersonBody unseen;
  AddPostureCues(PersonPose{}, PostureCueOptions{}, &unseen);
  EXPECT_EQ(unseen.cues_size(), 0) << "no keypoint seen, no cue";
}

}  // namespace
}  // namespace affect::analysis

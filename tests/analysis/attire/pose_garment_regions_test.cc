// Garment regions placed from the body pose (garment_regions.h), and the
// attire analysis using them.
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgproc.hpp"
#include "server/analysis/attire/attire_describer.h"
#include "server/analysis/attire/garment_regions.h"
#include "server/analysis/proto_conversions.h"
#include "server/analysis/body/pose_types.h"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const Box kFace{170, 50, 60, 60};

void Set(PersonPose& pose, BodyPart part, float x, float y, float score = 0.9f) {
  pose.at(part) = BodyKeypoint{x, y, score};
}

// Shoulders at y 130 (x 140 and 260), hips at y 330 (x 170 and 230), knees at
// y 480: torso 200 px, shoulder width 120, hip width 60.
PersonPose Standing() {
  PersonPose pose;
  Set(pose, BodyPart::kLeftShoulder, 260, 130);
  Set(pose, BodyPart::kRightShoulder, 140, 130);
  Set(pose, BodyPart::kLeftHip, 230, 330);
  Set(pose, BodyPart::kRightHip, 170, 330);
  Set(pose, BodyPart::kLeftKnee, 232, 480);
  Set(pose, BodyPart::kRightKnee, 168, 480);
  pose.box = Box{120, 40, 160, 520};
  pose.score = 0.8f;
  return pose;
}

TEST(PoseGarmentRegionsTest, FollowTheDocumentedRule) {
  const PoseGarmentBoxes r = GarmentRegionsFromPose(kFace, Standing());
  ASSERT_TRUE(r.upper_from_pose);
  ASSERT_TRUE(r.lower_from_pose);
  EXPECT_FLOAT_EQ(r.boxes.upper.x, 152.0f) << "right shoulder 140 + 0.1 x 120";
  EXPECT_FLOAT_EQ(r.boxes.upper.right(), 248.0f) << "left shoulder 260 - 0.1 x 120";
  EXPECT_FLOAT_EQ(r.boxes.upper.y, 160.0f) << "shoulder line 130 + 0.15 x torso 200";
  EXPECT_FLOAT_EQ(r.boxes.upper.bottom(), 330.0f) << "hip line";
  EXPECT_FLOAT_EQ(r.boxes.lower.x, 140.0f) << "hip 170 - 0.5 x hip width 60";
  EXPECT_FLOAT_EQ(r.boxes.lower.right(), 260.0f) << "hip 230 + 0.5 x 60";
  EXPECT_FLOAT_EQ(r.boxes.lower.y, 330.0f) << "hip line";
  EXPECT_FLOAT_EQ(r.boxes.lower.bottom(), 480.0f) << "knee line";
  EXPECT_FLOAT_EQ(r.boxes.body.y, 40.0f) << "person box joined with the face";
  EXPECT_FLOAT_EQ(r.boxes.body.bottom(), 560.0f) << "person box bottom";
}

TEST(PoseGarmentRegionsTest, UnseenKeypointsFallBackToTheFaceGeometryPerRegion) {
  PersonPose pose = Standing();
  pose.at(BodyPart::kLeftKnee).score = 0.1f;  // knees hidden (behind a desk)
  const PoseGarmentBoxes r = GarmentRegionsFromPose(kFace, pose);
  const GarmentBoxes face_only = GarmentRegionsFor(kFace);
  EXPECT_TRUE(r.upper_from_pose) << "shoulders and hips seen";
  EXPECT_FALSE(r.lower_from_pose) << "one knee below the score threshold";
  EXPECT_FLOAT_EQ(r.boxes.lower.y, face_only.lower.y);
  EXPECT_FLOAT_EQ(r.boxes.lower.height, face_only.lower.height);

  pose.at(BodyPart::kRightShoulder).score = 0.0f;
  const PoseGarmentBoxes none = GarmentRegionsFromPose(kFace, pose);
  EXPECT_FALSE(none.upper_from_pose) << "one shoulder unseen";
  EXPECT_FLOAT_EQ(none.boxes.upper.y, face_only.upper.y);
}

TEST(PoseGarmentRegionsTest, ImpossibleOrHostileKeypointsAreNotUsed) {
  PersonPose upside_down = Standing();
  Set(upside_down, BodyPart::kLeftHip, 230, 100);  // hips above the shoulders
  Set(upside_down, BodyPart::kRightHip, 170, 100);
  EXPECT_FALSE(GarmentRegionsFromPose(kFace, upside_down).upper_from_pose);

  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (float bad : {nan, inf, -inf}) {
    PersonPose pose = Standing();
    Set(pose, BodyPart::kLeftShoulder, bad, 130);
    Set(pose, BodyPart::kLeftKnee, 232, bad);
    pose.box = Box{bad, bad, bad, bad};
    const PoseGarmentBoxes r = GarmentRegionsFromPose(kFace, pose);
    EXPECT_FALSE(r.upper_from_pose) << bad;
    EXPECT_FALSE(r.lower_from_pose) << bad;
    EXPECT_TRUE(std::isfinite(r.boxes.body.y) && std::isfinite(r.boxes.body.height)) << bad;
  }
  PersonPose nan_score = Standing();
  nan_score.at(BodyPart::kLeftHip).score = nan;
  EXPECT_FALSE(GarmentRegionsFromPose(kFace, nan_score).upper_from_pose) << "NaN score";
}

google::protobuf::RepeatedPtrField<v1::Face> OneFace(const Box& b) {
  google::protobuf::RepeatedPtrField<v1::Face> faces;
  *faces.Add()->mutable_box() = ToProto(b);
  return faces;
}

// A person leaning far to one side: the green shirt lies left of where an
// upright figure's chest would be, and the face geometry looks at grey
// background instead; the pose finds the shirt.
TEST(PoseGarmentRegionsTest, TheDescriberReadsTheGarmentWhereThePoseIs) {
  cv::Mat image(600, 600, CV_8UC3, cv::Scalar(128, 128, 128));
  cv::rectangle(image, cv::Rect(20, 150, 120, 200), cv::Scalar(30, 160, 40), cv::FILLED);
  cv::rectangle(image, cv::Rect(170, 50, 60, 60), cv::Scalar(200, 150, 130), cv::FILLED);
  const cv::Mat mask(image.size(), CV_8UC1, cv::Scalar(255));
  PersonPose pose;
  Set(pose, BodyPart::kLeftShoulder, 140, 140);
  Set(pose, BodyPart::kRightShoulder, 20, 140);
  Set(pose, BodyPart::kLeftHip, 120, 350);
  Set(pose, BodyPart::kRightHip, 40, 350);
  pose.box = Box{10, 40, 240, 400};
  absl::StatusOr<AttireDescriber> describer = AttireDescriber::Create(AttireOptions{});
  ASSERT_THAT(describer, IsOk());

  const auto upper_of = [](const v1::PersonAttire& person) -> const v1::GarmentRegion* {
    for (const v1::GarmentRegion& g : person.garments()) {
      if (g.part() == v1::GARMENT_PART_UPPER_BODY) return &g;
    }
    return nullptr;
  };
  const std::vector<std::optional<PersonPose>> poses = {pose};
  absl::StatusOr<std::vector<v1::PersonAttire>> with_pose =
      describer->Describe(image, OneFace(kFace), mask, nullptr, {}, poses);
  ASSERT_THAT(with_pose, IsOk());
  ASSERT_THAT(*with_pose, SizeIs(1));
  const v1::GarmentRegion* upper = upper_of((*with_pose)[0]);
  ASSERT_NE(upper, nullptr);
  EXPECT_EQ(upper->source(), v1::REGION_SOURCE_POSE);
  ASSERT_GE(upper->colors_size(), 1);
  EXPECT_EQ(upper->colors(0).name(), "green") << "the shirt the pose points at";

  absl::StatusOr<std::vector<v1::PersonAttire>> without =
      describer->Describe(image, OneFace(kFace), mask, nullptr, {});
  ASSERT_THAT(without, IsOk());
  const v1::GarmentRegion* guessed = upper_of((*without)[0]);
  ASSERT_NE(guessed, nullptr);
  EXPECT_EQ(guessed->source(), v1::REGION_SOURCE_FACE_GEOMETRY);
  ASSERT_GE(guessed->colors_size(), 1);
  EXPECT_NE(guessed->colors(0).name(), "green") << "face geometry misses a leaning person";

  const std::vector<std::optional<PersonPose>> two = {pose, std::nullopt};
  EXPECT_THAT(describer->Describe(image, OneFace(kFace), mask, nullptr, {}, two),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2 poses for 1 faces")));
}

}  // namespace
}  // namespace affect::analysis

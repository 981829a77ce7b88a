#include "server/analysis/body/movenet_decoder.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/analysis/body/body_fixtures.h"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using body_test::Heads;
using body_test::kGrid;
using body_test::kInput;
using body_test::kStride;

std::vector<PersonPose> GraphPoses(const Heads& heads) {
  absl::StatusOr<std::vector<PersonPose>> poses =
      MoveNetGraphPoses(heads.tensors, kInput, kInput, MoveNetGraphOptions{});
  EXPECT_THAT(poses, IsOk()) << "well-formed heads";
  return poses.ok() ? *poses : std::vector<PersonPose>{};
}

TEST(MoveNetGraphPosesTest, OneCentreGivesItsBoxKeypointsAndScore) {
  const std::vector<PersonPose> poses = GraphPoses(Heads::OnePerson());
  ASSERT_THAT(poses, SizeIs(kMoveNetMaxPeople)) << "the graph always returns 6 rows";
  const PersonPose& p = poses[0];
  EXPECT_FLOAT_EQ(p.box.x, 3.5f * kStride) << "xmin = 7 - 0.5 - 6/2 cells";
  EXPECT_FLOAT_EQ(p.box.y, 1.5f * kStride) << "ymin = 5 + 0.5 - 8/2 cells";
  EXPECT_FLOAT_EQ(p.box.right(), 9.5f * kStride);
  EXPECT_FLOAT_EQ(p.box.bottom(), 9.5f * kStride);
  const BodyKeypoint& nose = p.at(BodyPart::kNose);
  EXPECT_FLOAT_EQ(nose.y, (3.0f + 0.25f) * kStride) << "cell row + refinement, input pixels";
  EXPECT_FLOAT_EQ(nose.x, (8.0f - 0.25f) * kStride);
  EXPECT_FLOAT_EQ(nose.score, 0.8f) << "heatmap at the regressed point, weight exp(0) = 1";
  EXPECT_FLOAT_EQ(p.score, 0.9f * 0.8f) << "centre score x mean kept keypoint score";
  for (size_t i = 1; i < poses.size(); ++i) {
    EXPECT_EQ(poses[i].score, 0.0f) << "rows without a centre score 0, row " << i;
  }
}

TEST(MoveNetGraphPosesTest, RegressedPointOutweighsAStrongerFarPeak) {
  Heads heads = Heads::OnePerson();
  heads.Heat(8, 4, 0, 0.99f);  // inside the box, 5 rows and 4 columns from (3, 8)
  const std::vector<PersonPose> poses = GraphPoses(heads);
  const BodyKeypoint& nose = poses[0].at(BodyPart::kNose);
  EXPECT_FLOAT_EQ(nose.y, 3.25f * kStride)
      << "0.99 x exp(-41 / 4.8) is far below 0.8 at the regressed point";
}

TEST(MoveNetGraphPosesTest, HeatOutsideThePersonBoxIsIgnored) {
  Heads heads = Heads::OnePerson();
  heads.Heat(3, 8, 0, 0.0f);
  heads.Heat(3, 10, 0, 0.9f);  // column 10 is right of the box (xmax 9.5)
  heads.Heat(3, 9, 0, 0.3f);   // inside, next to the regressed point
  const std::vector<PersonPose> poses = GraphPoses(heads);
  const BodyKeypoint& nose = poses[0].at(BodyPart::kNose);
  EXPECT_FLOAT_EQ(nose.x, 9.0f * kStride) << "the best cell inside the box, no refinement there";
  EXPECT_NEAR(nose.score, 0.3f * std::exp(-1.0f / (16 * kMoveNetSigmaFactor)), 1e-6f)
      << "score is the distance-weighted heat";
}

TEST(MoveNetGraphPosesTest, PersonScoreAveragesOnlyKeypointsAboveTheThreshold) {
  Heads heads = Heads::OnePerson();
  heads.Heat(3, 8, static_cast<int>(BodyPart::kLeftAnkle), 0.1f);  // below 0.127
  const std::vector<PersonPose> poses = GraphPoses(heads);
  EXPECT_FLOAT_EQ(poses[0].at(BodyPart::kLeftAnkle).score, 0.1f) << "still reported";
  EXPECT_FLOAT_EQ(poses[0].score, 0.9f * 0.8f) << "the weak ankle does not lower the mean";
}

TEST(MoveNetGraphPosesTest, TwoPeopleComeInCentreScoreOrder) {
  Heads heads = Heads::OnePerson();
  heads.Centre(12, 12, 0.95f);
  heads.BoxAt(12, 12, 0.0f, 0.0f, 6.0f, 6.0f);
  heads.RegressAll(12, 12, 11.0f, 12.0f);
  heads.HeatAll(11, 12, 0.4f);
  const std::vector<PersonPose> poses = GraphPoses(heads);
  EXPECT_FLOAT_EQ(poses[0].at(BodyPart::kNose).y, 11.0f * kStride) << "0.95 centre first";
  EXPECT_FLOAT_EQ(poses[0].score, 0.95f * 0.4f);
  EXPECT_FLOAT_EQ(poses[1].score, 0.9f * 0.8f) << "then the 0.9 centre";
}

TEST(MoveNetGraphPosesTest, RejectsAHeadOfTheWrongShape) {
  Heads heads = Heads::OnePerson();
  heads.tensors[3] = Tensor({kGrid, kGrid, 16});
  EXPECT_THAT(MoveNetGraphPoses(heads.tensors, kInput, kInput, MoveNetGraphOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("keypoint_heatmap")));
  heads.tensors.pop_back();
  EXPECT_THAT(MoveNetGraphPoses(heads.tensors, kInput, kInput, MoveNetGraphOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs 6 outputs")));
}

TEST(MoveNetDecoderTest, MapsToImagePixelsKeepsPeopleAboveThresholdBestFirst) {
  Heads heads = Heads::OnePerson();
  heads.Centre(12, 12, 0.3f);  // a weak second person: 0.3 x 0.4 = 0.12 < 0.2
  heads.BoxAt(12, 12, 0.0f, 0.0f, 6.0f, 6.0f);
  heads.RegressAll(12, 12, 11.0f, 12.0f);
  heads.HeatAll(11, 12, 0.4f);
  absl::StatusOr<MoveNetDecoder> decoder = MoveNetDecoder::Create(MoveNetOptions{}, kInput, kInput);
  ASSERT_THAT(decoder, IsOk());
  // A 256 x 128 image letterboxed into 64 x 64: scale 1/4, 16 rows of padding on top.
  const InputTransform transform =
      MakeInputTransform(256, 128, kInput, kInput, FitMode::kLetterbox);
  absl::StatusOr<std::vector<PersonPose>> people = decoder->Decode(heads.tensors, transform);
  ASSERT_THAT(people, IsOk());
  ASSERT_THAT(*people, SizeIs(1)) << "only the 0.72 person passes person_score_threshold 0.2";
  const Point expected = transform.ToImage(Point{7.75f * kStride, 3.25f * kStride});
  EXPECT_FLOAT_EQ((*people)[0].at(BodyPart::kNose).x, expected.x) << "through the transform";
  EXPECT_FLOAT_EQ((*people)[0].at(BodyPart::kNose).y, expected.y);
  EXPECT_GE((*people)[0].box.y, 0.0f) << "box clipped to the image";
  EXPECT_LE((*people)[0].box.bottom(), 128.0f);
}

TEST(MoveNetOptionsTest, ReadsParametersAndRejectsBadOnes) {
  ParameterMap parameters;
  parameters["person_score_threshold"] = "0.4";
  parameters["fit"] = "stretch";
  absl::StatusOr<MoveNetOptions> options = MoveNetOptions::FromParameters(parameters);
  ASSERT_THAT(options, IsOk());
  EXPECT_FLOAT_EQ(options->person_score_threshold, 0.4f);
  EXPECT_EQ(options->fit, FitMode::kStretch);
  parameters["peak_window"] = "4";
  EXPECT_THAT(MoveNetOptions::FromParameters(parameters),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peak_window")));
  ParameterMap typo;
  typo["person_threshold"] = "0.4";
  EXPECT_THAT(MoveNetOptions::FromParameters(typo),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("person_threshold")));
}

TEST(BodyPartNameTest, NamesFollowCocoOrder) {
  EXPECT_EQ(BodyPartName(0), "nose");
  EXPECT_EQ(BodyPartName(static_cast<int>(BodyPart::kRightWrist)), "right_wrist");
  EXPECT_EQ(BodyPartName(16), "right_ankle");
  EXPECT_EQ(BodyPartName(17), "") << "out of range";
}

}  // namespace
}  // namespace affect::analysis

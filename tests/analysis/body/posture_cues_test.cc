#include "server/analysis/body/posture_cues.h"

#include <cmath>
#include <limits>
#include <optional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;

constexpr float kCx = 300.0f;

void Set(PersonPose& pose, BodyPart part, float x, float y, float score = 0.9f) {
  pose.at(part) = BodyKeypoint{x, y, score};
}

// An upright person facing the camera (their left is image right) with body
// scale 100 px: shoulders 100 px apart, torso 130 px (= 1.3 x 100), nose 0.6
// scales above the shoulder line, ears 0.55 above, arms hanging.
PersonPose Upright() {
  PersonPose pose;
  Set(pose, BodyPart::kNose, kCx, 140);
  Set(pose, BodyPart::kLeftEye, kCx + 15, 130);
  Set(pose, BodyPart::kRightEye, kCx - 15, 130);
  Set(pose, BodyPart::kLeftEar, kCx + 35, 145);
  Set(pose, BodyPart::kRightEar, kCx - 35, 145);
  Set(pose, BodyPart::kLeftShoulder, kCx + 50, 200);
  Set(pose, BodyPart::kRightShoulder, kCx - 50, 200);
  Set(pose, BodyPart::kLeftElbow, kCx + 60, 265);
  Set(pose, BodyPart::kRightElbow, kCx - 60, 265);
  Set(pose, BodyPart::kLeftWrist, kCx + 62, 325);
  Set(pose, BodyPart::kRightWrist, kCx - 62, 325);
  Set(pose, BodyPart::kLeftHip, kCx + 40, 330);
  Set(pose, BodyPart::kRightHip, kCx - 40, 330);
  Set(pose, BodyPart::kLeftKnee, kCx + 40, 450);
  Set(pose, BodyPart::kRightKnee, kCx - 40, 450);
  pose.box = Box{kCx - 80, 100, 160, 400};
  pose.score = 0.9f;
  return pose;
}

// Every keypoint mapped by p -> origin + factor * R(degrees) * p.
PersonPose Transformed(const PersonPose& pose, float factor, float degrees = 0.0f, float dx = 0.0f,
                       float dy = 0.0f) {
  const float a = degrees * 3.14159265f / 180.0f;
  PersonPose out = pose;
  for (BodyKeypoint& k : out.keypoints) {
    const float x = k.x, y = k.y;
    k.x = factor * (std::cos(a) * x - std::sin(a) * y) + dx;
    k.y = factor * (std::sin(a) * x + std::cos(a) * y) + dy;
  }
  return out;
}

// Person's left and right swapped in the image: seen from behind.
PersonPose FacingAway(const PersonPose& pose) {
  PersonPose out = pose;
  for (BodyKeypoint& k : out.keypoints) k.x = 2 * kCx - k.x;
  return out;
}

std::optional<PostureCue> Find(const std::vector<PostureCue>& cues, PostureCueKind kind) {
  for (const PostureCue& cue : cues) {
    if (cue.kind == kind) return cue;
  }
  return std::nullopt;
}

const PostureCueOptions kOptions;

TEST(PostureCuesTest, DefaultOptionsAreValid) {
  EXPECT_THAT(ValidatePostureCueOptions(kOptions), IsOk()) << "the documented defaults";
}

TEST(PostureCuesTest, RejectsAThresholdEqualToItsFullValue) {
  PostureCueOptions options;
  options.hunched_full = options.hunched_onset;
  EXPECT_THAT(ValidatePostureCueOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hunched_onset")))
      << "a ramp of zero width would divide by zero";
  options = PostureCueOptions{};
  options.min_keypoint_score = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THAT(ValidatePostureCueOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("min_keypoint_score")));
}

TEST(PostureCuesTest, BodyScaleIsTheLargerOfShouldersAndTorso) {
  PersonPose pose = Upright();
  EXPECT_NEAR(*BodyScale(pose, kOptions), 100.0f, 1e-3) << "shoulders 100 px, torso 130/1.3";
  // Turned sideways: shoulders 30 px apart, the torso still says 100.
  Set(pose, BodyPart::kLeftShoulder, kCx + 15, 200);
  Set(pose, BodyPart::kRightShoulder, kCx - 15, 200);
  EXPECT_NEAR(*BodyScale(pose, kOptions), 100.0f, 1e-3) << "the torso keeps the scale";
  Set(pose, BodyPart::kLeftShoulder, kCx + 15, 200, 0.1f);
  EXPECT_FALSE(BodyScale(pose, kOptions).has_value()) << "a shoulder below the score threshold";
}

TEST(PostureCuesTest, UprightPersonShowsNoCue) {
  const std::vector<PostureCue> cues = ComputePostureCues(Upright(), kOptions);
  EXPECT_EQ(cues.size(), 6u) << "every per-image rule can be computed on a full pose";
  for (const PostureCue& cue : cues) {
    EXPECT_FALSE(cue.present) << PostureCueName(cue.kind) << " score " << cue.score << ": "
                              << cue.evidence;
    EXPECT_FLOAT_EQ(cue.score, 0.0f) << PostureCueName(cue.kind) << ": " << cue.evidence;
  }
}

TEST(PostureCuesTest, HeadDownWhenTheNoseDropsToTheShoulders) {
  PersonPose pose = Upright();
  Set(pose, BodyPart::kNose, kCx, 190);  // 0.1 scales above the shoulders
  const auto cue = HeadDownCue(pose, kOptions);
  ASSERT_TRUE(cue.has_value());
  EXPECT_NEAR(cue->measure, 0.1f, 1e-4) << cue->evidence;
  EXPECT_FLOAT_EQ(cue->score, 1.0f) << "below the full value 0.15";
  EXPECT_TRUE(cue->present);
  Set(pose, BodyPart::kNose, kCx, 170);  // 0.3: halfway between 0.45 and 0.15
  EXPECT_NEAR(HeadDownCue(pose, kOptions)->score, 0.5f, 1e-4) << "linear ramp";
}

TEST(PostureCuesTest, HeadTiltedRelativeToTheShoulders) {
  PersonPose pose = Upright();
  // Eyes on a line 20 degrees from horizontal, shoulders level.
  const float a = 20.0f * 3.14159265f / 180.0f;
  Set(pose, BodyPart::kLeftEye, kCx + 15 * std::cos(a), 130 + 15 * std::sin(a));
  Set(pose, BodyPart::kRightEye, kCx - 15 * std::cos(a), 130 - 15 * std::sin(a));
  const auto cue = HeadTiltCue(pose, kOptions);
  ASSERT_TRUE(cue.has_value());
  EXPECT_NEAR(cue->measure, 20.0f, 0.01f) << cue->evidence;
  EXPECT_NEAR(cue->score, 10.0f / 15.0f, 1e-3) << "(20 - 10) / (25 - 10)";
  EXPECT_TRUE(cue->present);

  // The whole body leaning 20 degrees: the head is not tilted on the body.
  const auto leaning = HeadTiltCue(Transformed(Upright(), 1.0f, 20.0f), kOptions);
  ASSERT_TRUE(leaning.has_value());
  EXPECT_NEAR(leaning->measure, 0.0f, 0.01f) << leaning->evidence;
  EXPECT_FALSE(leaning->present);
}

TEST(PostureCuesTest, HeadTiltIsNotMeasuredOnATorsoSeenEdgeOn) {
  // Standing sideways: the shoulders 20 px apart, one behind the other, on a
  // torso that keeps the body scale at about 100 px; the eyes level.
  PersonPose pose = Upright();
  Set(pose, BodyPart::kLeftShoulder, kCx + 4, 210);
  Set(pose, BodyPart::kRightShoulder, kCx - 4, 192);
  ASSERT_NEAR(*BodyScale(pose, kOptions), 99.2f, 0.1f) << "the torso (129 px / 1.3) keeps it";
  EXPECT_FALSE(HeadTiltCue(pose, kOptions).has_value())
      << "a 20 px shoulder line (0.2 B) gives no direction to measure against";
  PostureCueOptions lenient = kOptions;
  lenient.min_tilt_shoulder_width = 0.0f;
  const auto measured = HeadTiltCue(pose, lenient);
  ASSERT_TRUE(measured.has_value()) << "without the guard";
  EXPECT_TRUE(measured->present) << "the edge-on line reads as a large tilt: " << measured->evidence;
  lenient.min_tilt_shoulder_width = 1.5f;
  EXPECT_FALSE(ValidatePostureCueOptions(lenient).ok()) << "outside [0, 1]";
}

TEST(PostureCuesTest, HeadTiltFallsBackToTheEars) {
  PersonPose pose = Upright();
  pose.at(BodyPart::kLeftEye).score = 0.0f;
  const auto cue = HeadTiltCue(pose, kOptions);
  ASSERT_TRUE(cue.has_value()) << "both ears are seen";
  EXPECT_THAT(cue->evidence, HasSubstr("ear line"));
  pose.at(BodyPart::kLeftEar).score = 0.0f;
  EXPECT_FALSE(HeadTiltCue(pose, kOptions).has_value()) << "neither pair complete";
}

TEST(PostureCuesTest, ArmsRaisedNamesTheHigherArm) {
  PersonPose pose = Upright();
  Set(pose, BodyPart::kLeftElbow, kCx + 70, 150);
  Set(pose, BodyPart::kLeftWrist, kCx + 70, 120);  // 0.8 scales above the shoulder
  const auto cue = ArmsRaisedCue(pose, kOptions);
  ASSERT_TRUE(cue.has_value());
  EXPECT_NEAR(cue->measure, 0.8f, 1e-4) << cue->evidence;
  EXPECT_FLOAT_EQ(cue->score, 1.0f);
  EXPECT_TRUE(cue->present);
  EXPECT_THAT(cue->evidence, HasSubstr("left wrist"));
  EXPECT_THAT(cue->keypoints,
              ::testing::ElementsAre(BodyPart::kLeftWrist, BodyPart::kLeftShoulder));
}

TEST(PostureCuesTest, HandNearFace) {
  PersonPose pose = Upright();
  Set(pose, BodyPart::kRightWrist, kCx - 10, 165);  // on the chin
  const auto cue = HandNearFaceCue(pose, kOptions);
  ASSERT_TRUE(cue.has_value());
  EXPECT_TRUE(cue->present) << cue->evidence;
  EXPECT_FLOAT_EQ(cue->score, 1.0f) << cue->evidence;
  EXPECT_THAT(cue->evidence, HasSubstr("right wrist"));
  // Face size: max(ears 70, 2.2 x eyes 30 = 66, 0.4 x 100) = 70 px.
  EXPECT_THAT(cue->evidence, HasSubstr("70 px"));
  EXPECT_FALSE(HandNearFaceCue(Upright(), kOptions)->present) << "hands hanging by the hips";
}

TEST(PostureCuesTest, ArmsCrossedAtChestHeight) {
  PersonPose pose = Upright();
  Set(pose, BodyPart::kLeftWrist, kCx - 30, 260);
  Set(pose, BodyPart::kRightWrist, kCx + 30, 260);
  const auto cue = ArmsCrossedCue(pose, kOptions);
  ASSERT_TRUE(cue.has_value());
  EXPECT_NEAR(cue->measure, 0.3f, 1e-4) << cue->evidence;
  EXPECT_FLOAT_EQ(cue->score, 1.0f);
  EXPECT_TRUE(cue->present);

  const auto away = ArmsCrossedCue(FacingAway(pose), kOptions);
  ASSERT_TRUE(away.has_value());
  EXPECT_TRUE(away->present) << "seen from behind the sides flip with the shoulders: "
                             << away->evidence;

  // The same crossing above the head is not crossed arms.
  Set(pose, BodyPart::kLeftWrist, kCx - 30, 80);
  Set(pose, BodyPart::kRightWrist, kCx + 30, 80);
  const auto high = ArmsCrossedCue(pose, kOptions);
  ASSERT_TRUE(high.has_value());
  EXPECT_FLOAT_EQ(high->score, 0.0f) << high->evidence;
  EXPECT_THAT(high->evidence, HasSubstr("not at chest height"));
}

TEST(PostureCuesTest, OneArmAcrossIsNotCrossedArms) {
  PersonPose pose = Upright();
  Set(pose, BodyPart::kLeftWrist, kCx - 30, 260);  // left hand on the right arm
  const auto cue = ArmsCrossedCue(pose, kOptions);
  ASSERT_TRUE(cue.has_value());
  EXPECT_FLOAT_EQ(cue->score, 0.0f) << "the right wrist stays on its side: " << cue->evidence;
}

TEST(PostureCuesTest, ShouldersHunched) {
  PersonPose pose = Upright();
  Set(pose, BodyPart::kLeftEar, kCx + 35, 190);
  Set(pose, BodyPart::kRightEar, kCx - 35, 190);
  const auto cue = ShouldersHunchedCue(pose, kOptions);
  ASSERT_TRUE(cue.has_value());
  EXPECT_NEAR(cue->measure, 0.1f, 1e-4) << cue->evidence;
  EXPECT_TRUE(cue->present);

  pose.at(BodyPart::kLeftEar).score = 0.0f;
  pose.at(BodyPart::kRightEar).score = 0.0f;
  const auto eyes = ShouldersHunchedCue(pose, kOptions);
  ASSERT_TRUE(eyes.has_value()) << "eyes stand in for the ears";
  EXPECT_NEAR(eyes->measure, 0.7f, 1e-4) << eyes->evidence;
  EXPECT_THAT(eyes->evidence, HasSubstr("ears not seen"));
}

TEST(PostureCuesTest, ScaleAndPositionDoNotMatter) {
  PersonPose pose = Upright();
  Set(pose, BodyPart::kNose, kCx, 175);
  Set(pose, BodyPart::kLeftWrist, kCx - 30, 260);
  Set(pose, BodyPart::kRightWrist, kCx + 20, 250);
  const std::vector<PostureCue> base = ComputePostureCues(pose, kOptions);
  for (float factor : {0.2f, 3.0f, 40.0f}) {
    const std::vector<PostureCue> scaled =
        ComputePostureCues(Transformed(pose, factor, 0.0f, 17.0f, -50.0f), kOptions);
    ASSERT_EQ(scaled.size(), base.size()) << "factor " << factor;
    for (size_t i = 0; i < base.size(); ++i) {
      EXPECT_NEAR(scaled[i].score, base[i].score, 1e-3)
          << PostureCueName(base[i].kind) << " at factor " << factor;
      EXPECT_NEAR(scaled[i].measure, base[i].measure, 1e-3 * std::fabs(base[i].measure) + 1e-3)
          << PostureCueName(base[i].kind) << " at factor " << factor;
    }
  }
}

TEST(PostureCuesTest, MissingKeypointsLeaveCuesOut) {
  PersonPose pose = Upright();
  pose.at(BodyPart::kLeftWrist).score = 0.29f;  // just under the 0.3 threshold
  pose.at(BodyPart::kRightWrist).score = 0.0f;
  const std::vector<PostureCue> cues = ComputePostureCues(pose, kOptions);
  EXPECT_FALSE(Find(cues, PostureCueKind::kArmsRaised).has_value()) << "no wrist seen";
  EXPECT_FALSE(Find(cues, PostureCueKind::kHandNearFace).has_value());
  EXPECT_FALSE(Find(cues, PostureCueKind::kArmsCrossed).has_value());
  EXPECT_TRUE(Find(cues, PostureCueKind::kHeadDown).has_value()) << "the head still is";

  pose.at(BodyPart::kRightShoulder).score = 0.0f;
  EXPECT_TRUE(ComputePostureCues(pose, kOptions).empty()) << "no body scale, no cue";
}

TEST(PostureCuesTest, HostileCoordinatesNeverCrash) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const float big = std::numeric_limits<float>::max();

  PersonPose pose = Upright();
  Set(pose, BodyPart::kNose, nan, 140);
  Set(pose, BodyPart::kLeftWrist, kCx, inf);
  const std::vector<PostureCue> cues = ComputePostureCues(pose, kOptions);
  EXPECT_FALSE(Find(cues, PostureCueKind::kHeadDown).has_value()) << "NaN nose is not seen";
  for (const PostureCue& cue : cues) {
    EXPECT_TRUE(std::isfinite(cue.score) && cue.score >= 0.0f && cue.score <= 1.0f)
        << PostureCueName(cue.kind);
    EXPECT_TRUE(std::isfinite(cue.measure)) << PostureCueName(cue.kind);
  }

  PersonPose point;  // every keypoint at the same spot: a zero-size body
  for (BodyKeypoint& k : point.keypoints) k = BodyKeypoint{10, 10, 1.0f};
  EXPECT_TRUE(ComputePostureCues(point, kOptions).empty()) << "zero-size body";
  EXPECT_FALSE(LeanCue(point, 100.0f, kOptions).has_value());

  PersonPose huge = Upright();
  Set(huge, BodyPart::kLeftShoulder, big, big);
  Set(huge, BodyPart::kRightShoulder, -big, -big);
  EXPECT_TRUE(ComputePostureCues(huge, kOptions).empty()) << "an overflowing scale";

  PersonPose zeros;  // default-constructed: nothing seen
  EXPECT_TRUE(ComputePostureCues(zeros, kOptions).empty());
}

TEST(PostureCuesTest, LeaningAgainstTheTracksBaseline) {
  const PersonPose pose = Upright();
  const auto in = LeanCue(Transformed(pose, 1.3f), 100.0f, kOptions);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->kind, PostureCueKind::kLeaningIn);
  EXPECT_NEAR(in->measure, 1.3f, 1e-4);
  EXPECT_FLOAT_EQ(in->score, 1.0f) << in->evidence;

  const auto away = LeanCue(Transformed(pose, 0.85f), 100.0f, kOptions);
  ASSERT_TRUE(away.has_value());
  EXPECT_EQ(away->kind, PostureCueKind::kLeaningAway);
  EXPECT_NEAR(away->score, 0.10f / 0.15f, 1e-3) << "(0.95 - 0.85) / (0.95 - 0.80)";

  const auto same = LeanCue(Transformed(pose, 1.02f), 100.0f, kOptions);
  ASSERT_TRUE(same.has_value());
  EXPECT_FLOAT_EQ(same->score, 0.0f) << "inside the dead band";

  EXPECT_FALSE(LeanCue(pose, 0.0f, kOptions).has_value()) << "no baseline";
  EXPECT_FALSE(LeanCue(pose, std::numeric_limits<float>::quiet_NaN(), kOptions).has_value());
}

}  // namespace
}  // namespace affect::analysis

#include "server/stream/movement_energy.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/stream/stream_test_util.h"
#include "tests/testing/status_matchers.h"

namespace affect::stream {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using analysis::BodyKeypoint;
using analysis::BodyPart;
using analysis::PersonPose;
using ::testing::HasSubstr;
using testing::kMs;
using testing::kSecond;

// A standing person with body scale 100 px x `factor`, shifted by (dx, dy).
PersonPose Person(float factor = 1.0f, float dx = 0.0f, float dy = 0.0f) {
  const struct {
    BodyPart part;
    float x, y;
  } points[] = {{BodyPart::kNose, 0, -60},          {BodyPart::kLeftEye, 15, -70},
                {BodyPart::kRightEye, -15, -70},    {BodyPart::kLeftShoulder, 50, 0},
                {BodyPart::kRightShoulder, -50, 0}, {BodyPart::kLeftElbow, 60, 65},
                {BodyPart::kRightElbow, -60, 65},   {BodyPart::kLeftWrist, 62, 125},
                {BodyPart::kRightWrist, -62, 125},  {BodyPart::kLeftHip, 40, 130},
                {BodyPart::kRightHip, -40, 130}};
  PersonPose pose;
  for (const auto& p : points) {
    pose.at(p.part) = BodyKeypoint{300 + factor * p.x + dx, 300 + factor * p.y + dy, 0.9f};
  }
  return pose;
}

const MovementEnergyOptions kOptions;

TEST(MovementEnergyTest, OptionsAreValidated) {
  EXPECT_THAT(ValidateMovementEnergyOptions(kOptions), IsOk());
  MovementEnergyOptions options;
  options.max_step_us = 0;
  EXPECT_THAT(ValidateMovementEnergyOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_step_us")));
  options = MovementEnergyOptions{};
  options.pose.torso_per_shoulder = -1.0f;
  EXPECT_THAT(ValidateMovementEnergyOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("torso_per_shoulder")));
}

TEST(MovementEnergyTest, StillPersonHasNoEnergy) {
  MovementEnergyTracker tracker(kOptions);
  EXPECT_FALSE(tracker.Energy().energy.has_value()) << "nothing measured yet";
  for (int i = 0; i < 20; ++i) ASSERT_THAT(tracker.Add(i * 100 * kMs, Person()), IsOk());
  const MovementEnergy energy = tracker.Energy();
  ASSERT_TRUE(energy.energy.has_value());
  EXPECT_FLOAT_EQ(*energy.energy, 0.0f);
  EXPECT_FLOAT_EQ(energy.level, 0.0f);
  EXPECT_EQ(energy.steps, 19) << "20 poses, all inside the 2 s window";
  EXPECT_NEAR(energy.measured_seconds, 1.9, 1e-9);
}

TEST(MovementEnergyTest, MovingPersonMovesInBodyScalesPerSecond) {
  MovementEnergyTracker tracker(kOptions);
  // 10 px per 0.1 s on a 100 px body: 1 body scale per second.
  for (int i = 0; i < 20; ++i)
    ASSERT_THAT(tracker.Add(i * 100 * kMs, Person(1, 10.0f * i)), IsOk());
  EXPECT_NEAR(*tracker.Energy().energy, 1.0f, 1e-4);
  EXPECT_FLOAT_EQ(tracker.Energy().level, 1.0f) << "vigorous_energy is 1 scale/s";

  // Only the two wrists move, 27.5 px per 0.1 s: 2 of 11 keypoints, mean
  // 0.05 scales per step: 0.5 scales/s.
  MovementEnergyTracker wrists(kOptions);
  for (int i = 0; i < 20; ++i) {
    PersonPose pose = Person();
    pose.at(BodyPart::kLeftWrist).y -= 27.5f * i;
    pose.at(BodyPart::kRightWrist).y -= 27.5f * i;
    ASSERT_THAT(wrists.Add(i * 100 * kMs, pose), IsOk());
  }
  EXPECT_NEAR(*wrists.Energy().energy, 0.5f, 1e-4);
  EXPECT_NEAR(wrists.Energy().level, 0.5f, 1e-4);
}

TEST(MovementEnergyTest, ScaleDoesNotMatter) {
  for (float factor : {0.25f, 1.0f, 3.0f, 20.0f}) {
    MovementEnergyTracker tracker(kOptions);
    for (int i = 0; i < 10; ++i) {
      // The same motion, in proportion to the body: 0.1 scales per 0.1 s
      // to the side, 0.05 down.
      PersonPose pose = Person(factor, 10.0f * factor * i, 5.0f * factor * i);
      ASSERT_THAT(tracker.Add(i * 100 * kMs, pose), IsOk());
    }
    EXPECT_NEAR(*tracker.Energy().energy, std::hypot(1.0f, 0.5f), 1e-3) << "factor " << factor;
  }
}

TEST(MovementEnergyTest, OnlyTheWindowCounts) {
  MovementEnergyTracker tracker(kOptions);
  int64_t t = 0;
  for (int i = 0; i < 20; ++i, t += 100 * kMs)
    ASSERT_THAT(tracker.Add(t, Person(1, 10.0f * i)), IsOk());
  for (int i = 0; i < 30; ++i, t += 100 * kMs) ASSERT_THAT(tracker.Add(t, Person(1, 200)), IsOk());
  EXPECT_FLOAT_EQ(*tracker.Energy().energy, 0.0f) << "still for the last 3 s, window 2 s";
  EXPECT_EQ(tracker.steps_held(), 20u) << "steps ending in (2.9 s, 4.9 s]";
}

TEST(MovementEnergyTest, LongGapsAndUnscaledPosesAreNotSteps) {
  MovementEnergyTracker tracker(kOptions);
  ASSERT_THAT(tracker.Add(0, Person()), IsOk());
  ASSERT_THAT(tracker.Add(1500 * kMs, Person(1, 100)), IsOk());
  EXPECT_FALSE(tracker.Energy().energy.has_value()) << "1.5 s > max_step_us: not a step";

  PersonPose no_shoulders = Person(1, 110);
  no_shoulders.at(BodyPart::kLeftShoulder).score = 0.1f;
  ASSERT_THAT(tracker.Add(1600 * kMs, no_shoulders), IsOk());
  ASSERT_THAT(tracker.Add(1700 * kMs, Person(1, 120)), IsOk());
  EXPECT_FALSE(tracker.Energy().energy.has_value()) << "no body scale on one end";

  PersonPose few = Person(1, 130);
  for (BodyPart part :
       {BodyPart::kNose, BodyPart::kLeftEye, BodyPart::kRightEye, BodyPart::kLeftElbow,
        BodyPart::kRightElbow, BodyPart::kLeftWrist, BodyPart::kRightWrist}) {
    few.at(part).score = 0.0f;
  }  // 4 left: shoulders and hips
  ASSERT_THAT(tracker.Add(1800 * kMs, few), IsOk());
  EXPECT_NEAR(*tracker.Energy().energy, 1.0f, 1e-4) << "4 common keypoints are enough";
}

TEST(MovementEnergyTest, HostileInputNeverCrashes) {
  MovementEnergyTracker tracker(kOptions);
  EXPECT_THAT(tracker.Add(-5, Person()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("negative")));
  ASSERT_THAT(tracker.Add(0, Person()), IsOk());
  EXPECT_THAT(tracker.Add(0, Person()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not after")));

  PersonPose nan = Person(1, 10);
  nan.at(BodyPart::kNose).x = std::numeric_limits<float>::quiet_NaN();
  nan.at(BodyPart::kLeftWrist).y = std::numeric_limits<float>::infinity();
  ASSERT_THAT(tracker.Add(100 * kMs, nan), IsOk());
  EXPECT_NEAR(*tracker.Energy().energy, 1.0f, 1e-4) << "the 9 finite keypoints moved 10 px";

  PersonPose point;  // zero-size body
  for (BodyKeypoint& k : point.keypoints) k = BodyKeypoint{5, 5, 1};
  ASSERT_THAT(tracker.Add(200 * kMs, point), IsOk());
  ASSERT_THAT(tracker.Add(300 * kMs, point), IsOk());
  EXPECT_EQ(tracker.Energy().steps, 1) << "no scale, no step";

  PersonPose far = Person();
  for (BodyKeypoint& k : far.keypoints) k.x = k.x > 300 ? 3e38f : -3e38f;
  ASSERT_THAT(tracker.Add(400 * kMs, far), IsOk());
  ASSERT_THAT(tracker.Add(std::numeric_limits<int64_t>::max(), Person()), IsOk());
  const MovementEnergy energy = tracker.Energy();
  EXPECT_EQ(energy.steps, 0) << "everything left the window";
  EXPECT_FALSE(energy.energy.has_value());
}

TEST(MovementEnergyTest, HugeSpeedsSaturate) {
  MovementEnergyTracker tracker(kOptions);
  PersonPose a = Person();
  PersonPose b = Person();
  // Wrists jumping across the whole float range in 1 us; the body scale is
  // fine.
  a.at(BodyPart::kLeftWrist).x = -3e38f;
  b.at(BodyPart::kLeftWrist).x = 3e38f;
  ASSERT_THAT(tracker.Add(0, a), IsOk());
  ASSERT_THAT(tracker.Add(1, b), IsOk());
  const MovementEnergy energy = tracker.Energy();
  ASSERT_TRUE(energy.energy.has_value());
  EXPECT_EQ(*energy.energy, std::numeric_limits<float>::max()) << "saturated, not inf";
  EXPECT_FLOAT_EQ(energy.level, 1.0f);
}

TEST(MovementEnergyTest, StepsAreCapped) {
  MovementEnergyOptions options;
  options.max_steps = 8;
  MovementEnergyTracker tracker(options);
  for (int i = 0; i < 1000; ++i) ASSERT_THAT(tracker.Add(i * kMs, Person(1, i % 2)), IsOk());
  EXPECT_EQ(tracker.steps_held(), 8u);
  EXPECT_NEAR(*tracker.Energy().energy, 1.0f / 100 / 0.001f, 1e-2)
      << "1 px per ms on a 100 px body: 10 scales/s";
}

}  // namespace
}  // namespace affect::stream

#include "server/stream/lean_baseline.h"

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
using analysis::PostureCueKind;
using ::testing::HasSubstr;
using testing::kMs;
using testing::kSecond;

// Shoulders and hips of a person with body scale 100 px x `factor`.
PersonPose Torso(float factor) {
  PersonPose pose;
  pose.at(BodyPart::kLeftShoulder) = BodyKeypoint{300 + 50 * factor, 200, 0.9f};
  pose.at(BodyPart::kRightShoulder) = BodyKeypoint{300 - 50 * factor, 200, 0.9f};
  pose.at(BodyPart::kLeftHip) = BodyKeypoint{300 + 40 * factor, 200 + 130 * factor, 0.9f};
  pose.at(BodyPart::kRightHip) = BodyKeypoint{300 - 40 * factor, 200 + 130 * factor, 0.9f};
  return pose;
}

// Feeds 10 poses a second in [from, to) at `factor`; returns the last cue.
std::optional<analysis::PostureCue> Feed(LeanTracker* tracker, int64_t from_us, int64_t to_us,
                                         float factor) {
  std::optional<analysis::PostureCue> last;
  for (int64_t t = from_us; t < to_us; t += 100 * kMs) {
    auto cue = tracker->Observe(t, Torso(factor));
    EXPECT_THAT(cue, IsOk()) << "at " << t;
    if (cue.ok()) last = *cue;
  }
  return last;
}

const LeanTrackerOptions kOptions;

TEST(LeanTrackerTest, OptionsAreValidated) {
  EXPECT_THAT(ValidateLeanTrackerOptions(kOptions), IsOk());
  LeanTrackerOptions options;
  options.min_span_us = options.window_us + 1;
  EXPECT_THAT(ValidateLeanTrackerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("min_span_us")));
}

TEST(LeanTrackerTest, NoLeanBeforeTheBaselineIsKnown) {
  LeanTracker tracker(kOptions);
  EXPECT_FALSE(Feed(&tracker, 0, 3 * kSecond, 1.0f).has_value()) << "under 3 s of poses";
  EXPECT_FALSE(tracker.baseline().has_value());
  const auto cue = Feed(&tracker, 3 * kSecond, 3200 * kMs, 1.0f);
  ASSERT_TRUE(cue.has_value()) << "3.1 s of poses: the baseline is known";
  EXPECT_FLOAT_EQ(cue->score, 0.0f) << "the same size: no lean";
  EXPECT_FLOAT_EQ(*tracker.baseline(), 100.0f);
}

TEST(LeanTrackerTest, LeaningInAndAwayAgainstTheBaseline) {
  LeanTracker tracker(kOptions);
  Feed(&tracker, 0, 10 * kSecond, 1.0f);
  const auto in = Feed(&tracker, 10 * kSecond, 12 * kSecond, 1.3f);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->kind, PostureCueKind::kLeaningIn);
  EXPECT_TRUE(in->present) << in->evidence;
  EXPECT_NEAR(in->measure, 1.3f, 1e-4) << "a 2 s lean does not move the median";

  const auto away = Feed(&tracker, 12 * kSecond, 14 * kSecond, 0.8f);
  ASSERT_TRUE(away.has_value());
  EXPECT_EQ(away->kind, PostureCueKind::kLeaningAway);
  EXPECT_FLOAT_EQ(away->score, 1.0f) << away->evidence;
}

TEST(LeanTrackerTest, ALastingChangeIsAbsorbed) {
  LeanTracker tracker(kOptions);
  Feed(&tracker, 0, 30 * kSecond, 1.0f);
  // The person moves closer for good: leaning in at first ...
  const auto first = Feed(&tracker, 30 * kSecond, 31 * kSecond, 1.3f);
  EXPECT_TRUE(first->present) << first->evidence;
  // ... and the usual size after more than half the 30 s window.
  const auto later = Feed(&tracker, 31 * kSecond, 47 * kSecond, 1.3f);
  ASSERT_TRUE(later.has_value());
  EXPECT_FLOAT_EQ(later->score, 0.0f) << later->evidence;
  EXPECT_NEAR(*tracker.baseline(), 130.0f, 1e-3);
}

TEST(LeanTrackerTest, HostileInput) {
  LeanTracker tracker(kOptions);
  EXPECT_THAT(tracker.Observe(-1, Torso(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("negative")));
  Feed(&tracker, 0, 5 * kSecond, 1.0f);
  EXPECT_THAT(tracker.Observe(4 * kSecond, Torso(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not after")));

  PersonPose nan = Torso(1);
  nan.at(BodyPart::kLeftShoulder).x = std::numeric_limits<float>::quiet_NaN();
  const size_t held = tracker.poses_held();
  auto cue = tracker.Observe(5 * kSecond, nan);
  ASSERT_THAT(cue, IsOk());
  EXPECT_FALSE(cue->has_value()) << "no body scale: no lean";
  EXPECT_EQ(tracker.poses_held(), held) << "and nothing joins the baseline";

  cue = tracker.Observe(std::numeric_limits<int64_t>::max(), Torso(2));
  ASSERT_THAT(cue, IsOk());
  EXPECT_FALSE(cue->has_value()) << "every earlier pose left the window";
}

TEST(LeanTrackerTest, MemoryIsCapped) {
  LeanTrackerOptions options;
  options.max_poses = 64;
  LeanTracker tracker(options);
  for (int64_t i = 0; i < 5000; ++i) ASSERT_THAT(tracker.Observe(i * kMs, Torso(1)), IsOk());
  EXPECT_EQ(tracker.poses_held(), 64u);
}

}  // namespace
}  // namespace affect::stream

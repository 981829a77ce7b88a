#include "server/stream/attention_tracker.h"

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/stream/stream_test_util.h"
#include "tests/testing/status_matchers.h"

namespace affect::stream {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;
using testing::kMs;
using testing::kSecond;

AttentionSample Eyes(int64_t t, float openness) {
  AttentionSample sample;
  sample.timestamp_us = t;
  sample.eye_openness = openness;
  return sample;
}

// Feeds samples every `step_us` in [from_us, to_us) made by `make`, and
// collects the level changes.
void Drive(AttentionTracker* tracker, int64_t from_us, int64_t to_us, int64_t step_us,
           const std::function<AttentionSample(int64_t)>& make,
           std::vector<DrowsinessChange>* changes = nullptr) {
  for (int64_t t = from_us; t < to_us; t += step_us) {
    std::optional<DrowsinessChange> change;
    ASSERT_THAT(tracker->Add(make(t), &change), IsOk()) << "at " << t;
    if (change && changes != nullptr) changes->push_back(*change);
  }
}

// Slow blinks: eyes closed for the first `closed_us` of every `period_us`.
std::function<AttentionSample(int64_t)> Blinking(int64_t period_us, int64_t closed_us,
                                                 float open = 1.0f) {
  return [=](int64_t t) { return Eyes(t, t % period_us < closed_us ? 0.05f : open); };
}

TEST(AttentionTrackerTest, DefaultOptionsAreValidAndBadOnesNamed) {
  EXPECT_THAT(ValidateAttentionOptions(AttentionOptions{}), IsOk());
  AttentionOptions options;
  options.window_us = 0;
  EXPECT_THAT(ValidateAttentionOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("window_us")));
  options = AttentionOptions{};
  options.drowsy_perclos = 0.05f;
  EXPECT_THAT(ValidateAttentionOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("drowsy_perclos")))
      << "drowsy below tired";
  options = AttentionOptions{};
  options.closed_openness = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THAT(ValidateAttentionOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("closed_openness")));
}

TEST(AttentionTrackerTest, UnknownUntilTheEyesWereObservedLongEnough) {
  AttentionTracker tracker{AttentionOptions{}};
  Drive(&tracker, 0, 9 * kSecond, 100 * kMs, [](int64_t t) { return Eyes(t, 1.0f); });
  EXPECT_EQ(tracker.summary().level, DrowsinessLevel::kUnknown) << tracker.summary().evidence;
  EXPECT_FALSE(tracker.summary().perclos.has_value()) << "under 10 s observed";
  EXPECT_THAT(tracker.summary().evidence, HasSubstr("of the 10.0 s needed"));
  Drive(&tracker, 9 * kSecond, 11 * kSecond, 100 * kMs, [](int64_t t) { return Eyes(t, 1.0f); });
  EXPECT_EQ(tracker.summary().level, DrowsinessLevel::kAlert) << tracker.summary().evidence;
  EXPECT_FLOAT_EQ(*tracker.summary().perclos, 0.0f);
}

TEST(AttentionTrackerTest, DroopingEyesRaisePerclosAndTheLevelWithEvents) {
  AttentionTracker tracker{AttentionOptions{}};
  std::vector<DrowsinessChange> changes;
  // 30 s wide awake, normal 0.1 s blinks every 4 s.
  Drive(&tracker, 0, 30 * kSecond, 100 * kMs, Blinking(4 * kSecond, 100 * kMs), &changes);
  EXPECT_EQ(tracker.summary().level, DrowsinessLevel::kAlert) << tracker.summary().evidence;
  const float alert_perclos = *tracker.summary().perclos;
  EXPECT_NEAR(alert_perclos, 0.025f, 0.005f) << "0.1 s closed in every 4 s";
  EXPECT_TRUE(changes.empty()) << "the first known level is not a change";

  // 60 s of slow blinks: eyes closed 0.3 s of every 3 s (10% of the time).
  Drive(&tracker, 30 * kSecond, 90 * kSecond, 100 * kMs, Blinking(3 * kSecond, 300 * kMs),
        &changes);
  EXPECT_NEAR(*tracker.summary().perclos, 0.10f, 0.01f) << tracker.summary().evidence;
  EXPECT_EQ(tracker.summary().level, DrowsinessLevel::kTired) << tracker.summary().evidence;
  ASSERT_EQ(changes.size(), 1u) << "alert -> tired";
  EXPECT_EQ(changes[0].from, DrowsinessLevel::kAlert);
  EXPECT_EQ(changes[0].to, DrowsinessLevel::kTired);
  EXPECT_GT(changes[0].timestamp_us, 30 * kSecond) << "during the slow blinks";
  EXPECT_LT(changes[0].timestamp_us, 90 * kSecond);
  EXPECT_THAT(changes[0].evidence, HasSubstr("PERCLOS"));
  EXPECT_EQ(tracker.summary().long_closures, 0) << "0.3 s closures are blinks";

  // Then the eyes stay 10% open.
  Drive(
      &tracker, 90 * kSecond, 100 * kSecond, 100 * kMs, [](int64_t t) { return Eyes(t, 0.1f); },
      &changes);
  EXPECT_GT(*tracker.summary().perclos, 0.15f) << tracker.summary().evidence;
  EXPECT_EQ(tracker.summary().level, DrowsinessLevel::kDrowsy) << tracker.summary().evidence;
  ASSERT_EQ(changes.size(), 2u) << "tired -> drowsy";
  EXPECT_EQ(changes[1].from, DrowsinessLevel::kTired);
  EXPECT_EQ(changes[1].to, DrowsinessLevel::kDrowsy);
  EXPECT_EQ(changes[1].timestamp_us, 90 * kSecond + 600 * kMs)
      << "the first sample of a closure longer than 0.5 s";
  EXPECT_THAT(changes[1].evidence, HasSubstr("long eye closures"));
}

TEST(AttentionTrackerTest, CountsBlinksAndLongClosures) {
  AttentionTracker tracker{AttentionOptions{}};
  // 30 fps for 60 s: a 0.2 s blink every 5 s (12), plus one 1.5 s closure.
  const int64_t step = kSecond / 30;
  Drive(&tracker, 0, 60 * kSecond, step, [](int64_t t) {
    const int64_t in_period = t % (5 * kSecond);
    const bool blink = in_period >= 1 * kSecond && in_period < 1 * kSecond + 200 * kMs;
    const bool long_closure = t >= 33 * kSecond && t < 34500 * kMs;
    return Eyes(t, blink || long_closure ? 0.1f : 0.9f);
  });
  const AttentionSummary& s = tracker.summary();
  EXPECT_EQ(s.blinks, 12) << s.evidence;
  EXPECT_EQ(s.long_closures, 1) << s.evidence;
  EXPECT_NEAR(*s.blinks_per_minute, 12.0f, 0.3f) << "12 blinks in a minute observed";
  EXPECT_EQ(s.level, DrowsinessLevel::kDrowsy) << "a 1.5 s closure: " << s.evidence;
}

TEST(AttentionTrackerTest, PerclosIsTimeWeightedWithCappedGaps) {
  AttentionTracker tracker{AttentionOptions{}};
  // Samples every 0.4 s for 30 s, eyes closed only in the sample at 20 s:
  // held until 20.4 s, so 0.4 s closed of 30 s observed (the sample at 30 s
  // is credited when the next one comes).
  for (int64_t t = 0; t <= 30 * kSecond; t += 400 * kMs) {
    ASSERT_THAT(tracker.Add(Eyes(t, t == 20 * kSecond ? 0.0f : 1.0f), nullptr), IsOk());
  }
  EXPECT_NEAR(tracker.summary().eyes_closed_seconds, 0.4, 1e-9);
  EXPECT_NEAR(tracker.summary().eyes_observed_seconds, 30.0, 1e-9);
  EXPECT_NEAR(*tracker.summary().perclos, 0.4f / 30.0f, 1e-6);
  EXPECT_EQ(tracker.summary().blinks, 1) << "a 0.4 s closure";

  // 1 s to the next sample (closed), then 5 s with nothing: each gap is
  // credited for max_sample_gap_us (0.5 s) only, to the state before it.
  ASSERT_THAT(tracker.Add(Eyes(31 * kSecond, 0.0f), nullptr), IsOk());
  ASSERT_THAT(tracker.Add(Eyes(36 * kSecond, 1.0f), nullptr), IsOk());
  EXPECT_NEAR(tracker.summary().eyes_observed_seconds, 31.0, 1e-9) << "30 + 0.5 open + 0.5 closed";
  EXPECT_NEAR(tracker.summary().eyes_closed_seconds, 0.9, 1e-9) << "0.4 + 0.5";
  EXPECT_EQ(tracker.summary().long_closures, 0)
      << "a closure that spans an unobserved gap cannot be timed";
  EXPECT_EQ(tracker.summary().blinks, 1) << "nor counted as a blink";
}

TEST(AttentionTrackerTest, OldSamplesLeaveTheWindow) {
  AttentionOptions options;
  options.window_us = 20 * kSecond;
  AttentionTracker tracker{options};
  // 10 s closed (one long closure), then 30 s open.
  Drive(&tracker, 0, 40 * kSecond, 100 * kMs,
        [](int64_t t) { return Eyes(t, t < 10 * kSecond ? 0.0f : 1.0f); });
  EXPECT_EQ(tracker.summary().window_start_us, 40 * kSecond - 100 * kMs - 20 * kSecond);
  EXPECT_FLOAT_EQ(*tracker.summary().perclos, 0.0f) << "the closure is older than 20 s";
  EXPECT_EQ(tracker.summary().long_closures, 0);
  EXPECT_EQ(tracker.summary().measured_level, DrowsinessLevel::kAlert)
      << tracker.summary().evidence;
}

TEST(AttentionTrackerTest, LevelsRiseAtOnceAndFallAfterTheHold) {
  AttentionOptions options;
  options.window_us = 20 * kSecond;
  AttentionTracker tracker{options};
  std::vector<DrowsinessChange> changes;
  // 10 s open, 2 s closed (drowsy at once), then open for good.
  Drive(
      &tracker, 0, 60 * kSecond, 100 * kMs,
      [](int64_t t) { return Eyes(t, t >= 10 * kSecond && t < 12 * kSecond ? 0.0f : 1.0f); },
      &changes);
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes[0].from, DrowsinessLevel::kAlert);
  EXPECT_EQ(changes[0].to, DrowsinessLevel::kDrowsy);
  EXPECT_EQ(changes[0].timestamp_us, 10600 * kMs) << "the closure passed 0.5 s";
  // The long closure (stamped 10 s) leaves the 20 s window after 30 s:
  // measured tired (PERCLOS 0.10 -> 0.075) from 30.1 s, alert from 30.6 s.
  // A fall waits 10 s and goes to the highest level measured meanwhile:
  // tired, stamped 30.1 s (confirmed at 40.1 s); then alert, stamped 40.2 s.
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[1].from, DrowsinessLevel::kDrowsy);
  EXPECT_EQ(changes[1].to, DrowsinessLevel::kTired);
  EXPECT_EQ(changes[1].timestamp_us, 30100 * kMs);
  EXPECT_EQ(changes[2].from, DrowsinessLevel::kTired);
  EXPECT_EQ(changes[2].to, DrowsinessLevel::kAlert);
  EXPECT_EQ(changes[2].timestamp_us, 40200 * kMs);
  EXPECT_EQ(tracker.summary().level, DrowsinessLevel::kAlert);
}

TEST(AttentionTrackerTest, DetectsYawnsNotSpeech) {
  AttentionTracker tracker{AttentionOptions{}};
  const auto mouth = [](int64_t t, float openness) {
    AttentionSample sample = Eyes(t, 1.0f);
    sample.mouth_openness = openness;
    return sample;
  };
  // Speech: the mouth 0.6 open for 0.8 s at a time, every 2 s, for 20 s.
  Drive(&tracker, 0, 20 * kSecond, 100 * kMs,
        [&](int64_t t) { return mouth(t, t % (2 * kSecond) < 800 * kMs ? 0.6f : 0.1f); });
  EXPECT_EQ(tracker.summary().yawns, 0) << "open under 2 s at a time";
  // A 3 s yawn, and a wide-open 0.4 that never reaches the threshold.
  Drive(&tracker, 20 * kSecond, 23 * kSecond, 100 * kMs, [&](int64_t t) { return mouth(t, 0.8f); });
  Drive(&tracker, 23 * kSecond, 30 * kSecond, 100 * kMs, [&](int64_t t) { return mouth(t, 0.4f); });
  EXPECT_EQ(tracker.summary().yawns, 1) << tracker.summary().evidence;
  EXPECT_EQ(tracker.summary().level, DrowsinessLevel::kTired) << tracker.summary().evidence;
  EXPECT_THAT(tracker.summary().reasons, ::testing::Contains(HasSubstr("1 yawns >= 1")));
}

TEST(AttentionTrackerTest, DetectsNodsNotAHeadThatStaysDown) {
  AttentionTracker tracker{AttentionOptions{}};
  const auto head = [](int64_t t, float pitch) {
    AttentionSample sample = Eyes(t, 1.0f);
    sample.pitch_degrees = pitch;
    return sample;
  };
  // Level, with 4-degree wobble.
  Drive(&tracker, 0, 12 * kSecond, 100 * kMs,
        [&](int64_t t) { return head(t, (t / (100 * kMs)) % 2 == 0 ? 2.0f : -2.0f); });
  EXPECT_EQ(tracker.summary().nods, 0) << "wobble under the amplitude";
  // The head drops 25 degrees over 0.5 s and comes back within 0.5 s.
  Drive(&tracker, 12 * kSecond, 14 * kSecond, 100 * kMs, [&](int64_t t) {
    const int64_t dt = t - 12 * kSecond;
    const float pitch =
        dt <= 500 * kMs ? 50.0f * dt / kSecond : 25.0f - 50.0f * (dt - 500 * kMs) / kSecond;
    return head(t, std::max(pitch, 0.0f));
  });
  EXPECT_EQ(tracker.summary().nods, 1) << tracker.summary().evidence;
  // Head down for 5 s, then up: not a nod.
  Drive(&tracker, 14 * kSecond, 19 * kSecond, 100 * kMs, [&](int64_t t) { return head(t, 30.0f); });
  Drive(&tracker, 19 * kSecond, 22 * kSecond, 100 * kMs, [&](int64_t t) { return head(t, 0.0f); });
  EXPECT_EQ(tracker.summary().nods, 1) << "a sustained head-down is no nod";
  // A second nod makes the track drowsy.
  Drive(&tracker, 22 * kSecond, 24 * kSecond, 100 * kMs,
        [&](int64_t t) { return head(t, t < 22600 * kMs ? 20.0f : 0.0f); });
  EXPECT_EQ(tracker.summary().nods, 2);
  EXPECT_EQ(tracker.summary().level, DrowsinessLevel::kDrowsy) << tracker.summary().evidence;
}

TEST(AttentionTrackerTest, RefusesHostileTimestamps) {
  AttentionTracker tracker{AttentionOptions{}};
  EXPECT_THAT(tracker.Add(Eyes(-1, 1.0f), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("negative")));
  EXPECT_THAT(tracker.Add(Eyes(std::numeric_limits<int64_t>::min(), 1.0f), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("negative")));
  ASSERT_THAT(tracker.Add(Eyes(5 * kSecond, 1.0f), nullptr), IsOk());
  EXPECT_THAT(tracker.Add(Eyes(5 * kSecond, 0.0f), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not after")));
  EXPECT_THAT(tracker.Add(Eyes(4 * kSecond, 0.0f), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not after")));
  // A huge jump: nothing of it is credited, nothing overflows.
  const int64_t far = std::numeric_limits<int64_t>::max() - 1;
  ASSERT_THAT(tracker.Add(Eyes(far, 0.0f), nullptr), IsOk());
  ASSERT_THAT(tracker.Add(Eyes(std::numeric_limits<int64_t>::max(), 1.0f), nullptr), IsOk());
  const AttentionSummary& s = tracker.summary();
  EXPECT_NEAR(s.eyes_observed_seconds, 1e-6, 1e-12) << "only the last 1 us, closed";
  EXPECT_EQ(s.window_end_us, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(s.window_start_us, std::numeric_limits<int64_t>::max() - 60 * kSecond);
  EXPECT_EQ(s.level, DrowsinessLevel::kUnknown);
  EXPECT_THAT(tracker.Add(Eyes(std::numeric_limits<int64_t>::max(), 1.0f), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not after")));
}

TEST(AttentionTrackerTest, HostileValuesCountAsMissing) {
  AttentionTracker tracker{AttentionOptions{}};
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Drive(&tracker, 0, 20 * kSecond, 100 * kMs, [&](int64_t t) {
    AttentionSample sample;
    sample.timestamp_us = t;
    if (t % (200 * kMs) == 0)
      sample.eye_openness = 1.0f;  // every other sample NaN
    else
      sample.eye_openness = nan;
    sample.mouth_openness = std::numeric_limits<float>::infinity();
    sample.pitch_degrees = nan;
    return sample;
  });
  const AttentionSummary& s = tracker.summary();
  EXPECT_NEAR(s.eyes_observed_seconds, 10.0, 0.11) << "only the finite half is observed";
  EXPECT_EQ(s.yawns, 0) << "an infinite mouth is not a yawn";
  EXPECT_EQ(s.nods, 0);
  EXPECT_EQ(s.level, DrowsinessLevel::kAlert) << s.evidence;
}

TEST(AttentionTrackerTest, MemoryStaysBoundedOverLongStreams) {
  AttentionTracker tracker{AttentionOptions{}};
  size_t most = 0;
  // One hour at 30 fps, the worst case for the eye runs: the state flips
  // every frame; mouth and pitch swing too.
  const int64_t step = kSecond / 30;
  for (int64_t i = 0; i < 3600 * 30; ++i) {
    AttentionSample sample = Eyes(i * step, i % 2 == 0 ? 0.0f : 1.0f);
    sample.mouth_openness = (i / 90) % 2 == 0 ? 0.9f : 0.0f;
    sample.pitch_degrees = (i / 15) % 2 == 0 ? 20.0f : 0.0f;
    ASSERT_THAT(tracker.Add(sample, nullptr), IsOk());
    most = std::max(most, tracker.entries());
  }
  // A 60 s window at 30 fps: at most 1800 eye runs, 900 blinks, plus a few
  // yawns, nods and 2 s of pitch samples.
  EXPECT_LE(most, 1800u + 900u + 40u + 120u + 61u) << "entries held at most";
  EXPECT_GT(tracker.summary().blinks, 800) << "the figures still cover the window";

  AttentionOptions capped;
  capped.max_window_entries = 16;
  AttentionTracker small{capped};
  for (int64_t i = 0; i < 10000; ++i) {
    ASSERT_THAT(small.Add(Eyes(i * step, i % 2 == 0 ? 0.0f : 1.0f), nullptr), IsOk());
  }
  EXPECT_LE(small.entries(), 6u * 16u) << "every list capped at max_window_entries";
}

}  // namespace
}  // namespace affect::stream

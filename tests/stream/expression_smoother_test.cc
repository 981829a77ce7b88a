#include "server/stream/expression_smoother.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/stream/stream_test_util.h"
#include "tests/testing/status_matchers.h"

namespace affect::stream {
namespace {

using ::affect::testing::StatusIs;
using ::testing::HasSubstr;
using testing::kMs;
using testing::OneHot;
using testing::ScoreOf;
using testing::Scores;

ExpressionSmootherOptions Window(int frames) {
  ExpressionSmootherOptions options;
  options.window_frames = frames;
  return options;
}

TEST(ExpressionSmootherTest, AveragesTheFramesInTheWindow) {
  ExpressionSmoother smoother(Window(3));
  smoother.Add(0, Scores({{v1::EXPRESSION_HAPPY, 0.9f}, {v1::EXPRESSION_NEUTRAL, 0.1f}}));
  smoother.Add(1, Scores({{v1::EXPRESSION_HAPPY, 0.6f}, {v1::EXPRESSION_NEUTRAL, 0.4f}}));
  smoother.Add(2, Scores({{v1::EXPRESSION_HAPPY, 0.3f}, {v1::EXPRESSION_NEUTRAL, 0.7f}}));
  EXPECT_EQ(smoother.frames(), 3) << "three frames in a window of three";
  EXPECT_NEAR(ScoreOf(smoother.smoothed(), v1::EXPRESSION_HAPPY), 0.6f, 1e-6) << "(0.9+0.6+0.3)/3";
  EXPECT_NEAR(ScoreOf(smoother.smoothed(), v1::EXPRESSION_NEUTRAL), 0.4f, 1e-6)
      << "(0.1+0.4+0.7)/3";
}

TEST(ExpressionSmootherTest, OlderFramesLeaveTheWindow) {
  ExpressionSmoother smoother(Window(3));
  smoother.Add(0, OneHot(v1::EXPRESSION_SAD));
  for (int i = 1; i <= 3; ++i) smoother.Add(i, OneHot(v1::EXPRESSION_HAPPY));
  EXPECT_EQ(smoother.frames(), 3) << "the window holds at most 3 frames";
  EXPECT_FLOAT_EQ(ScoreOf(smoother.smoothed(), v1::EXPRESSION_SAD), 0.0f)
      << "the sad frame is 4 frames old: out of a 3-frame window";
  EXPECT_FLOAT_EQ(ScoreOf(smoother.smoothed(), v1::EXPRESSION_HAPPY), 1.0f)
      << "only happy frames left";
}

TEST(ExpressionSmootherTest, WindowOfOneFollowsTheLastFrame) {
  ExpressionSmoother smoother(Window(1));
  smoother.Add(0, OneHot(v1::EXPRESSION_SAD));
  smoother.Add(1, OneHot(v1::EXPRESSION_FEAR));
  EXPECT_FLOAT_EQ(ScoreOf(smoother.smoothed(), v1::EXPRESSION_FEAR), 1.0f)
      << "no smoothing with N = 1";
}

TEST(ExpressionSmootherTest, FirstFrameSetsTheDominantWithoutAnEvent) {
  ExpressionSmoother smoother(Window(15));
  EXPECT_EQ(smoother.dominant(), v1::EXPRESSION_UNSPECIFIED) << "nothing seen yet";
  EXPECT_FALSE(smoother.Add(0, OneHot(v1::EXPRESSION_HAPPY)).has_value())
      << "a first reading is not a change";
  EXPECT_EQ(smoother.dominant(), v1::EXPRESSION_HAPPY) << "dominant after the first frame";
}

TEST(ExpressionSmootherTest, FlickerBetweenTwoClassesProducesNoEvent) {
  ExpressionSmoother smoother(Window(15));
  int events = 0;
  for (int i = 0; i < 300; ++i) {
    const bool odd = i % 2 == 1;
    // The raw dominant alternates every frame between happy and sad.
    const auto scores = Scores(
        {{v1::EXPRESSION_HAPPY, odd ? 0.45f : 0.55f}, {v1::EXPRESSION_SAD, odd ? 0.55f : 0.45f}});
    if (smoother.Add(i * 33 * kMs, scores).has_value()) ++events;
  }
  EXPECT_EQ(events, 0) << "raw flicker averages out and never leads by the margin";
}

TEST(ExpressionSmootherTest, IsolatedSpikesProduceNoEvent) {
  ExpressionSmoother smoother(Window(15));
  int events = 0;
  for (int i = 0; i < 300; ++i) {
    // Neutral, with a one-frame surprise every 7th frame.
    const auto scores =
        i % 7 == 3 ? OneHot(v1::EXPRESSION_SURPRISE) : OneHot(v1::EXPRESSION_NEUTRAL);
    if (smoother.Add(i * 33 * kMs, scores).has_value()) ++events;
  }
  EXPECT_EQ(events, 0) << "single-frame spikes never take the smoothed lead";
  EXPECT_EQ(smoother.dominant(), v1::EXPRESSION_NEUTRAL) << "neutral throughout";
}

TEST(ExpressionSmootherTest, RealChangeGivesOneEventStampedAtTheFirstLeadingFrame) {
  ExpressionSmoother smoother(Window(5));  // min_lead_frames 3, margin 0.05
  std::vector<v1::ExpressionChange> events;
  std::vector<int> event_frames;
  for (int i = 0; i < 40; ++i) {
    const auto scores = i < 20 ? OneHot(v1::EXPRESSION_NEUTRAL) : OneHot(v1::EXPRESSION_HAPPY);
    auto change = smoother.Add(i * 100 * kMs, scores);
    if (change.has_value()) {
      events.push_back(*change);
      event_frames.push_back(i);
    }
  }
  // Smoothed happy: frame 20: 0.2, 21: 0.4, 22: 0.6 (leads neutral 0.4): the
  // first leading frame is 22; it has led 3 frames at frame 24.
  ASSERT_EQ(events.size(), 1u) << "one real change, one event";
  EXPECT_EQ(event_frames[0], 24) << "decided after leading 3 consecutive frames";
  EXPECT_EQ(events[0].timestamp_us(), 2200 * kMs) << "stamped with frame 22, the first to lead";
  EXPECT_EQ(events[0].from(), v1::EXPRESSION_NEUTRAL) << "from neutral";
  EXPECT_EQ(events[0].to(), v1::EXPRESSION_HAPPY) << "to happy";
  EXPECT_NEAR(events[0].score(), 0.6f, 1e-6) << "smoothed happy at frame 22";
  EXPECT_EQ(smoother.dominant(), v1::EXPRESSION_HAPPY) << "dominant follows the event";
}

TEST(ExpressionSmootherTest, ALeadShorterThanTheDebounceGivesNoEvent) {
  ExpressionSmootherOptions options = Window(1);
  options.min_lead_frames = 3;
  ExpressionSmoother smoother(options);
  smoother.Add(0, OneHot(v1::EXPRESSION_NEUTRAL));
  EXPECT_FALSE(smoother.Add(1, OneHot(v1::EXPRESSION_ANGRY)).has_value()) << "lead 1 frame";
  EXPECT_FALSE(smoother.Add(2, OneHot(v1::EXPRESSION_ANGRY)).has_value()) << "lead 2 frames";
  EXPECT_FALSE(smoother.Add(3, OneHot(v1::EXPRESSION_NEUTRAL)).has_value()) << "back: reset";
  EXPECT_FALSE(smoother.Add(4, OneHot(v1::EXPRESSION_ANGRY)).has_value()) << "lead 1 frame again";
  EXPECT_EQ(smoother.dominant(), v1::EXPRESSION_NEUTRAL) << "angry never held 3 frames";
}

TEST(ExpressionSmootherTest, ALeadBelowTheMarginGivesNoEvent) {
  ExpressionSmoother smoother(Window(1));  // margin 0.05
  smoother.Add(0, Scores({{v1::EXPRESSION_NEUTRAL, 0.6f}, {v1::EXPRESSION_SAD, 0.4f}}));
  for (int i = 1; i < 50; ++i) {
    EXPECT_FALSE(
        smoother.Add(i, Scores({{v1::EXPRESSION_NEUTRAL, 0.48f}, {v1::EXPRESSION_SAD, 0.52f}}))
            .has_value())
        << "sad leads by 0.04 < 0.05 at frame " << i;
  }
  EXPECT_EQ(smoother.dominant(), v1::EXPRESSION_NEUTRAL) << "a lead under the margin never counts";
}

TEST(ExpressionSmootherTest, ScoresFromResultNormalisesAndRejectsBadInput) {
  v1::ExpressionResult result;
  auto* happy = result.add_scores();
  happy->set_expression(v1::EXPRESSION_HAPPY);
  happy->set_score(0.3f);
  auto* sad = result.add_scores();
  sad->set_expression(v1::EXPRESSION_SAD);
  sad->set_score(0.1f);
  const auto scores = ScoresFromResult(result);
  ASSERT_TRUE(scores.has_value()) << "two valid scores";
  EXPECT_NEAR(ScoreOf(*scores, v1::EXPRESSION_HAPPY), 0.75f, 1e-6) << "0.3 / 0.4";
  EXPECT_NEAR(ScoreOf(*scores, v1::EXPRESSION_SAD), 0.25f, 1e-6) << "0.1 / 0.4";
  sad->set_score(-0.1f);
  EXPECT_FALSE(ScoresFromResult(result).has_value()) << "a negative score is not a probability";
  EXPECT_FALSE(ScoresFromResult(v1::ExpressionResult()).has_value()) << "no scores";
}

TEST(ExpressionSmootherTest, RejectsAWindowOutOfRange) {
  EXPECT_THAT(ValidateExpressionSmootherOptions(Window(0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0 is outside [1, 300]")))
      << "window 0";
  EXPECT_THAT(ValidateExpressionSmootherOptions(Window(301)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("301 is outside [1, 300]")))
      << "window 301";
}

}  // namespace
}  // namespace affect::stream

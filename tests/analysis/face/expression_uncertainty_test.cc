// EXPRESSION_UNCERTAIN instead of a label when the top score is below the
// model's min_confidence or the ensemble members disagree strongly; the
// scores stay (expression_uncertainty.h).
#include "server/analysis/face/expression_uncertainty.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/analysis/face/expression_labels.h"

namespace affect::analysis {
namespace {

using ::testing::HasSubstr;

// Canonical order: angry, disgust, fear, happy, sad, surprise, neutral.
ExpressionScores Scores(float happy, float neutral, float sad) {
  ExpressionScores scores{};
  scores[3] = happy;
  scores[6] = neutral;
  scores[4] = sad;
  return scores;
}

v1::ExpressionResult Result(const ExpressionScores& scores) {
  v1::ModelRef model;
  model.set_name("expression");
  return MakeExpressionResult(scores, model);
}

TEST(ExpressionUncertaintyTest, LowTopScoreIsUncertainWithScoresKept) {
  v1::ExpressionResult result = Result(Scores(0.41f, 0.35f, 0.24f));
  ApplyExpressionUncertainty(0.55f, {}, &result);
  EXPECT_EQ(result.dominant(), v1::EXPRESSION_UNCERTAIN) << "0.41 < 0.55";
  ASSERT_TRUE(result.has_uncertainty());
  EXPECT_EQ(result.uncertainty().top(), v1::EXPRESSION_HAPPY) << "what it would have said";
  EXPECT_FLOAT_EQ(result.uncertainty().top_score(), 0.41f);
  EXPECT_FLOAT_EQ(result.uncertainty().min_confidence(), 0.55f);
  EXPECT_THAT(result.uncertainty().reason(),
              HasSubstr("top score 0.41 (happy) is below min_confidence 0.55"));
  EXPECT_EQ(result.scores_size(), kNumExpressions) << "the scores are still reported";
  EXPECT_FLOAT_EQ(result.dominant_score(), 0.41f);
  EXPECT_EQ(ExpressionName(result.dominant()), "uncertain");
}

TEST(ExpressionUncertaintyTest, ConfidentAgreeingReadingKeepsItsLabel) {
  const ExpressionScores scores = Scores(0.8f, 0.15f, 0.05f);
  v1::ExpressionResult result = Result(scores);
  ApplyExpressionUncertainty(0.55f, {{"emotion", Scores(0.85f, 0.1f, 0.05f)},
                                     {"face_expression", Scores(0.75f, 0.2f, 0.05f)}},
                             &result);
  EXPECT_EQ(result.dominant(), v1::EXPRESSION_HAPPY);
  EXPECT_FALSE(result.has_uncertainty());
}

TEST(ExpressionUncertaintyTest, StronglyDisagreeingMembersAreUncertainEvenWhenTheMeanIsHigh) {
  // Mean happy 0.6 passes 0.55, but one member says happy, the other neutral.
  v1::ExpressionResult result = Result(Scores(0.6f, 0.4f, 0.0f));
  ApplyExpressionUncertainty(0.55f, {{"emotion", Scores(1.0f, 0.0f, 0.0f)},
                                     {"face_expression", Scores(0.2f, 0.8f, 0.0f)}},
                             &result);
  EXPECT_EQ(result.dominant(), v1::EXPRESSION_UNCERTAIN);
  EXPECT_NEAR(result.uncertainty().member_disagreement(), 0.8f, 1e-6);
  EXPECT_THAT(result.uncertainty().reason(),
              HasSubstr("emotion reads happy, face_expression reads neutral (disagreement "
                        "0.80 > 0.50)"));
}

TEST(ExpressionUncertaintyTest, ZeroMinConfidenceTurnsTheScoreRuleOff) {
  v1::ExpressionResult result = Result(Scores(0.3f, 0.3f, 0.4f));
  ApplyExpressionUncertainty(0.0f, {}, &result);
  EXPECT_EQ(result.dominant(), v1::EXPRESSION_SAD);
}

TEST(ExpressionUncertaintyTest, ScoreDistanceIsTotalVariation) {
  EXPECT_FLOAT_EQ(ScoreDistance(Scores(1, 0, 0), Scores(0, 1, 0)), 1.0f) << "disjoint";
  EXPECT_FLOAT_EQ(ScoreDistance(Scores(0.5f, 0.5f, 0), Scores(0.5f, 0.5f, 0)), 0.0f) << "equal";
  EXPECT_NEAR(ScoreDistance(Scores(0.7f, 0.3f, 0), Scores(0.5f, 0.5f, 0)), 0.2f, 1e-6);
}

}  // namespace
}  // namespace affect::analysis

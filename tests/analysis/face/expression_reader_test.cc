#include "server/analysis/face/expression_reader.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/analysis/face/circumplex.h"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<std::string> kEmotionLabels = {"angry", "disgust", "fear",   "happy",
                                                 "sad",   "surprise", "neutral"};
const std::vector<std::string> kFaceApiLabels = {"neutral", "happy",     "sad",      "angry",
                                                 "fearful", "disgusted", "surprised"};

ExpressionReader Reader(const std::vector<std::string>& labels) {
  v1::ModelRef model;
  model.set_name("test");
  absl::StatusOr<ExpressionReader> reader = ExpressionReader::Create(labels, model);
  EXPECT_THAT(reader, IsOk()) << "known labels";
  return *std::move(reader);
}

TEST(ExpressionLabelsTest, MapsFaceApiLabels) {
  absl::StatusOr<std::vector<v1::Expression>> mapped = MapExpressionLabels(kFaceApiLabels);
  ASSERT_THAT(mapped, IsOk()) << "face-api labels";
  EXPECT_THAT(*mapped, ElementsAre(v1::EXPRESSION_NEUTRAL, v1::EXPRESSION_HAPPY,
                                   v1::EXPRESSION_SAD, v1::EXPRESSION_ANGRY, v1::EXPRESSION_FEAR,
                                   v1::EXPRESSION_DISGUST, v1::EXPRESSION_SURPRISE))
      << "fearful/disgusted/surprised map by name";
}

TEST(ExpressionLabelsTest, IgnoresCaseAndSpaces) {
  absl::StatusOr<v1::Expression> e = ExpressionFromLabel(" Happy ");
  ASSERT_THAT(e, IsOk()) << "mixed case";
  EXPECT_EQ(*e, v1::EXPRESSION_HAPPY) << "happy";
}

TEST(ExpressionLabelsTest, RejectsUnknownLabels) {
  EXPECT_THAT(MapExpressionLabels({"neutral", "contempt"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'contempt'")))
      << "no canonical class for contempt";
  EXPECT_THAT(MapExpressionLabels({}), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("no labels")))
      << "empty label list";
}

TEST(ExpressionReaderTest, ReordersScoresIntoCanonicalOrder) {
  const Tensor probabilities({7}, {0.1f, 0.6f, 0.1f, 0.05f, 0.05f, 0.04f, 0.06f});
  absl::StatusOr<v1::ExpressionResult> result = Reader(kFaceApiLabels).Read(probabilities);
  ASSERT_THAT(result, IsOk()) << "valid probabilities";
  ASSERT_EQ(result->scores_size(), 7) << "all seven classes";
  EXPECT_EQ(result->scores(0).expression(), v1::EXPRESSION_ANGRY) << "enum order";
  EXPECT_NEAR(result->scores(0).score(), 0.05f, 1e-6f) << "angry was 4th in face-api order";
  EXPECT_NEAR(result->scores(3).score(), 0.6f, 1e-6f) << "happy";
  EXPECT_NEAR(result->scores(6).score(), 0.1f, 1e-6f) << "neutral";
  EXPECT_EQ(result->dominant(), v1::EXPRESSION_HAPPY) << "highest score";
  EXPECT_NEAR(result->dominant_score(), 0.6f, 1e-6f) << "its score";
  EXPECT_EQ(result->model().name(), "test") << "model recorded";
}

TEST(ExpressionReaderTest, AcceptsALeadingBatchOfOne) {
  const Tensor probabilities({1, 7}, {0, 0, 0, 1, 0, 0, 0});
  absl::StatusOr<v1::ExpressionResult> result = Reader(kEmotionLabels).Read(probabilities);
  ASSERT_THAT(result, IsOk()) << "[1, 7]";
  EXPECT_EQ(result->dominant(), v1::EXPRESSION_HAPPY) << "one-hot happy";
}

TEST(ExpressionReaderTest, RenormalisesSmallRoundingErrors) {
  const Tensor probabilities({7}, {0, 0, 0, 0.99f, 0, 0, 0});
  absl::StatusOr<ExpressionScores> scores = Reader(kEmotionLabels).CanonicalScores(probabilities);
  ASSERT_THAT(scores, IsOk()) << "within tolerance";
  EXPECT_NEAR((*scores)[3], 1.0f, 1e-6f) << "scaled to sum 1";
}

TEST(ExpressionReaderTest, RejectsLogitsAndWrongSizes) {
  const ExpressionReader reader = Reader(kEmotionLabels);
  EXPECT_THAT(reader.Read(Tensor({7}, {2.0f, -1.0f, 0, 0, 0, 0, 0})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a probability")))
      << "negative value";
  EXPECT_THAT(reader.Read(Tensor({7}, {2.0f, 1.0f, 0, 0, 0, 0, 0})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("softmax")))
      << "sums to 3";
  EXPECT_THAT(reader.Read(Tensor({8})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("7 labels")))
      << "eight values";
}

TEST(ExpressionReaderTest, TiesGoToTheEarlierClass) {
  const v1::ExpressionResult result =
      MakeExpressionResult({0, 0, 0, 0.5f, 0.5f, 0, 0}, v1::ModelRef());
  EXPECT_EQ(result.dominant(), v1::EXPRESSION_HAPPY) << "happy precedes sad";
}

TEST(CircumplexTest, PureClassesSitAtTheirTableCoordinates) {
  for (int i = 0; i < kNumExpressions; ++i) {
    ExpressionScores scores{};
    scores[static_cast<size_t>(i)] = 1.0f;
    const v1::Expression e = CanonicalExpressions()[static_cast<size_t>(i)];
    const v1::ExpressionResult result = MakeExpressionResult(scores, v1::ModelRef());
    EXPECT_FLOAT_EQ(result.valence(), CircumplexCoordinates(e).valence) << ExpressionName(e);
    EXPECT_FLOAT_EQ(result.arousal(), CircumplexCoordinates(e).arousal) << ExpressionName(e);
  }
}

TEST(CircumplexTest, TableFollowsTheCircumplexQuadrants) {
  EXPECT_GT(CircumplexCoordinates(v1::EXPRESSION_HAPPY).valence, 0.5f) << "happy is pleasant";
  EXPECT_LT(CircumplexCoordinates(v1::EXPRESSION_SAD).arousal, 0.0f) << "sad is low arousal";
  EXPECT_GT(CircumplexCoordinates(v1::EXPRESSION_SURPRISE).arousal, 0.5f) << "surprise aroused";
  EXPECT_LT(CircumplexCoordinates(v1::EXPRESSION_ANGRY).valence, 0.0f) << "anger unpleasant";
  EXPECT_GT(CircumplexCoordinates(v1::EXPRESSION_FEAR).arousal, 0.0f) << "fear aroused";
  EXPECT_FLOAT_EQ(CircumplexCoordinates(v1::EXPRESSION_NEUTRAL).valence, 0.0f) << "origin";
  EXPECT_FLOAT_EQ(CircumplexCoordinates(v1::EXPRESSION_NEUTRAL).arousal, 0.0f) << "origin";
}

TEST(CircumplexTest, MixturesAverageTheCoordinates) {
  ExpressionScores scores{};
  scores[3] = 0.5f;  // happy
  scores[4] = 0.5f;  // sad
  const CircumplexPoint p = ExpectedCircumplex(scores);
  EXPECT_NEAR(p.valence, 0.05f, 1e-6f) << "(0.8 - 0.7) / 2";
  EXPECT_NEAR(p.arousal, -0.05f, 1e-6f) << "(0.3 - 0.4) / 2";
}

}  // namespace
}  // namespace affect::analysis

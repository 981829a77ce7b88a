// The evaluation's metrics on hand-counted inputs.
#include "client/eval/confusion_matrix.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect::eval {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::DoubleNear;
using ::testing::HasSubstr;
using ::testing::Optional;

// Three classes, nine samples:
//   truth 0: predicted 0, 0, 1      -> row [2 1 0], recall 2/3
//   truth 1: predicted 1, 2         -> row [0 1 1], recall 1/2
//   truth 2: predicted 2, 2, 2, 0   -> row [1 0 3], recall 3/4
ConfusionMatrix NineSamples() {
  ConfusionMatrix matrix(3);
  for (auto [truth, predicted] :
       {std::pair{0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 2}, {2, 2}, {2, 2}, {2, 2}, {2, 0}}) {
    EXPECT_THAT(matrix.Add(truth, predicted), IsOk()) << truth << " -> " << predicted;
  }
  return matrix;
}

TEST(ConfusionMatrixTest, CountsRowsByTruthAndColumnsByPrediction) {
  const ConfusionMatrix matrix = NineSamples();
  const int64_t expected[3][3] = {{2, 1, 0}, {0, 1, 1}, {1, 0, 3}};
  for (int t = 0; t < 3; ++t) {
    for (int p = 0; p < 3; ++p) {
      EXPECT_EQ(matrix.count(t, p), expected[t][p]) << "truth " << t << " predicted " << p;
    }
  }
  EXPECT_EQ(matrix.support(0), 3) << "row sums";
  EXPECT_EQ(matrix.support(1), 2) << "row sums";
  EXPECT_EQ(matrix.support(2), 4) << "row sums";
  EXPECT_EQ(matrix.predicted_total(0), 3) << "column sums";
  EXPECT_EQ(matrix.predicted_total(1), 2) << "column sums";
  EXPECT_EQ(matrix.predicted_total(2), 4) << "column sums";
  EXPECT_EQ(matrix.total(), 9) << "every sample";
  EXPECT_EQ(matrix.correct(), 6) << "the diagonal";
}

TEST(ConfusionMatrixTest, RecallIsTheDiagonalOverTheRow) {
  const ConfusionMatrix matrix = NineSamples();
  EXPECT_THAT(matrix.Recall(0), Optional(DoubleNear(2.0 / 3.0, 1e-12))) << "2 of 3";
  EXPECT_THAT(matrix.Recall(1), Optional(DoubleNear(0.5, 1e-12))) << "1 of 2";
  EXPECT_THAT(matrix.Recall(2), Optional(DoubleNear(0.75, 1e-12))) << "3 of 4";
}

TEST(ConfusionMatrixTest, AccuracyIsCorrectOverTotalAndMeanRecallAveragesClasses) {
  const ConfusionMatrix matrix = NineSamples();
  EXPECT_THAT(matrix.Accuracy(), Optional(DoubleNear(6.0 / 9.0, 1e-12))) << "6 of 9";
  EXPECT_THAT(matrix.MeanRecall(), Optional(DoubleNear((2.0 / 3.0 + 0.5 + 0.75) / 3.0, 1e-12)))
      << "unweighted mean of the three recalls";
}

TEST(ConfusionMatrixTest, ClassesWithoutSamplesHaveNoRecallAndAreLeftOutOfTheMean) {
  ConfusionMatrix matrix(4);
  ASSERT_THAT(matrix.Add(0, 0), IsOk()) << "one right";
  ASSERT_THAT(matrix.Add(1, 3), IsOk()) << "one wrong, predicted as a class without samples";
  EXPECT_EQ(matrix.Recall(3), std::nullopt) << "class 3 has no samples";
  EXPECT_EQ(matrix.Recall(2), std::nullopt) << "class 2 has no samples";
  EXPECT_THAT(matrix.MeanRecall(), Optional(DoubleNear(0.5, 1e-12))) << "(1 + 0) / 2 classes";
  EXPECT_EQ(matrix.predicted_total(3), 1) << "predictions of class 3 still count";
}

TEST(ConfusionMatrixTest, UnansweredSamplesCountAgainstRecallAndAccuracy) {
  ConfusionMatrix matrix = NineSamples();
  ASSERT_THAT(matrix.AddUnanswered(1), IsOk()) << "a class-1 sample without a prediction";
  EXPECT_EQ(matrix.unanswered(1), 1) << "kept apart from the columns";
  EXPECT_EQ(matrix.support(1), 3) << "but in its row";
  EXPECT_EQ(matrix.total(), 10) << "and in the total";
  EXPECT_EQ(matrix.total_unanswered(), 1) << "one unanswered";
  EXPECT_THAT(matrix.Recall(1), Optional(DoubleNear(1.0 / 3.0, 1e-12))) << "1 of 3";
  EXPECT_THAT(matrix.Accuracy(), Optional(DoubleNear(0.6, 1e-12))) << "6 of 10";
}

TEST(ConfusionMatrixTest, AnEmptyMatrixHasNoAccuracy) {
  const ConfusionMatrix matrix(7);
  EXPECT_EQ(matrix.total(), 0) << "nothing counted";
  EXPECT_EQ(matrix.Accuracy(), std::nullopt) << "0/0 is undefined, not 0";
  EXPECT_EQ(matrix.MeanRecall(), std::nullopt) << "no class has samples";
}

TEST(ConfusionMatrixTest, RejectsClassesOutOfRangeWithoutCounting) {
  ConfusionMatrix matrix(3);
  EXPECT_THAT(matrix.Add(3, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("class out of range")))
      << "truth past the last class";
  EXPECT_THAT(matrix.Add(0, -1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("class out of range")))
      << "negative prediction";
  EXPECT_THAT(matrix.AddUnanswered(7),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("class out of range")))
      << "unanswered truth past the last class";
  EXPECT_EQ(matrix.total(), 0) << "nothing was counted";
}

}  // namespace
}  // namespace affect::eval

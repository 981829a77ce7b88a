// How eval prints its report: the table's cells, the confusion matrix, JSON.
#include "client/eval/eval_report.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/analysis/face/expression_labels.h"

namespace affect::eval {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kHappy = 3;
constexpr int kSad = 4;
constexpr int kNeutral = 6;

// One model, one setting; happy 2 of 3 right (one read as neutral), neutral
// 1 of 1, and one sad face without an answer.
EvaluationReport SmallReport() {
  EvaluationReport report;
  v1::ModelRef model;
  model.set_name("emotion");
  model.set_version(1);
  report.models.push_back(model);
  report.settings.push_back(CropSetting{"square", std::nullopt});
  ModelCropResult result;
  result.policy = "detector+square";
  for (auto [truth, predicted] :
       {std::pair{kHappy, kHappy}, {kHappy, kHappy}, {kHappy, kNeutral}, {kNeutral, kNeutral}}) {
    EXPECT_TRUE(result.matrix.Add(truth, predicted).ok()) << "fixture";
  }
  EXPECT_TRUE(result.matrix.AddUnanswered(kSad).ok()) << "fixture";
  report.results.push_back({result});
  report.images = 5;
  return report;
}

TEST(EvalReportTest, TableShowsAccuracyAndRecallAsFractions) {
  const std::string table = FormatAccuracyTable(SmallReport());
  EXPECT_THAT(table, HasSubstr("0.600 (3/5)")) << "accuracy: the unanswered face counts\n" << table;
  EXPECT_THAT(table, HasSubstr("0.67 (2/3)")) << "happy recall\n" << table;
  EXPECT_THAT(table, HasSubstr("1.00 (1/1)")) << "neutral recall\n" << table;
  EXPECT_THAT(table, HasSubstr("0.00 (0/1)")) << "sad recall\n" << table;
  EXPECT_THAT(table, HasSubstr("0.556")) << "mean recall (2/3 + 0 + 1) / 3\n" << table;
  EXPECT_THAT(table, HasSubstr("detector+square")) << "the policy used\n" << table;
}

TEST(EvalReportTest, ConfusionMatrixListsOnlyClassesWithSamplesAndTheUnanswered) {
  const std::string matrix = FormatConfusionMatrix(SmallReport().results[0][0].matrix);
  EXPECT_THAT(matrix, HasSubstr("none")) << "a column for faces without an answer\n" << matrix;
  EXPECT_THAT(matrix, HasSubstr("\n  happy")) << "a row per class with samples\n" << matrix;
  EXPECT_THAT(matrix, Not(HasSubstr("\n  angry"))) << "no row for a class without samples\n"
                                                   << matrix;
}

TEST(EvalReportTest, JsonCarriesEveryCombinationWithNullForUndefinedRecall) {
  const std::string json = EvaluationReportJson(SmallReport(), "set \"A\"");
  EXPECT_THAT(json, HasSubstr("\"dataset\":\"set \\\"A\\\"\"")) << "escaped\n" << json;
  EXPECT_THAT(json, HasSubstr("\"model\":\"emotion\",\"crop\":\"square\"")) << json;
  EXPECT_THAT(json, HasSubstr("\"accuracy\":0.6,\"correct\":3,\"total\":5,\"unanswered\":1"))
      << json;
  EXPECT_THAT(json, HasSubstr("\"angry\":null")) << "no angry samples\n" << json;
  EXPECT_THAT(json, HasSubstr("[0,0,0,2,0,0,1]")) << "the happy row\n" << json;
  EXPECT_EQ(json.back(), '\n') << "one line";
}

TEST(EvalReportTest, JsonGivesEveryReadingsSevenScoresOrNullWithoutAnAnswer) {
  EvaluationReport report = SmallReport();
  ImageReading answered;
  answered.path = "happy/a.jpg";
  answered.truth = v1::EXPRESSION_HAPPY;
  answered.predicted = {{v1::EXPRESSION_HAPPY}};
  answered.confidence = {{0.7f}};
  answered.uncertain = {{false}};
  answered.scores = {{{0.05f, 0, 0, 0.7f, 0.125f, 0, 0.125f}}};
  ImageReading unanswered = answered;
  unanswered.path = "sad/b.jpg";
  unanswered.predicted = {{v1::EXPRESSION_UNSPECIFIED}};
  unanswered.scores = {{{}}};
  report.readings = {answered, unanswered};
  const std::string json = EvaluationReportJson(report, "set");
  EXPECT_THAT(json, HasSubstr("\"scores\":{\"square\":{\"emotion\":[0.05,0,0,0.7,0.125,0,0.125]}}"))
      << "canonical order, per setting and model\n"
      << json;
  EXPECT_THAT(json, HasSubstr("\"scores\":{\"square\":{\"emotion\":null}}"))
      << "no answer, no scores\n"
      << json;
}

TEST(EvalReportTest, JsonStringEscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"") << "all escaped";
}

}  // namespace
}  // namespace affect::eval

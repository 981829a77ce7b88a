// Bias measurement (client/eval/group_report.h, group_chart.h): per-group
// figures and the largest gap, as text, JSON and a chart, on readings
// built by hand.
#include "client/eval/group_report.h"

#include <opencv2/imgcodecs.hpp>

#include "client/eval/group_chart.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace affect::eval {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ImageReading Reading(const std::string& group, v1::Expression truth, v1::Expression predicted,
                     float confidence, bool uncertain = false) {
  ImageReading reading;
  reading.path = group + "/face";
  reading.group = group;
  reading.truth = truth;
  reading.predicted = {{predicted}};
  reading.confidence = {{confidence}};
  reading.uncertain = {{uncertain}};
  return reading;
}

// Group "bright": 4 happy faces all right (0.9), 1 neutral right.
// Group "dim": 4 happy faces, 1 right (0.9 each: overconfident), 1 neutral
// read as sad, and one uncertain.
EvaluationReport TwoGroups() {
  EvaluationReport report;
  v1::ModelRef model;
  model.set_name("expression");
  model.set_version(1);
  report.models.push_back(model);
  report.settings.push_back(CropSetting{"configured", std::nullopt});
  report.results.resize(1);
  report.results[0].resize(1);
  report.results[0][0].policy = "as its members";
  for (int i = 0; i < 4; ++i) {
    report.readings.push_back(
        Reading("bright", v1::EXPRESSION_HAPPY, v1::EXPRESSION_HAPPY, 0.9f));
  }
  report.readings.push_back(
      Reading("bright", v1::EXPRESSION_NEUTRAL, v1::EXPRESSION_NEUTRAL, 0.7f));
  report.readings.push_back(Reading("dim", v1::EXPRESSION_HAPPY, v1::EXPRESSION_HAPPY, 0.9f));
  for (int i = 0; i < 3; ++i) {
    report.readings.push_back(
        Reading("dim", v1::EXPRESSION_HAPPY, v1::EXPRESSION_NEUTRAL, 0.9f, i == 0));
  }
  report.readings.push_back(Reading("dim", v1::EXPRESSION_NEUTRAL, v1::EXPRESSION_SAD, 0.6f));
  report.images = report.readings.size();
  return report;
}

TEST(GroupReportTest, FiguresPerGroupAndOverall) {
  auto report = MakeGroupReport(TwoGroups(), 0, 0);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->overall.matrix.total(), 10);
  EXPECT_EQ(report->overall.matrix.correct(), 6);
  ASSERT_EQ(report->groups.size(), 2u);
  const GroupFigures& bright = report->groups[0];
  const GroupFigures& dim = report->groups[1];
  EXPECT_EQ(bright.group, "bright") << "sorted by name";
  EXPECT_DOUBLE_EQ(bright.matrix.Accuracy().value_or(-1), 1.0);
  EXPECT_DOUBLE_EQ(dim.matrix.Accuracy().value_or(-1), 0.2);
  EXPECT_DOUBLE_EQ(dim.matrix.Recall(3).value_or(-1), 0.25) << "happy: 1 of 4";
  EXPECT_EQ(dim.uncertain, 1);
  EXPECT_EQ(report->overall.uncertain, 1);
  // dim: bin (0.8,0.9]: 4 at 0.9, 1 right -> 0.65 x 4/5; bin (0.5,0.6]: 1 at 0.6 wrong -> 0.6 x 1/5.
  EXPECT_NEAR(dim.ece.value_or(-1), 0.65 * 0.8 + 0.6 * 0.2, 1e-6);
}

TEST(GroupReportTest, LargestGapComesFirstAndNamesBothGroups) {
  auto report = MakeGroupReport(TwoGroups(), 0, 0);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_FALSE(report->gaps.empty());
  const GroupGap& largest = report->gaps.front();
  EXPECT_NEAR(largest.gap, 1.0, 1e-9) << "recall of neutral: 1.0 vs 0.0";
  EXPECT_EQ(largest.figure, "recall of neutral");
  EXPECT_EQ(largest.best_group, "bright");
  EXPECT_EQ(largest.worst_group, "dim");
  for (size_t i = 1; i < report->gaps.size(); ++i) {
    EXPECT_LE(report->gaps[i].gap, report->gaps[i - 1].gap) << "largest first";
  }
  bool ece_seen = false;
  for (const GroupGap& gap : report->gaps) {
    if (gap.figure != "ECE") continue;
    ece_seen = true;
    EXPECT_EQ(gap.best_group, "bright") << "lower calibration error is better";
  }
  EXPECT_TRUE(ece_seen);
}

TEST(GroupReportTest, TextAndJsonCarryTheFiguresAndTheGap) {
  auto report = MakeGroupReport(TwoGroups(), 0, 0);
  ASSERT_TRUE(report.ok()) << report.status();
  const std::string text = FormatGroupReport(*report);
  EXPECT_THAT(text, HasSubstr("Largest gap between groups: recall of neutral: 1.00 ('bright' "
                              "1.00, 'dim' 0.00)"))
      << text;
  EXPECT_THAT(text, HasSubstr("0.20 (1/5)")) << "dim's accuracy with its counts\n" << text;
  EXPECT_THAT(text, HasSubstr("Confusion matrix, dim:")) << text;
  EXPECT_THAT(text, HasSubstr("ECE")) << text;
  const std::string json = GroupReportJson(*report);
  EXPECT_THAT(json, HasSubstr("\"group\":\"dim\",\"subjects\":5,\"accuracy\":0.2")) << json;
  EXPECT_THAT(json, HasSubstr("\"largest_gap\":{\"figure\":\"recall of neutral\"")) << json;
  EXPECT_THAT(json, HasSubstr("\"uncertain\":1")) << json;
  EXPECT_THAT(json, Not(HasSubstr("\n"))) << "one line";
}

TEST(GroupReportTest, WithoutGroupsOnlyTheOverallFiguresAndNoGap) {
  EvaluationReport ungrouped = TwoGroups();
  for (ImageReading& reading : ungrouped.readings) reading.group.clear();
  auto report = MakeGroupReport(ungrouped, 0, 0);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->groups.empty());
  EXPECT_TRUE(report->gaps.empty());
  EXPECT_TRUE(report->overall.ece.has_value()) << "calibration error without groups too";
  EXPECT_THAT(FormatGroupReport(*report), HasSubstr("No groups"));
  EXPECT_THAT(GroupReportJson(*report), HasSubstr("\"largest_gap\":null"));
}

TEST(GroupReportTest, OutOfRangeIndexIsAnError) {
  EXPECT_EQ(MakeGroupReport(TwoGroups(), 1, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeGroupReport(TwoGroups(), 0, 3).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(GroupChartTest, WritesAPngWithABarPerGroup) {
  auto report = MakeGroupReport(TwoGroups(), 0, 0);
  ASSERT_TRUE(report.ok()) << report.status();
  testing::TempDir dir;
  const std::string path = dir.Join("groups.png");
  ASSERT_TRUE(WriteGroupChart(*report, path).ok());
  const cv::Mat chart = cv::imread(path, cv::IMREAD_COLOR);
  ASSERT_FALSE(chart.empty()) << "a readable PNG";
  EXPECT_GE(chart.cols, 640);
  // The first group's colour (RGB 31,119,180 -> BGR) fills its bars.
  cv::Mat mask;
  cv::inRange(chart, cv::Scalar(180, 119, 31), cv::Scalar(180, 119, 31), mask);
  EXPECT_GT(cv::countNonZero(mask), 500) << "bars of the first group are drawn";
  EXPECT_FALSE(WriteGroupChart(*report, dir.Join("chart.unknown-format")).ok());
}

}  // namespace
}  // namespace affect::eval

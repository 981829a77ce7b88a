// Bias measurement end to end: `affect-client eval` on a grouped dataset the
// test builds itself (the repository's labelled demo faces, written by
// WriteDemoExpressionDataset and split into two groups by photo), with the
// real models: the per-group report as text and JSON, and the PNG chart.
// The images derive from third-party photos: they live in a temporary
// folder and are deleted with it.
#include <filesystem>
#include <iostream>
#include <string>

#include <opencv2/imgcodecs.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/eval/expression_evaluator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/client_runner.h"
#include "tests/eval/demo_expression_dataset.h"
#include "tests/testing/real_models.h"
#include "tests/testing/temp_dir.h"

namespace affect::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// DIR/<group>/<class>/... from DIR-less <class>/sample<photo>_... files:
// photos 1-3 are one group, 4-6 the other.
int SplitIntoGroups(const std::string& flat, const std::string& grouped) {
  int moved = 0;
  for (const auto& entry : fs::recursive_directory_iterator(flat)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    const std::string klass = entry.path().parent_path().filename().string();
    const bool early = absl::StartsWith(name, "sample1") || absl::StartsWith(name, "sample2") ||
                       absl::StartsWith(name, "sample3");
    const fs::path target = fs::path(grouped) / (early ? "photos-1-3" : "photos-4-6") / klass;
    fs::create_directories(target);
    fs::copy_file(entry.path(), target / name);
    ++moved;
  }
  return moved;
}

TEST(GroupedEvalTest, EvalReportsPerGroupFiguresTheLargestGapAndDrawsTheChart) {
  AFFECT_REQUIRE_REAL_MODELS();
  TempDir dir;
  {
    eval::EvaluatorOptions options;
    options.model_repository = RealModelRepository();
    auto evaluator = eval::ExpressionEvaluator::Create(options);
    ASSERT_TRUE(evaluator.ok()) << evaluator.status();
    const std::string photos = fs::path(DemoPhotoPath(1)).parent_path().string();
    auto written = WriteDemoExpressionDataset(**evaluator, photos, dir.Join("flat"));
    ASSERT_TRUE(written.ok()) << written.status();
  }
  const std::string dataset = dir.Join("grouped");
  ASSERT_EQ(SplitIntoGroups(dir.Join("flat"), dataset), 16) << "the 16 labelled demo faces";

  const std::string chart = dir.Join("groups.png");
  const client::RunOutput json = client::RunAffectClient(
      {"eval", absl::StrCat("--dataset=", dataset),
       absl::StrCat("--model_repository=", RealModelRepository()), "--crop_policies=configured",
       absl::StrCat("--chart=", chart), "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"group_report\":{\"model\":\"expression\"")) << json.out;
  EXPECT_THAT(json.out, HasSubstr("\"group\":\"photos-1-3\"")) << json.out;
  EXPECT_THAT(json.out, HasSubstr("\"group\":\"photos-4-6\"")) << json.out;
  EXPECT_THAT(json.out, HasSubstr("\"largest_gap\":{\"figure\":")) << "two groups: a gap";
  EXPECT_THAT(json.out, HasSubstr("\"ece\":")) << json.out;
  const cv::Mat image = cv::imread(chart, cv::IMREAD_COLOR);
  EXPECT_FALSE(image.empty()) << "the chart is a readable PNG: " << json.err;

  const client::RunOutput text = client::RunAffectClient(
      {"eval", absl::StrCat("--dataset=", dataset),
       absl::StrCat("--model_repository=", RealModelRepository()), "--crop_policies=configured",
       "--output=table"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("Per-group figures: expression")) << text.out;
  EXPECT_THAT(text.out, HasSubstr("Largest gap between groups: ")) << text.out;
  EXPECT_THAT(text.out, HasSubstr("Confusion matrix, photos-4-6:")) << text.out;
  std::cout << text.out;  // the report, for people reading the test log
}

}  // namespace
}  // namespace affect::testing

// The repository's own expression accuracy check: the labelled demo faces
// (demo_expression_labels.h) read by the real models with the configured
// crop policies. The ensemble must read them at least as well as the better
// of its members alone. Prints the full table (every crop policy), the one
// docs/accuracy.md shows.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "client/eval/crop_setting.h"
#include "client/eval/eval_report.h"
#include "client/eval/expression_dataset.h"
#include "client/eval/expression_evaluation.h"
#include "client/eval/expression_evaluator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/media/image_decoder.h"
#include "tests/eval/demo_expression_dataset.h"
#include "tests/eval/demo_expression_labels.h"
#include "tests/testing/real_models.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace affect::testing {
namespace {

using ::testing::IsEmpty;
using ::testing::SizeIs;

// 22 faces on the six photos, 16 of them labelled (14 happy, 2 neutral).
constexpr int kDemoFaces = 22;
constexpr int kLabelledDemoFaces = 16;

std::string DemoPhotoDir() {
  return std::filesystem::path(DemoPhotoPath(1)).parent_path().string();
}

class ExpressionAccuracyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!MissingRealModels().empty()) return;
    eval::EvaluatorOptions options;
    options.model_repository = RealModelRepository();
    auto evaluator = eval::ExpressionEvaluator::Create(options);
    ASSERT_TRUE(evaluator.ok()) << "the real models load: " << evaluator.status();
    evaluator_ = evaluator->release();
  }
  static void TearDownTestSuite() {
    delete evaluator_;
    evaluator_ = nullptr;
  }
  void SetUp() override {
    AFFECT_REQUIRE_REAL_MODELS();
    ASSERT_NE(evaluator_, nullptr) << "the evaluator failed to start (see the suite set-up)";
  }

  static eval::ExpressionEvaluator* evaluator_;
};
eval::ExpressionEvaluator* ExpressionAccuracyTest::evaluator_ = nullptr;

absl::StatusOr<std::shared_ptr<const cv::Mat>> DecodePhoto(int photo) {
  v1::Image image;
  image.set_encoded(ReadBinaryFile(DemoPhotoPath(photo)));
  absl::StatusOr<cv::Mat> rgb = DecodeImage(image, ImageDecodeOptions());
  if (!rgb.ok()) return rgb.status();
  return std::make_shared<const cv::Mat>(*std::move(rgb));
}

// Ensemble at least as accurate as the better member under the first
// setting (`configured`); the message carries the whole table.
void ExpectEnsembleAtLeastAsGoodAsTheBetterMember(const eval::EvaluationReport& report,
                                                  const std::string& table) {
  ASSERT_THAT(report.models, SizeIs(3)) << "two members and the ensemble";
  ASSERT_GT(report.models[2].members_size(), 0) << "the ensemble comes last";
  ASSERT_EQ(report.settings[0].name, "configured") << "the default list starts with it";
  const std::vector<eval::ModelCropResult>& configured = report.results[0];
  EXPECT_EQ(configured[2].matrix.total(), kLabelledDemoFaces) << "every face is judged";
  const int64_t better_member =
      std::max(configured[0].matrix.correct(), configured[1].matrix.correct());
  EXPECT_GE(configured[2].matrix.correct(), better_member)
      << "with the configured crop policies the ensemble must be at least as accurate as the "
         "better member alone\n"
      << table;
}

TEST_F(ExpressionAccuracyTest, EveryDetectedDemoFaceIsLabelledOrSkipped) {
  int faces = 0;
  int labelled = 0;
  for (int photo = 1; photo <= kDemoPhotos; ++photo) {
    auto rgb = DecodePhoto(photo);
    ASSERT_TRUE(rgb.ok()) << "sample" << photo << ": " << rgb.status();
    auto detections = evaluator_->DetectFaces(*rgb);
    ASSERT_TRUE(detections.ok()) << "sample" << photo << ": " << detections.status();
    auto matched = MatchDemoFaceLabels(photo, *detections);
    ASSERT_TRUE(matched.ok()) << matched.status();
    faces += static_cast<int>(detections->size());
    for (const LabelledFace& face : *matched) {
      if (face.label.expression != v1::EXPRESSION_UNSPECIFIED) ++labelled;
    }
  }
  EXPECT_EQ(faces, kDemoFaces) << "the detector's faces on the six photos";
  EXPECT_EQ(labelled, kLabelledDemoFaces) << "the others were skipped by the labeller";
}

// The faces as Analyze sees them: detected on the whole photos.
TEST_F(ExpressionAccuracyTest, EnsembleReadsTheWholePhotosAtLeastAsWellAsTheBetterMember) {
  auto settings = eval::ParseCropSettings(eval::DefaultCropSettings());
  ASSERT_TRUE(settings.ok()) << settings.status();
  eval::EvaluationReport report = eval::StartEvaluationReport(*evaluator_, *settings);
  for (int photo = 1; photo <= kDemoPhotos; ++photo) {
    auto rgb = DecodePhoto(photo);
    ASSERT_TRUE(rgb.ok()) << "sample" << photo << ": " << rgb.status();
    auto detections = evaluator_->DetectFaces(*rgb);
    ASSERT_TRUE(detections.ok()) << "sample" << photo << ": " << detections.status();
    auto matched = MatchDemoFaceLabels(photo, *detections);
    ASSERT_TRUE(matched.ok()) << matched.status();
    for (const LabelledFace& face : *matched) {
      if (face.label.expression == v1::EXPRESSION_UNSPECIFIED) continue;
      const std::string id =
          absl::StrCat("sample", photo, " (", face.label.x, ", ", face.label.y, ")");
      ASSERT_TRUE(
          eval::AddSubjectToReport(*evaluator_, id, face.label.expression, *rgb, face.face, &report)
              .ok())
          << id;
      ++report.images;
    }
  }
  const std::string text =
      eval::FormatEvaluationReport(report, "the labelled demo faces, on the whole photos");
  std::cout << text;
  ExpectEnsembleAtLeastAsGoodAsTheBetterMember(report, text);
}

// The same faces through `affect-client eval`'s path: written as a dataset
// (context crops), read back, detected again.
TEST_F(ExpressionAccuracyTest, EnsembleReadsTheDemoDatasetAtLeastAsWellAsTheBetterMember) {
  TempDir dir;
  auto written = WriteDemoExpressionDataset(*evaluator_, DemoPhotoDir(), dir.path());
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_THAT(written->files, SizeIs(kLabelledDemoFaces)) << "one image per labelled face";
  auto images = eval::ReadExpressionDataset(dir.path());
  ASSERT_TRUE(images.ok()) << images.status();
  auto settings = eval::ParseCropSettings(eval::DefaultCropSettings());
  ASSERT_TRUE(settings.ok()) << settings.status();
  auto report = eval::EvaluateExpressionDataset(*evaluator_, *images, *settings);
  ASSERT_TRUE(report.ok()) << report.status();
  const std::string text = eval::FormatEvaluationReport(*report, "the labelled demo dataset");
  std::cout << text;
  EXPECT_THAT(report->skipped, IsEmpty()) << "every written face is found again\n" << text;
  ExpectEnsembleAtLeastAsGoodAsTheBetterMember(*report, text);
}

}  // namespace
}  // namespace affect::testing

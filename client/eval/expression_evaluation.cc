#include "client/eval/expression_evaluation.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/analysis/face/expression_labels.h"
#include "server/common/status_macros.h"
#include "server/media/image_decoder.h"

namespace affect::eval {
namespace {

absl::StatusOr<std::shared_ptr<const cv::Mat>> ReadImage(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError("cannot be opened");
  std::ostringstream bytes;
  bytes << file.rdbuf();
  v1::Image image;
  image.set_encoded(bytes.str());
  AFFECT_ASSIGN_OR_RETURN(cv::Mat rgb, DecodeImage(image, ImageDecodeOptions()));
  return std::make_shared<const cv::Mat>(std::move(rgb));
}

// The subject: the face with the largest box.
analysis::FaceDetection LargestFace(const std::vector<analysis::FaceDetection>& faces) {
  const analysis::FaceDetection* largest = &faces.front();
  for (const analysis::FaceDetection& face : faces) {
    if (face.box.area() > largest->box.area()) largest = &face;
  }
  return *largest;
}

// The score `result` gives `truth`.
double ScoreOf(const v1::ExpressionResult& result, v1::Expression truth) {
  for (const v1::ExpressionScore& score : result.scores()) {
    if (score.expression() == truth) return score.score();
  }
  return 0.0;
}

}  // namespace

std::optional<double> ModelCropResult::MeanTrueClassProbability() const {
  if (matrix.total() == 0) return std::nullopt;
  return true_class_probability_sum / static_cast<double>(matrix.total());
}

EvaluationReport StartEvaluationReport(const ExpressionEvaluator& evaluator,
                                       const std::vector<CropSetting>& settings) {
  EvaluationReport report;
  report.models = evaluator.models();
  report.settings = settings;
  report.results.resize(settings.size());
  for (size_t s = 0; s < settings.size(); ++s) {
    for (size_t m = 0; m < report.models.size(); ++m) {
      ModelCropResult result;
      result.policy = evaluator.PolicyOf(m, settings[s]);
      report.results[s].push_back(std::move(result));
    }
  }
  return report;
}

absl::Status AddSubjectToReport(const ExpressionEvaluator& evaluator, const std::string& id,
                                v1::Expression truth, std::shared_ptr<const cv::Mat> rgb,
                                const analysis::FaceDetection& face, EvaluationReport* report,
                                const std::string& group) {
  const int truth_index = analysis::ExpressionIndex(truth);
  if (truth_index < 0) {
    return absl::InvalidArgumentError(absl::StrCat(id, ": the label is not an expression class"));
  }
  auto subject = std::make_shared<const std::vector<analysis::FaceDetection>>(
      std::vector<analysis::FaceDetection>{face});
  ImageReading reading;
  reading.path = id;
  reading.truth = truth;
  reading.group = group;
  for (size_t s = 0; s < report->settings.size(); ++s) {
    AFFECT_ASSIGN_OR_RETURN(std::vector<FaceExpressions> readings,
                            evaluator.ReadExpressions(rgb, subject, report->settings[s]));
    std::vector<v1::Expression> predicted;
    std::vector<float> confidence;
    std::vector<bool> uncertain;
    std::vector<std::vector<float>> scores;
    for (size_t m = 0; m < report->models.size(); ++m) {
      ModelCropResult& counts = report->results[s][m];
      ConfusionMatrix& matrix = counts.matrix;
      const std::optional<v1::ExpressionResult>& result = readings.at(m).at(0);
      if (result.has_value()) {
        const bool is_uncertain = result->dominant() == v1::EXPRESSION_UNCERTAIN;
        const v1::Expression top = is_uncertain ? result->uncertainty().top() : result->dominant();
        counts.true_class_probability_sum += ScoreOf(*result, truth);
        if (is_uncertain) ++counts.uncertain;
        predicted.push_back(top);
        confidence.push_back(result->dominant_score());
        uncertain.push_back(is_uncertain);
        std::vector<float>& seven = scores.emplace_back();
        for (const v1::Expression expression : analysis::CanonicalExpressions()) {
          seven.push_back(static_cast<float>(ScoreOf(*result, expression)));
        }
        AFFECT_RETURN_IF_ERROR(matrix.Add(truth_index, analysis::ExpressionIndex(top)));
      } else {
        predicted.push_back(v1::EXPRESSION_UNSPECIFIED);
        confidence.push_back(0.0f);
        uncertain.push_back(false);
        scores.emplace_back();
        AFFECT_RETURN_IF_ERROR(matrix.AddUnanswered(truth_index));
      }
    }
    reading.predicted.push_back(std::move(predicted));
    reading.confidence.push_back(std::move(confidence));
    reading.uncertain.push_back(std::move(uncertain));
    reading.scores.push_back(std::move(scores));
  }
  report->readings.push_back(std::move(reading));
  return absl::OkStatus();
}

absl::StatusOr<EvaluationReport> EvaluateExpressionDataset(const ExpressionEvaluator& evaluator,
                                                           const std::vector<DatasetImage>& images,
                                                           const std::vector<CropSetting>& settings,
                                                           const EvaluationProgress& progress) {
  EvaluationReport report = StartEvaluationReport(evaluator, settings);
  report.images = images.size();
  for (size_t i = 0; i < images.size(); ++i) {
    const DatasetImage& image = images[i];
    absl::StatusOr<std::shared_ptr<const cv::Mat>> rgb = ReadImage(image.path);
    if (!rgb.ok()) {
      report.skipped.push_back({image.path, std::string(rgb.status().message())});
    } else {
      AFFECT_ASSIGN_OR_RETURN(std::vector<analysis::FaceDetection> faces,
                              evaluator.DetectFaces(*rgb));
      if (faces.empty()) {
        report.skipped.push_back({image.path, "no face found"});
      } else {
        AFFECT_RETURN_IF_ERROR(AddSubjectToReport(evaluator, image.path, image.truth, *rgb,
                                                  LargestFace(faces), &report, image.group));
      }
    }
    if (progress) progress(i + 1, images.size());
  }
  return report;
}

}  // namespace affect::eval

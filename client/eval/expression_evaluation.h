// An accuracy evaluation of expression models over a labelled dataset: for
// every crop setting and every model (an ensemble's members alone and the
// ensemble), a confusion matrix of the dataset's subjects.
//
// The subject of an image is its largest detected face. Images that cannot
// be decoded or show no face are listed as skipped and left out of every
// matrix, so all models and settings are judged on the same faces.
#ifndef AFFECT_CLIENT_EVAL_EXPRESSION_EVALUATION_H_
#define AFFECT_CLIENT_EVAL_EXPRESSION_EVALUATION_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "affect/v1/results.pb.h"
#include "client/eval/confusion_matrix.h"
#include "client/eval/crop_setting.h"
#include "client/eval/expression_dataset.h"
#include "client/eval/expression_evaluator.h"
#include "opencv2/core/mat.hpp"
#include "server/analysis/face/expression_labels.h"
#include "server/analysis/face/face_detection_decoder.h"

namespace affect::eval {

// One (model, crop setting) combination.
struct ModelCropResult {
  // The crop policy it used, as a spec (see ExpressionEvaluator::PolicyOf).
  std::string policy;
  // Over the canonical classes (analysis::CanonicalExpressions() order).
  ConfusionMatrix matrix{analysis::kNumExpressions};
  // Sum over the subjects of the probability the model gave the true class
  // (0 for a subject without an answer).
  double true_class_probability_sum = 0.0;
  // Subjects the model reported as EXPRESSION_UNCERTAIN (below its
  // min_confidence, or members disagreeing). They are counted in the matrix
  // under their top class: the evaluation measures the classifier, and this
  // count shows how often the service would have abstained.
  int64_t uncertain = 0;

  // The mean of that probability over matrix.total() subjects: unlike
  // accuracy it moves when a face is read a little better or worse, which
  // on a small set separates settings that accuracy counts as ties.
  // nullopt when there is no subject.
  std::optional<double> MeanTrueClassProbability() const;
};

struct SkippedImage {
  std::string path;
  std::string reason;
};

// What one subject was read as.
struct ImageReading {
  // The image path (or another name the caller gave the subject).
  std::string path;
  v1::Expression truth = v1::EXPRESSION_UNSPECIFIED;
  // The deployer's group of the subject (dataset folder); empty without.
  std::string group;
  // predicted[setting][model]: the top class (also when the model reported
  // the face as uncertain); UNSPECIFIED where the model gave no answer.
  std::vector<std::vector<v1::Expression>> predicted;
  // confidence[setting][model]: the top class's score (0 without an
  // answer), for the calibration error.
  std::vector<std::vector<float>> confidence;
  // uncertain[setting][model]: reported as EXPRESSION_UNCERTAIN.
  std::vector<std::vector<bool>> uncertain;
  // scores[setting][model]: the seven scores (CanonicalExpressions() order),
  // empty without an answer: enough to fit ensemble weights or a
  // calibration on a tuning part without reading the images again.
  std::vector<std::vector<std::vector<float>>> scores;
};

struct EvaluationReport {
  std::vector<v1::ModelRef> models;
  std::vector<CropSetting> settings;
  // results[setting][model].
  std::vector<std::vector<ModelCropResult>> results;
  // Images in the dataset, and those evaluated (in dataset order).
  size_t images = 0;
  std::vector<ImageReading> readings;
  std::vector<SkippedImage> skipped;
};

// An empty report over the evaluator's models and `settings`.
EvaluationReport StartEvaluationReport(const ExpressionEvaluator& evaluator,
                                       const std::vector<CropSetting>& settings);

// Reads one labelled face (`face` in `rgb`) under every setting of `report`
// with every model and counts it there (as a reading named `id`). For
// callers that choose their subjects themselves, e.g. the labelled faces of
// whole photos; EvaluateExpressionDataset uses it for each image's largest
// face.
// `group`: the subject's group (empty without groups).
absl::Status AddSubjectToReport(const ExpressionEvaluator& evaluator, const std::string& id,
                                v1::Expression truth, std::shared_ptr<const cv::Mat> rgb,
                                const analysis::FaceDetection& face, EvaluationReport* report,
                                const std::string& group = "");

// Called after each image with (images done, images in all).
using EvaluationProgress = std::function<void(size_t done, size_t total)>;

// Evaluates every image under every setting. Fails only when the models
// fail (an image that cannot be read is skipped, not an error).
absl::StatusOr<EvaluationReport> EvaluateExpressionDataset(
    const ExpressionEvaluator& evaluator, const std::vector<DatasetImage>& images,
    const std::vector<CropSetting>& settings, const EvaluationProgress& progress = nullptr);

}  // namespace affect::eval

#endif  // AFFECT_CLIENT_EVAL_EXPRESSION_EVALUATION_H_

// The service's own face detection and expression code, run in-process over
// a model repository, with the face crop under the caller's control: what
// `affect-client eval` measures with. The gRPC API cannot do this (a
// request cannot choose the crop policy or ask one ensemble member alone),
// which is why eval loads the models itself instead of calling a server.
//
// Faces are found by the image pipeline exactly as Analyze finds them (the
// detector's configured thresholds); expressions are read by ExpressionStage,
// the code that serves them, with each model's face_crop replaced by the
// setting's policy (or kept, for `configured`).
//
// Thread-safe. Blocking: every method waits for the models.
#ifndef AFFECT_CLIENT_EVAL_EXPRESSION_EVALUATOR_H_
#define AFFECT_CLIENT_EVAL_EXPRESSION_EVALUATOR_H_

#include <map>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "affect/v1/results.pb.h"
#include "client/eval/crop_setting.h"
#include "server/analysis/face/face_detection_decoder.h"
#include "server/engine/thread_pool.h"
#include "server/models/model_repository.h"
#include "server/pipeline/expression_stage.h"
#include "server/pipeline/image_pipeline.h"

namespace affect::eval {

struct EvaluatorOptions {
  // Folder of model folders (models/repository).
  std::string model_repository;
  // The expression model to evaluate: an ensemble (then each of its members
  // is evaluated alone too) or a single model. Empty: the one the service
  // uses for facial expression (an ensemble wins over a plain model).
  std::string model;
  // Threads for pre- and post-processing.
  int worker_threads = 2;
};

class ExpressionEvaluator {
 public:
  // Loads every model of the repository on the CPU (blocks until done).
  // FAILED_PRECONDITION, with the repository's reason, when the face
  // detector or the expression model (or a member) is not READY; NOT_FOUND
  // for a missing repository or model.
  static absl::StatusOr<std::unique_ptr<ExpressionEvaluator>> Create(
      const EvaluatorOptions& options);
  ~ExpressionEvaluator();
  ExpressionEvaluator(const ExpressionEvaluator&) = delete;
  ExpressionEvaluator& operator=(const ExpressionEvaluator&) = delete;

  // The evaluated models: an ensemble's members first (each alone), then
  // the ensemble (its ref lists the members' versions); or the one model.
  const std::vector<v1::ModelRef>& models() const { return models_; }

  // The faces the service finds in `rgb` (RGB, CV_8UC3), highest detector
  // score first.
  absl::StatusOr<std::vector<analysis::FaceDetection>> DetectFaces(
      std::shared_ptr<const cv::Mat> rgb) const;

  // Every model's reading of every face under `setting`:
  // result[model][face], models() order; nullopt where a model's crop could
  // not be made.
  absl::StatusOr<std::vector<FaceExpressions>> ReadExpressions(
      std::shared_ptr<const cv::Mat> rgb,
      std::shared_ptr<const std::vector<analysis::FaceDetection>> faces,
      const CropSetting& setting) const;

  // The crop policy a model of models() uses under `setting`, as a spec
  // ("detector+square"); for an ensemble under `configured`, its members'
  // ("emotion: detector+square; face_expression: keypoints+align").
  std::string PolicyOf(size_t model, const CropSetting& setting) const;

 private:
  // One stage per model of models(), all cutting faces under one setting.
  using SettingStages = std::vector<std::shared_ptr<const ExpressionStage>>;

  ExpressionEvaluator() = default;
  // The member handle (config copied, face_crop replaced) for `setting`.
  absl::StatusOr<ModelHandle> MemberFor(const std::string& name, const CropSetting& setting) const;
  absl::StatusOr<std::shared_ptr<const SettingStages>> StagesFor(const CropSetting& setting) const;

  std::unique_ptr<ModelRepository> repository_;
  std::unique_ptr<ThreadPool> workers_;
  std::shared_ptr<ImagePipeline> pipeline_;
  ModelHandle expression_model_;
  // Member names of the ensemble (empty for a single model).
  std::vector<std::string> members_;
  std::vector<v1::ModelRef> models_;

  mutable absl::Mutex mutex_;
  // By setting name.
  mutable std::map<std::string, std::shared_ptr<const SettingStages>> stages_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace affect::eval

#endif  // AFFECT_CLIENT_EVAL_EXPRESSION_EVALUATOR_H_

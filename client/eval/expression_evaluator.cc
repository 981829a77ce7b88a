#include "client/eval/expression_evaluator.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "server/common/status_macros.h"
#include "server/config/model_config_loader.h"
#include "server/torch/device_spec.h"

namespace affect::eval {
namespace {

// Time the batchers get to finish queued work when the evaluator goes away
// (nothing is queued by then: every call waits for its results).
constexpr absl::Duration kDrainTimeout = absl::Seconds(5);

v1::ModelRef RefOf(const ModelHandle& handle) {
  v1::ModelRef ref;
  ref.set_name(handle.name);
  ref.set_version(handle.version);
  return ref;
}

absl::Status NotReady(const absl::Status& status, absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat(what, " is not available: ", status.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ExpressionEvaluator>> ExpressionEvaluator::Create(
    const EvaluatorOptions& options) {
  std::unique_ptr<ExpressionEvaluator> evaluator(new ExpressionEvaluator());
  ModelRepositoryOptions repository_options;
  repository_options.root = options.model_repository;
  repository_options.device = DeviceSpec::Cpu();
  AFFECT_ASSIGN_OR_RETURN(evaluator->repository_,
                          ModelRepository::Create(std::move(repository_options)));
  evaluator->repository_->LoadAll();
  evaluator->workers_ = std::make_unique<ThreadPool>("eval", std::max(1, options.worker_threads));
  evaluator->pipeline_ =
      ImagePipeline::Create(evaluator->repository_.get(), evaluator->workers_.get());
  if (absl::Status status = evaluator->pipeline_->Availability(v1::ANALYSIS_EMOTION);
      !status.ok()) {
    return NotReady(status, "face detection");
  }

  absl::StatusOr<ModelHandle> model =
      options.model.empty() ? evaluator->repository_->GetForTask(v1::MODEL_TASK_FACIAL_EXPRESSION)
                            : evaluator->repository_->Get(options.model);
  if (!model.ok()) {
    if (absl::IsNotFound(model.status())) return model.status();
    return NotReady(model.status(), options.model.empty()
                                        ? "the facial expression model"
                                        : absl::StrCat("model '", options.model, "'"));
  }
  if (model->config->task() != v1::MODEL_TASK_FACIAL_EXPRESSION) {
    return absl::InvalidArgumentError(absl::StrCat("model '", model->name,
                                                   "' is not a facial expression model (task ",
                                                   ModelTaskName(model->config->task()), ")"));
  }
  evaluator->expression_model_ = *model;
  if (model->config->platform() == kPlatformEnsemble) {
    for (const v1::EnsembleMember& member : model->config->ensemble().member()) {
      AFFECT_ASSIGN_OR_RETURN(ModelHandle handle, evaluator->repository_->Get(member.model()));
      evaluator->members_.push_back(member.model());
      evaluator->models_.push_back(RefOf(handle));
    }
  }
  // The stages of `configured` give the evaluated models' refs (an
  // ensemble's with its members' versions), and check that they build.
  AFFECT_ASSIGN_OR_RETURN(std::shared_ptr<const SettingStages> configured,
                          evaluator->StagesFor(CropSetting{"configured", std::nullopt}));
  evaluator->models_.push_back(configured->back()->model_ref());
  return evaluator;
}

ExpressionEvaluator::~ExpressionEvaluator() {
  {
    absl::MutexLock lock(&mutex_);
    stages_.clear();
  }
  pipeline_.reset();
  if (repository_ != nullptr) repository_->Shutdown(kDrainTimeout);
  if (workers_ != nullptr) workers_->Shutdown();
}

absl::StatusOr<std::vector<analysis::FaceDetection>> ExpressionEvaluator::DetectFaces(
    std::shared_ptr<const cv::Mat> rgb) const {
  ImageJob job;
  job.rgb = std::move(rgb);
  // Faces come with the emotion analysis (the only image analysis that
  // needs nothing but the detector and the expression models).
  job.emotion = true;
  absl::Notification done;
  absl::StatusOr<ImageJobResult> result;
  pipeline_->Analyze(std::move(job), [&](absl::StatusOr<ImageJobResult> outcome) {
    result = std::move(outcome);
    done.Notify();
  });
  done.WaitForNotification();
  if (!result.ok()) return result.status();
  std::vector<analysis::FaceDetection> faces;
  for (const v1::Face& face : result->analysis.faces()) {
    faces.push_back(analysis::FaceDetectionFromProto(face));
  }
  return faces;
}

absl::StatusOr<ModelHandle> ExpressionEvaluator::MemberFor(const std::string& name,
                                                           const CropSetting& setting) const {
  AFFECT_ASSIGN_OR_RETURN(ModelHandle handle, repository_->Get(name));
  if (setting.policy.has_value()) {
    auto config = std::make_shared<v1::ModelConfig>(*handle.config);
    *config->mutable_face_crop() = *setting.policy;
    handle.config = std::move(config);
  }
  return handle;
}

absl::StatusOr<std::shared_ptr<const ExpressionEvaluator::SettingStages>>
ExpressionEvaluator::StagesFor(const CropSetting& setting) const {
  absl::MutexLock lock(&mutex_);
  if (auto found = stages_.find(setting.name); found != stages_.end()) return found->second;
  auto stages = std::make_shared<SettingStages>();
  if (members_.empty()) {
    AFFECT_ASSIGN_OR_RETURN(ModelHandle model, MemberFor(expression_model_.name, setting));
    AFFECT_ASSIGN_OR_RETURN(std::unique_ptr<ExpressionStage> stage,
                            ExpressionStage::Create(*repository_, model));
    stages->push_back(std::move(stage));
  } else {
    for (const std::string& member : members_) {
      AFFECT_ASSIGN_OR_RETURN(ModelHandle model, MemberFor(member, setting));
      AFFECT_ASSIGN_OR_RETURN(std::unique_ptr<ExpressionStage> stage,
                              ExpressionStage::Create(*repository_, model));
      stages->push_back(std::move(stage));
    }
    AFFECT_ASSIGN_OR_RETURN(std::unique_ptr<ExpressionStage> ensemble,
                            ExpressionStage::CreateWithMembers(
                                expression_model_, [this, &setting](const std::string& name) {
                                  return MemberFor(name, setting);
                                }));
    stages->push_back(std::move(ensemble));
  }
  stages_[setting.name] = stages;
  return std::shared_ptr<const SettingStages>(std::move(stages));
}

absl::StatusOr<std::vector<FaceExpressions>> ExpressionEvaluator::ReadExpressions(
    std::shared_ptr<const cv::Mat> rgb,
    std::shared_ptr<const std::vector<analysis::FaceDetection>> faces,
    const CropSetting& setting) const {
  AFFECT_ASSIGN_OR_RETURN(std::shared_ptr<const SettingStages> stages, StagesFor(setting));
  std::vector<FaceExpressions> readings;
  for (const std::shared_ptr<const ExpressionStage>& stage : *stages) {
    absl::Notification done;
    absl::StatusOr<ExpressionStageResult> result;
    stage->Run(rgb, faces, ModelCallContext{}, workers_.get(),
               [&](absl::StatusOr<ExpressionStageResult> outcome) {
                 result = std::move(outcome);
                 done.Notify();
               });
    done.WaitForNotification();
    if (!result.ok()) return result.status();
    readings.push_back(std::move(result->expressions));
  }
  return readings;
}

std::string ExpressionEvaluator::PolicyOf(size_t model, const CropSetting& setting) const {
  if (setting.policy.has_value()) return DescribeCropPolicy(*setting.policy);
  const auto configured = [this](const std::string& name) -> std::string {
    absl::StatusOr<ModelHandle> handle = repository_->Get(name);
    return handle.ok() ? DescribeCropPolicy(handle->config->face_crop()) : "unavailable";
  };
  if (members_.empty()) return configured(expression_model_.name);
  if (model < members_.size()) return configured(members_[model]);
  std::vector<std::string> parts;
  for (const std::string& member : members_) {
    parts.push_back(absl::StrCat(member, ": ", configured(member)));
  }
  return absl::StrJoin(parts, "; ");
}

}  // namespace affect::eval

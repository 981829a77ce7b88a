#include "server/analysis/scene/scene_describer.h"

#include <utility>
#include <vector>

#include "server/common/status_macros.h"

namespace affect::analysis {

absl::Status CompleteScene(const cv::Mat& rgb, const SceneDescriberOptions& options,
                           v1::Scene* scene) {
  AFFECT_ASSIGN_OR_RETURN(*scene->mutable_lighting(), MeasureLighting(rgb, options.lighting));
  const DetectedObjects& objects = scene->objects();
  scene->clear_categories();
  for (v1::SceneCategoryScore& category : InferSceneCategories(objects, options.evidence)) {
    *scene->add_categories() = std::move(category);
  }
  const EnvironmentEstimate environment = EstimateEnvironment(objects, options.evidence);
  scene->set_environment(environment.environment);
  scene->set_environment_confidence(environment.confidence);
  return absl::OkStatus();
}

absl::StatusOr<SceneDescriber> SceneDescriber::Create(CenterNetDecoder decoder,
                                                      const SceneDescriberOptions& options,
                                                      v1::ModelRef detector) {
  return SceneDescriber(std::move(decoder), options, std::move(detector));
}

absl::StatusOr<SceneDescriber> SceneDescriber::FromConfig(const v1::ModelConfig& config,
                                                          int64_t version) {
  AFFECT_ASSIGN_OR_RETURN(CenterNetDecoder decoder, CenterNetDecoder::FromConfig(config));
  v1::ModelRef detector;
  detector.set_name(config.name());
  detector.set_version(version);
  return Create(std::move(decoder), SceneDescriberOptions{}, std::move(detector));
}

absl::StatusOr<v1::Scene> SceneDescriber::Describe(absl::Span<const Tensor> detector_outputs,
                                                   const InputTransform& transform,
                                                   const cv::Mat& rgb) const {
  AFFECT_RETURN_IF_ERROR(ValidateRgbImage(rgb));
  AFFECT_ASSIGN_OR_RETURN(const std::vector<Detection> detections,
                          decoder_.Decode(detector_outputs, transform));
  v1::Scene scene;
  for (v1::DetectedObject& object : decoder_.ToObjects(detections, rgb.cols, rgb.rows)) {
    *scene.add_objects() = std::move(object);
  }
  AFFECT_RETURN_IF_ERROR(CompleteScene(rgb, options_, &scene));
  *scene.mutable_detector() = detector_;
  return scene;
}

}  // namespace affect::analysis

// The scene analysis: objects from the CenterNet heads, then scene
// categories and indoor/outdoor from the objects (scene_evidence.h), and
// lighting from the pixels (lighting.h), as a v1::Scene.
//
// Typical use (the pipeline owns the model call):
//   AFFECT_ASSIGN_OR_RETURN(auto input, MakeImageTensor(rgb, config.input(0),
//                                                       describer.fit()));
//   ... run the detector on input.tensor -> outputs ...
//   AFFECT_ASSIGN_OR_RETURN(v1::Scene scene,
//                           describer.Describe(outputs, input.transform, rgb));
//
// Thread-safe: Describe is const.
#ifndef AFFECT_SERVER_ANALYSIS_SCENE_SCENE_DESCRIBER_H_
#define AFFECT_SERVER_ANALYSIS_SCENE_SCENE_DESCRIBER_H_

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "affect/v1/model_config.pb.h"
#include "affect/v1/results.pb.h"
#include "opencv2/core.hpp"
#include "server/analysis/image_input.h"
#include "server/analysis/scene/centernet_decoder.h"
#include "server/analysis/scene/lighting.h"
#include "server/analysis/scene/scene_evidence.h"
#include "server/tensor/tensor.h"

namespace affect::analysis {

struct SceneDescriberOptions {
  SceneEvidenceOptions evidence;
  LightingThresholds lighting;
};

// Fills categories, environment and lighting of `scene` from its objects
// and the image (objects and detector are left as they are).
absl::Status CompleteScene(const cv::Mat& rgb, const SceneDescriberOptions& options,
                           v1::Scene* scene);

class SceneDescriber {
 public:
  static absl::StatusOr<SceneDescriber> Create(CenterNetDecoder decoder,
                                               const SceneDescriberOptions& options,
                                               v1::ModelRef detector);
  // Decoder from the detector's config; default evidence/lighting options.
  static absl::StatusOr<SceneDescriber> FromConfig(const v1::ModelConfig& config,
                                                   int64_t version);

  // `detector_outputs`: one image's CenterNet outputs; `transform`: how the
  // image was fitted to the detector input; `rgb`: the image (CV_8UC3).
  absl::StatusOr<v1::Scene> Describe(absl::Span<const Tensor> detector_outputs,
                                     const InputTransform& transform, const cv::Mat& rgb) const;

  FitMode fit() const { return decoder_.options().fit; }
  const CenterNetDecoder& decoder() const { return decoder_; }

 private:
  SceneDescriber(CenterNetDecoder decoder, const SceneDescriberOptions& options,
                 v1::ModelRef detector)
      : decoder_(std::move(decoder)), options_(options), detector_(std::move(detector)) {}

  CenterNetDecoder decoder_;
  SceneDescriberOptions options_;
  v1::ModelRef detector_;
};

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_SCENE_SCENE_DESCRIBER_H_

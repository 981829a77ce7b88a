// Facial expression for a set of faces, from one expression model or from an
// ensemble of them (each member on its own batcher, combined here by the
// ensemble's weighted average of canonical probabilities). A face whose top
// score is below the model's min_confidence, or whose members disagree
// strongly, is reported as EXPRESSION_UNCERTAIN with its scores
// (analysis/face/expression_uncertainty.h).
#ifndef AFFECT_SERVER_PIPELINE_EXPRESSION_STAGE_H_
#define AFFECT_SERVER_PIPELINE_EXPRESSION_STAGE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "affect/v1/results.pb.h"
#include "server/analysis/face/expression_reader.h"
#include "server/analysis/face/face_detection_decoder.h"
#include "server/engine/thread_pool.h"
#include "server/models/model_repository.h"
#include "server/pipeline/image_job.h"
#include "server/pipeline/model_call.h"

namespace affect {

// One face's expression, or nullopt when its crop could not be made (a
// degenerate box): the field is then left unset rather than guessed.
using FaceExpressions = std::vector<std::optional<v1::ExpressionResult>>;

struct ExpressionStageResult {
  FaceExpressions expressions;
  PipelineTimings timings;
};

using ExpressionCallback = absl::AnyInvocable<void(absl::StatusOr<ExpressionStageResult>) &&>;

// Immutable after Create; thread-safe.
class ExpressionStage {
 public:
  // `model` is a READY facial-expression model or ensemble from `repository`.
  static absl::StatusOr<std::unique_ptr<ExpressionStage>> Create(const ModelRepository& repository,
                                                                 const ModelHandle& model);

  // Finds an ensemble member by name (Create uses ModelRepository::Get).
  using MemberResolver = std::function<absl::StatusOr<ModelHandle>(const std::string& name)>;
  // Same as Create, with the members taken from `resolve_member`: the
  // accuracy evaluation (client/eval) hands out members whose config carries
  // another face_crop, to measure the ensemble under crop policies the
  // repository does not configure. Called only during this call.
  static absl::StatusOr<std::unique_ptr<ExpressionStage>> CreateWithMembers(
      const ModelHandle& model, const MemberResolver& resolve_member);

  // Crops every face for every member (on the calling worker thread),
  // submits them, and calls `done` once on a worker thread.
  void Run(std::shared_ptr<const cv::Mat> rgb,
           std::shared_ptr<const std::vector<analysis::FaceDetection>> faces,
           const ModelCallContext& context, ThreadPool* workers, ExpressionCallback done) const;

  // The model or ensemble (with member versions) that results name.
  const v1::ModelRef& model_ref() const { return model_ref_; }

 private:
  struct Member {
    ModelHandle model;
    analysis::ExpressionReader reader;  // member labels -> canonical classes
    float weight = 1.0f;
  };
  ExpressionStage() = default;

  std::vector<Member> members_;
  v1::ModelRef model_ref_;
  // The model's (or ensemble's) min_confidence: below it a face is
  // EXPRESSION_UNCERTAIN (analysis/face/expression_uncertainty.h).
  float min_confidence_ = 0.0f;
};

}  // namespace affect

#endif  // AFFECT_SERVER_PIPELINE_EXPRESSION_STAGE_H_

// The image pipeline: one image through face detection -> crops ->
// expression and face mesh, object detection -> scene, segmentation ->
// attire, and pose -> bodies (linked to the faces at the end). Every
// stage submits to its model's DynamicBatcher, so stages of different
// requests and streams batch together; pre- and post-processing run on the
// worker pool, never on inference threads; nothing blocks.
//
//          +--> blazeface --> faces --> expression (model or ensemble) --+
//          |                        \--> facemesh --> attention --------+
//   image -+--> centernet --> objects --> scene (categories, lighting) ---+--> result
//          +--> selfie ----> person mask --------------------------------+
//          +--> movenet ---> poses ---------------------------------------+
//                (attire joins faces + mask + objects; bodies link to faces)
#ifndef AFFECT_SERVER_PIPELINE_IMAGE_PIPELINE_H_
#define AFFECT_SERVER_PIPELINE_IMAGE_PIPELINE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/analysis/attire/attire_describer.h"
#include "server/analysis/body/movenet_decoder.h"
#include "server/analysis/body/posture_cues.h"
#include "server/analysis/face/face_detection_decoder.h"
#include "server/analysis/face/face_geometry.h"
#include "server/analysis/face/face_mesh.h"
#include "server/analysis/scene/scene_describer.h"
#include "server/engine/thread_pool.h"
#include "server/models/model_repository.h"
#include "server/pipeline/expression_stage.h"
#include "server/pipeline/image_job.h"

namespace affect {

// Immutable after Create; thread-safe. Jobs keep the pipeline alive until
// they finish (it is always held by shared_ptr).
class ImagePipeline : public std::enable_shared_from_this<ImagePipeline> {
 public:
  // Binds each analysis to the READY models of `repository` (which must
  // outlive the pipeline, as must `workers`). An analysis whose models are
  // missing or failed stays unavailable; requests for it get UNAVAILABLE with
  // the reason, and the other analyses keep working.
  static std::shared_ptr<ImagePipeline> Create(const ModelRepository* repository,
                                               ThreadPool* workers);

  // Never blocks; `done` runs exactly once on a worker thread.
  // UNAVAILABLE when a needed model is not ready, RESOURCE_EXHAUSTED when a
  // model queue is full, DEADLINE_EXCEEDED / CANCELLED from the engine.
  void Analyze(ImageJob job, ImageJobCallback done) const;

  // RESOURCE_EXHAUSTED when a first-stage model the job needs has a full
  // queue right now. Callers check before decoding, so that load shedding
  // costs no decode (a 1920-pixel JPEG takes ~0.1 s of CPU): without it a
  // flood of refused requests burnt the CPU the accepted ones needed. The
  // batchers still enforce the bound exactly; this is the cheap early exit.
  absl::Status CheckCapacity(const ImageJob& job) const;

  // OK, or why `analysis` cannot run here (UNAVAILABLE with the reason).
  absl::Status Availability(v1::Analysis analysis) const;

  // Defaults applied where a request leaves AnalysisOptions unset.
  v1::AnalysisOptions DefaultOptions() const;

 private:
  struct FaceBinding {
    ModelHandle model;
    analysis::FaceDetectionDecoder decoder;
    std::vector<analysis::AnchorLayer> layers;
  };
  struct SceneBinding {
    ModelHandle model;
    analysis::SceneDescriber describer;
  };
  struct SegmentationBinding {
    ModelHandle model;
    analysis::FitMode fit;
  };
  struct PoseBinding {
    ModelHandle model;
    analysis::MoveNetDecoder decoder;
    analysis::PostureCueOptions posture;  // the documented defaults
  };
  struct MeshBinding {
    ModelHandle model;
    analysis::FaceMeshReader reader;
    analysis::FaceGeometryOptions geometry;  // the documented defaults
  };
  struct Job;
  // The first-stage branches a job runs (each starts with one model call).
  struct Branches {
    bool faces = false;
    bool objects = false;
    bool mask = false;
    bool pose = false;
    int count() const { return int{faces} + int{objects} + int{mask} + int{pose}; }
  };
  Branches BranchesFor(const ImageJob& job) const;

  ImagePipeline(const ModelRepository* repository, ThreadPool* workers);

  // Decodes one image model's output (on a worker), adds its time since
  // `post_start` to the job's post-processing, and ends with FinishBranch,
  // Fail, or a further stage.
  using ImageModelContinuation =
      absl::AnyInvocable<void(const InferenceResult&, const analysis::InputTransform&,
                              absl::Time post_start) &&>;
  // The shared prologue of every image branch: make the model's input from
  // the image, submit it, account the time, and continue with `decode` on a
  // worker (or Fail the job).
  void RunImageModel(const std::shared_ptr<Job>& job, const ModelHandle& model,
                     analysis::FitMode fit, absl::Time start, ImageModelContinuation decode) const;
  void StartFaces(const std::shared_ptr<Job>& job) const;
  void StartObjects(const std::shared_ptr<Job>& job) const;
  void StartSegmentation(const std::shared_ptr<Job>& job) const;
  void StartPose(const std::shared_ptr<Job>& job) const;
  // The pose branch's rendezvous with the face branch: called once by each
  // when its result is in (poses; face boxes); the second caller starts
  // the second look (StartSecondLook).
  void PoseOrFacesReady(const std::shared_ptr<Job>& job) const;
  // The pose model on the region around each face the whole-frame pass left
  // without a pose (analysis/body/pose_second_look.h), one batched call;
  // ends the pose branch.
  void StartSecondLook(const std::shared_ptr<Job>& job) const;
  // One mesh item per detected face, in the order of the job's faces.
  void StartMesh(const std::shared_ptr<Job>& job,
                 std::shared_ptr<const std::vector<analysis::FaceDetection>> faces) const;
  void FinishBranch(const std::shared_ptr<Job>& job) const;
  void Fail(const std::shared_ptr<Job>& job, const absl::Status& status) const;

  const ModelRepository* const repository_;
  ThreadPool* const workers_;

  absl::StatusOr<FaceBinding> faces_ = absl::UnavailableError("no face detector");
  absl::StatusOr<std::shared_ptr<const ExpressionStage>> expression_ =
      absl::UnavailableError("no expression model");
  absl::StatusOr<SceneBinding> scene_ = absl::UnavailableError("no object detector");
  absl::StatusOr<SegmentationBinding> segmentation_ =
      absl::UnavailableError("no person segmentation model");
  absl::StatusOr<analysis::AttireDescriber> attire_ = absl::UnavailableError("attire not set up");
  absl::StatusOr<PoseBinding> pose_ = absl::UnavailableError("no body pose model");
  absl::StatusOr<MeshBinding> mesh_ = absl::UnavailableError("no face mesh model");
};

}  // namespace affect

#endif  // AFFECT_SERVER_PIPELINE_IMAGE_PIPELINE_H_

#include "server/pipeline/image_pipeline.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "server/analysis/attire/person_mask.h"
#include "server/analysis/body/body_result.h"
#include "server/analysis/body/pose_second_look.h"
#include "server/analysis/body/posture_cues.h"
#include "server/analysis/face/face_attention_result.h"
#include "server/analysis/face/face_geometry.h"
#include "server/analysis/image_input.h"
#include "server/analysis/parameters.h"
#include "server/analysis/scene/centernet_decoder.h"
#include "server/common/branch_join.h"
#include "server/common/logging.h"
#include "server/common/status_macros.h"

namespace affect {
namespace {

v1::ModelRef RefOf(const ModelHandle& model) {
  v1::ModelRef ref;
  ref.set_name(model.name);
  ref.set_version(model.version);
  return ref;
}

absl::Status Explain(const absl::Status& status, absl::string_view analysis) {
  return absl::Status(status.code(), absl::StrCat(analysis, " is unavailable: ", status.message()));
}

}  // namespace

// The state of one image in flight. Branches (faces, objects, segmentation)
// run concurrently on the worker pool and meet in FinishBranch.
struct ImagePipeline::Job {
  ImageJob input;
  ModelCallContext context;
  std::shared_ptr<const ImagePipeline> pipeline;  // keeps bindings alive
  absl::Time start;

  // The branches: the first failure answers at once, else the last branch
  // to finish assembles the answer.
  BranchJoin join{0, JoinPolicy::kFailFast};

  absl::Mutex mutex;
  ImageJobCallback done ABSL_GUARDED_BY(mutex);
  v1::ImageAnalysis analysis ABSL_GUARDED_BY(mutex);
  std::optional<v1::Scene> scene ABSL_GUARDED_BY(mutex);
  cv::Mat person_mask ABSL_GUARDED_BY(mutex);
  std::vector<analysis::PersonPose> poses ABSL_GUARDED_BY(mutex);
  // Set when the pose branch waits for the faces before it ends (the second
  // look at faces without a pose): the face and pose results meet here.
  bool second_look = false;
  BranchJoin pose_meets_faces{2};
  std::vector<analysis::Box> face_boxes ABSL_GUARDED_BY(mutex);
  PipelineTimings timings ABSL_GUARDED_BY(mutex);
  std::vector<v1::ModelRef> models ABSL_GUARDED_BY(mutex);
};

ImagePipeline::ImagePipeline(const ModelRepository* repository, ThreadPool* workers)
    : repository_(repository), workers_(workers) {}

std::shared_ptr<ImagePipeline> ImagePipeline::Create(const ModelRepository* repository,
                                                     ThreadPool* workers) {
  std::shared_ptr<ImagePipeline> pipeline(new ImagePipeline(repository, workers));
  auto log_unavailable = [](absl::string_view analysis, const absl::Status& status) {
    AFFECT_LOG(WARNING).With("analysis", analysis) << "unavailable: " << status.message();
  };

  if (auto model = repository->GetForTask(v1::MODEL_TASK_FACE_DETECTION); model.ok()) {
    const v1::ModelConfig& config = *model->config;
    auto decoder = analysis::FaceDetectionDecoder::FromConfig(config);
    auto layers =
        analysis::ParseAnchorLayers(config.parameters(), static_cast<int>(config.input(0).dims(0)));
    if (decoder.ok() && layers.ok()) {
      pipeline->faces_ = FaceBinding{*model, *std::move(decoder), *std::move(layers)};
    } else {
      pipeline->faces_ = decoder.ok() ? layers.status() : decoder.status();
    }
  } else {
    pipeline->faces_ = model.status();
  }
  if (!pipeline->faces_.ok()) log_unavailable("face detection", pipeline->faces_.status());

  if (auto model = repository->GetForTask(v1::MODEL_TASK_FACIAL_EXPRESSION); model.ok()) {
    auto stage = ExpressionStage::Create(*repository, *model);
    if (stage.ok()) {
      pipeline->expression_ = std::shared_ptr<const ExpressionStage>(*std::move(stage));
    } else {
      pipeline->expression_ = stage.status();
    }
  } else {
    pipeline->expression_ = model.status();
  }
  if (!pipeline->expression_.ok()) log_unavailable("expression", pipeline->expression_.status());

  if (auto model = repository->GetForTask(v1::MODEL_TASK_OBJECT_DETECTION); model.ok()) {
    auto describer = analysis::SceneDescriber::FromConfig(*model->config, model->version);
    if (describer.ok()) {
      pipeline->scene_ = SceneBinding{*model, *std::move(describer)};
    } else {
      pipeline->scene_ = describer.status();
    }
  } else {
    pipeline->scene_ = model.status();
  }
  if (!pipeline->scene_.ok()) log_unavailable("object detection", pipeline->scene_.status());

  if (auto model = repository->GetForTask(v1::MODEL_TASK_PERSON_SEGMENTATION); model.ok()) {
    analysis::FitMode fit = analysis::FitMode::kStretch;
    const absl::Status status =
        analysis::ReadFitParameter(model->config->parameters(), "fit", &fit);
    if (status.ok()) {
      pipeline->segmentation_ = SegmentationBinding{*model, fit};
    } else {
      pipeline->segmentation_ = status;
    }
  } else {
    pipeline->segmentation_ = model.status();
  }
  if (!pipeline->segmentation_.ok()) {
    log_unavailable("person segmentation", pipeline->segmentation_.status());
  }
  pipeline->attire_ = analysis::AttireDescriber::Create(analysis::AttireOptions());

  if (auto model = repository->GetForTask(v1::MODEL_TASK_BODY_POSE); model.ok()) {
    auto decoder = analysis::MoveNetDecoder::FromConfig(*model->config);
    if (decoder.ok()) {
      pipeline->pose_ = PoseBinding{*model, *std::move(decoder), analysis::PostureCueOptions{}};
    } else {
      pipeline->pose_ = decoder.status();
    }
  } else {
    pipeline->pose_ = model.status();
  }
  if (!pipeline->pose_.ok()) log_unavailable("body pose", pipeline->pose_.status());

  if (auto model = repository->GetForTask(v1::MODEL_TASK_FACE_MESH); model.ok()) {
    auto reader = analysis::FaceMeshReader::FromConfig(*model->config);
    if (reader.ok()) {
      pipeline->mesh_ = MeshBinding{*model, *std::move(reader), analysis::FaceGeometryOptions{}};
    } else {
      pipeline->mesh_ = reader.status();
    }
  } else {
    pipeline->mesh_ = model.status();
  }
  if (!pipeline->mesh_.ok()) log_unavailable("face mesh", pipeline->mesh_.status());
  return pipeline;
}

absl::Status ImagePipeline::Availability(v1::Analysis analysis) const {
  switch (analysis) {
    case v1::ANALYSIS_EMOTION:
      if (!faces_.ok()) return Explain(faces_.status(), "emotion (face detection)");
      if (!expression_.ok()) return Explain(expression_.status(), "emotion (expression model)");
      return absl::OkStatus();
    case v1::ANALYSIS_ATTIRE:
      if (!faces_.ok()) return Explain(faces_.status(), "attire (face detection)");
      if (!segmentation_.ok())
        return Explain(segmentation_.status(), "attire (person segmentation)");
      if (!attire_.ok()) return Explain(attire_.status(), "attire");
      return absl::OkStatus();
    case v1::ANALYSIS_SCENE:
      if (!scene_.ok()) return Explain(scene_.status(), "scene (object detection)");
      return absl::OkStatus();
    case v1::ANALYSIS_BODY:
      if (!pose_.ok()) return Explain(pose_.status(), "body (pose model)");
      return absl::OkStatus();
    case v1::ANALYSIS_ATTENTION:
      if (!faces_.ok()) return Explain(faces_.status(), "attention (face detection)");
      if (!mesh_.ok()) return Explain(mesh_.status(), "attention (face mesh model)");
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError("not an image analysis");
  }
}

ImagePipeline::Branches ImagePipeline::BranchesFor(const ImageJob& job) const {
  Branches branches;
  // BODY detects faces too when the detector is there: each body links to
  // its face, and a face the pose pass missed gets the second look.
  branches.faces = job.emotion || job.attire || job.attention || (job.body && faces_.ok());
  // Accessories come from the object detector: attire uses it when present.
  branches.objects = job.scene || (job.attire && scene_.ok());
  branches.mask = job.attire;
  branches.pose = job.body;
  return branches;
}

absl::Status ImagePipeline::CheckCapacity(const ImageJob& job) const {
  const Branches branches = BranchesFor(job);
  std::vector<const ModelHandle*> needed;
  if (branches.faces && faces_.ok()) needed.push_back(&faces_->model);
  if (branches.pose && pose_.ok()) needed.push_back(&pose_->model);
  if (branches.objects && scene_.ok()) needed.push_back(&scene_->model);
  if (branches.mask && segmentation_.ok()) needed.push_back(&segmentation_->model);
  for (const ModelHandle* model : needed) {
    if (model->batcher == nullptr) continue;
    const int depth = model->batcher->queue_depth();
    const int limit = model->batcher->options().max_queue_size;
    if (depth >= limit) {
      return absl::ResourceExhaustedError(absl::StrCat("model '", model->name, "' queue full (",
                                                       depth, " items queued, limit ", limit,
                                                       "): retry later"));
    }
  }
  return absl::OkStatus();
}

v1::AnalysisOptions ImagePipeline::DefaultOptions() const {
  v1::AnalysisOptions options;
  if (faces_.ok()) {
    const analysis::FaceDetectionOptions& face = faces_->decoder.options();
    options.set_max_faces(static_cast<uint32_t>(face.max_detections));
    options.set_min_face_size_px(static_cast<uint32_t>(face.min_face_size));
    options.set_face_score_threshold(face.score_threshold);
  }
  if (scene_.ok()) {
    const analysis::CenterNetOptions& objects = scene_->describer.decoder().options();
    options.set_object_score_threshold(objects.score_threshold);
    options.set_max_objects(static_cast<uint32_t>(objects.max_detections));
  }
  return options;
}

void ImagePipeline::Analyze(ImageJob input, ImageJobCallback done) const {
  for (auto [wanted, analysis] :
       {std::pair{input.emotion, v1::ANALYSIS_EMOTION},
        std::pair{input.attire, v1::ANALYSIS_ATTIRE}, std::pair{input.scene, v1::ANALYSIS_SCENE},
        std::pair{input.body, v1::ANALYSIS_BODY},
        std::pair{input.attention, v1::ANALYSIS_ATTENTION}}) {
    if (!wanted) continue;
    if (absl::Status status = Availability(analysis); !status.ok()) {
      std::move(done)(status);
      return;
    }
  }
  auto job = std::make_shared<Job>();
  job->context = {input.deadline, input.cancellation, input.traffic_class};
  job->input = std::move(input);
  job->pipeline = shared_from_this();
  job->start = absl::Now();
  const Branches branches = BranchesFor(job->input);
  // The second look needs the faces.
  job->second_look =
      branches.pose && branches.faces && pose_->decoder.options().refine.max_faces > 0;
  {
    absl::MutexLock lock(&job->mutex);
    job->done = std::move(done);
    job->join.Add(branches.count());
    job->analysis.mutable_size()->set_width(static_cast<uint32_t>(job->input.rgb->cols));
    job->analysis.mutable_size()->set_height(static_cast<uint32_t>(job->input.rgb->rows));
  }
  if (branches.count() == 0) {
    // Nothing to analyse in the image (e.g. only VOICE was asked for).
    ImageJobCallback finish;
    ImageJobResult result;
    {
      absl::MutexLock lock(&job->mutex);
      finish = std::move(job->done);
      result.analysis = job->analysis;
    }
    std::move(finish)(std::move(result));
    return;
  }
  // Pre-processing (resizing) runs on the workers, not on the caller's
  // (gRPC) thread.
  if (branches.faces) RunOnPoolOrInline(workers_, [this, job] { StartFaces(job); });
  if (branches.objects) RunOnPoolOrInline(workers_, [this, job] { StartObjects(job); });
  if (branches.mask) RunOnPoolOrInline(workers_, [this, job] { StartSegmentation(job); });
  if (branches.pose) RunOnPoolOrInline(workers_, [this, job] { StartPose(job); });
}

void ImagePipeline::Fail(const std::shared_ptr<Job>& job, const absl::Status& status) const {
  // Only the first failure is answered; the other branches finish unheard.
  if (!job->join.BranchDone(status).has_value()) return;
  ImageJobCallback done;
  {
    absl::MutexLock lock(&job->mutex);
    done = std::move(job->done);
  }
  std::move(done)(status);
}

void ImagePipeline::RunImageModel(const std::shared_ptr<Job>& job, const ModelHandle& model,
                                  analysis::FitMode fit, absl::Time start,
                                  ImageModelContinuation decode) const {
  if (absl::Status wanted = CheckStillWanted(job->context); !wanted.ok()) return Fail(job, wanted);
  auto input = analysis::MakeImageTensor(*job->input.rgb, model.config->input(0), fit);
  if (!input.ok()) return Fail(job, input.status());
  {
    absl::MutexLock lock(&job->mutex);
    job->timings.postprocess += absl::Now() - start;
    job->models.push_back(RefOf(model));
  }
  const analysis::InputTransform transform = input->transform;
  std::vector<std::vector<Tensor>> items;
  items.push_back({std::move(input->tensor)});
  CallModel(model, std::move(items), job->context, workers_,
            [this, job, transform,
             decode = std::move(decode)](absl::StatusOr<InferenceResult> result) mutable {
              if (!result.ok()) return Fail(job, result.status());
              {
                absl::MutexLock lock(&job->mutex);
                job->timings.AddModelCall(*result);
              }
              std::move(decode)(*result, transform, absl::Now());
            });
}

void ImagePipeline::StartFaces(const std::shared_ptr<Job>& job) const {
  const absl::Time start = absl::Now();
  const FaceBinding& binding = *faces_;
  // Per-request thresholds get their own decoder (anchors are cheap to
  // rebuild); the common case shares the configured one.
  std::shared_ptr<const analysis::FaceDetectionDecoder> decoder;
  const ImageOverrides& overrides = job->input.overrides;
  if (overrides.max_faces || overrides.min_face_size_px || overrides.face_score_threshold) {
    analysis::FaceDetectionOptions options = binding.decoder.options();
    if (overrides.max_faces) options.max_detections = *overrides.max_faces;
    if (overrides.min_face_size_px) options.min_face_size = *overrides.min_face_size_px;
    if (overrides.face_score_threshold) options.score_threshold = *overrides.face_score_threshold;
    auto custom = analysis::FaceDetectionDecoder::Create(
        options, binding.decoder.input_width(), binding.decoder.input_height(), binding.layers);
    if (!custom.ok()) return Fail(job, custom.status());
    decoder = std::make_shared<const analysis::FaceDetectionDecoder>(*std::move(custom));
  } else {
    decoder =
        std::shared_ptr<const analysis::FaceDetectionDecoder>(job->pipeline, &binding.decoder);
  }
  RunImageModel(
      job, binding.model, decoder->options().fit, start,
      [this, job, decoder](const InferenceResult& result, const analysis::InputTransform& transform,
                           absl::Time post_start) {
        auto detections = decoder->Decode(result.outputs.at(0), transform);
        if (!detections.ok()) return Fail(job, detections.status());
        const cv::Mat& rgb = *job->input.rgb;
        std::vector<v1::Face> faces = analysis::FaceDetectionDecoder::ToFaces(
            *detections, rgb.cols, rgb.rows, RefOf(faces_->model));
        auto shared_detections =
            std::make_shared<const std::vector<analysis::FaceDetection>>(*std::move(detections));
        // The mesh is a branch of its own, counted before this one can end.
        const bool run_mesh = job->input.attention && !shared_detections->empty();
        {
          absl::MutexLock lock(&job->mutex);
          for (v1::Face& face : faces) *job->analysis.add_faces() = std::move(face);
          for (const analysis::FaceDetection& face : *shared_detections) {
            job->face_boxes.push_back(face.box);
          }
          job->timings.postprocess += absl::Now() - post_start;
          if (run_mesh) job->join.Add();
        }
        if (job->second_look) {
          RunOnPoolOrInline(workers_, [this, job] { PoseOrFacesReady(job); });
        }
        if (run_mesh) {
          RunOnPoolOrInline(workers_,
                            [this, job, shared_detections] { StartMesh(job, shared_detections); });
        }
        if (!job->input.emotion || shared_detections->empty()) return FinishBranch(job);
        const std::shared_ptr<const ExpressionStage>& stage = *expression_;
        stage->Run(job->input.rgb, shared_detections, job->context, workers_,
                   [this, job, stage](absl::StatusOr<ExpressionStageResult> expressions) {
                     if (!expressions.ok()) return Fail(job, expressions.status());
                     {
                       absl::MutexLock lock(&job->mutex);
                       for (size_t i = 0; i < expressions->expressions.size(); ++i) {
                         if (expressions->expressions[i].has_value()) {
                           *job->analysis.mutable_faces(static_cast<int>(i))->mutable_expression() =
                               *expressions->expressions[i];
                         }
                       }
                       job->timings.Merge(expressions->timings);
                       job->models.push_back(stage->model_ref());
                     }
                     FinishBranch(job);
                   });
      });
}

void ImagePipeline::StartObjects(const std::shared_ptr<Job>& job) const {
  const absl::Time start = absl::Now();
  const SceneBinding& binding = *scene_;
  std::shared_ptr<const analysis::SceneDescriber> describer;
  const ImageOverrides& overrides = job->input.overrides;
  if (overrides.object_score_threshold || overrides.max_objects) {
    analysis::CenterNetOptions options = binding.describer.decoder().options();
    if (overrides.object_score_threshold)
      options.score_threshold = *overrides.object_score_threshold;
    if (overrides.max_objects) options.max_detections = *overrides.max_objects;
    const analysis::CenterNetDecoder& base = binding.describer.decoder();
    auto decoder = analysis::CenterNetDecoder::Create(options, base.labels(), base.input_width(),
                                                      base.input_height());
    if (!decoder.ok()) return Fail(job, decoder.status());
    auto custom = analysis::SceneDescriber::Create(
        *std::move(decoder), analysis::SceneDescriberOptions(), RefOf(binding.model));
    if (!custom.ok()) return Fail(job, custom.status());
    describer = std::make_shared<const analysis::SceneDescriber>(*std::move(custom));
  } else {
    describer = std::shared_ptr<const analysis::SceneDescriber>(job->pipeline, &binding.describer);
  }
  RunImageModel(
      job, binding.model, describer->fit(), start,
      [this, job, describer](const InferenceResult& result,
                             const analysis::InputTransform& transform, absl::Time post_start) {
        auto scene = describer->Describe(result.outputs.at(0), transform, *job->input.rgb);
        if (!scene.ok()) return Fail(job, scene.status());
        {
          absl::MutexLock lock(&job->mutex);
          job->scene = *std::move(scene);
          job->timings.postprocess += absl::Now() - post_start;
        }
        FinishBranch(job);
      });
}

void ImagePipeline::StartSegmentation(const std::shared_ptr<Job>& job) const {
  const absl::Time start = absl::Now();
  const SegmentationBinding& binding = *segmentation_;
  RunImageModel(job, binding.model, binding.fit, start,
                [this, job](const InferenceResult& result,
                            const analysis::InputTransform& transform, absl::Time post_start) {
                  auto mask = analysis::PersonMaskFromTensor(result.outputs.at(0).at(0), transform);
                  if (!mask.ok()) return Fail(job, mask.status());
                  {
                    absl::MutexLock lock(&job->mutex);
                    job->person_mask = *std::move(mask);
                    job->timings.postprocess += absl::Now() - post_start;
                  }
                  FinishBranch(job);
                });
}

void ImagePipeline::StartPose(const std::shared_ptr<Job>& job) const {
  const absl::Time start = absl::Now();
  const PoseBinding& binding = *pose_;
  RunImageModel(job, binding.model, binding.decoder.options().fit, start,
                [this, job](const InferenceResult& result,
                            const analysis::InputTransform& transform, absl::Time post_start) {
                  auto poses = pose_->decoder.Decode(result.outputs.at(0), transform);
                  if (!poses.ok()) return Fail(job, poses.status());
                  {
                    absl::MutexLock lock(&job->mutex);
                    job->poses = *std::move(poses);
                    job->timings.postprocess += absl::Now() - post_start;
                  }
                  if (job->second_look) return PoseOrFacesReady(job);
                  FinishBranch(job);
                });
}

void ImagePipeline::PoseOrFacesReady(const std::shared_ptr<Job>& job) const {
  // Neither side fails through here (failures go to Fail): the second
  // caller gets OK and goes on.
  if (!job->pose_meets_faces.BranchDone(absl::OkStatus()).has_value()) return;
  StartSecondLook(job);
}

void ImagePipeline::StartSecondLook(const std::shared_ptr<Job>& job) const {
  const absl::Time start = absl::Now();
  const PoseBinding& binding = *pose_;
  std::vector<analysis::PersonPose> poses;
  auto face_boxes = std::make_shared<std::vector<analysis::Box>>();
  {
    absl::MutexLock lock(&job->mutex);
    poses = job->poses;
    *face_boxes = job->face_boxes;
  }
  auto items = analysis::MakeSecondLookItems(*job->input.rgb, poses, *face_boxes, binding.decoder,
                                             binding.model.config->input(0));
  if (!items.ok()) return Fail(job, items.status());
  if (items->empty()) return FinishBranch(job);  // every face has its pose
  if (absl::Status wanted = CheckStillWanted(job->context); !wanted.ok()) return Fail(job, wanted);
  std::vector<std::vector<Tensor>> inputs;
  for (analysis::SecondLookItem& item : *items) inputs.push_back({std::move(item.tensor)});
  {
    absl::MutexLock lock(&job->mutex);
    job->timings.postprocess += absl::Now() - start;
  }
  CallModel(binding.model, std::move(inputs), job->context, workers_,
            [this, job, face_boxes, poses = std::move(poses),
             items = *std::move(items)](absl::StatusOr<InferenceResult> result) mutable {
              if (!result.ok()) return Fail(job, result.status());
              const absl::Time post_start = absl::Now();
              const absl::Status added = analysis::AddSecondLookPoses(
                  pose_->decoder, items, result->outputs, *face_boxes, &poses);
              if (!added.ok()) return Fail(job, added);
              {
                absl::MutexLock lock(&job->mutex);
                job->timings.AddModelCall(*result);
                job->poses = std::move(poses);
                job->timings.postprocess += absl::Now() - post_start;
              }
              FinishBranch(job);
            });
}

void ImagePipeline::StartMesh(
    const std::shared_ptr<Job>& job,
    std::shared_ptr<const std::vector<analysis::FaceDetection>> faces) const {
  const absl::Time start = absl::Now();
  if (absl::Status wanted = CheckStillWanted(job->context); !wanted.ok()) return Fail(job, wanted);
  const MeshBinding& binding = *mesh_;
  std::vector<std::vector<Tensor>> items;
  std::vector<analysis::FaceCropRegion> crops;
  for (const analysis::FaceDetection& face : *faces) {
    auto input = binding.reader.MakeInput(*job->input.rgb, face);
    if (!input.ok()) return Fail(job, input.status());
    crops.push_back(input->region);
    items.push_back({std::move(input->tensor)});
  }
  {
    absl::MutexLock lock(&job->mutex);
    job->timings.postprocess += absl::Now() - start;
    job->models.push_back(RefOf(binding.model));
  }
  CallModel(binding.model, std::move(items), job->context, workers_,
            [this, job, crops = std::move(crops)](absl::StatusOr<InferenceResult> result) {
              if (!result.ok()) return Fail(job, result.status());
              const absl::Time post_start = absl::Now();
              const MeshBinding& mesh = *mesh_;
              std::vector<std::optional<v1::FaceAttention>> attention(crops.size());
              for (size_t i = 0; i < crops.size(); ++i) {
                auto landmarks = mesh.reader.Decode(result->outputs.at(i), crops[i]);
                if (!landmarks.ok()) return Fail(job, landmarks.status());
                // A crop the mesh does not confirm as a face gets no attention.
                if (!mesh.reader.Accepts(*landmarks)) continue;
                attention[i] = analysis::ToFaceAttention(
                    *landmarks, analysis::MeasureFaceGeometry(*landmarks, mesh.geometry),
                    RefOf(mesh.model));
              }
              {
                absl::MutexLock lock(&job->mutex);
                job->timings.AddModelCall(*result);
                for (size_t i = 0; i < attention.size(); ++i) {
                  if (!attention[i].has_value()) continue;
                  *job->analysis.mutable_faces(static_cast<int>(i))->mutable_attention() =
                      *std::move(attention[i]);
                }
                job->timings.postprocess += absl::Now() - post_start;
              }
              FinishBranch(job);
            });
}

void ImagePipeline::FinishBranch(const std::shared_ptr<Job>& job) const {
  ImageJobCallback done;
  ImageJobResult result;
  std::optional<v1::Scene> scene;
  cv::Mat person_mask;
  std::vector<analysis::PersonPose> poses;
  if (!job->join.BranchDone(absl::OkStatus()).has_value()) return;
  {
    // Every branch has finished without a failure: from here on this thread
    // alone owns the job's results.
    absl::MutexLock lock(&job->mutex);
    done = std::move(job->done);
    result.analysis = std::move(job->analysis);
    result.timings = job->timings;
    result.models = std::move(job->models);
    scene = std::move(job->scene);
    person_mask = std::move(job->person_mask);
    poses = std::move(job->poses);
  }
  // Bodies first: attire places each person's garments from their pose.
  std::vector<std::optional<analysis::PersonPose>> pose_of_face;
  if (job->input.body) {
    // After every branch, so that bodies link to the faces of this image.
    const absl::Time start = absl::Now();
    std::vector<v1::PersonBody> bodies =
        analysis::ToPersonBodies(poses, result.analysis.faces(), job->input.rgb->cols,
                                 job->input.rgb->rows, RefOf(pose_->model));
    pose_of_face.resize(static_cast<size_t>(result.analysis.faces_size()));
    for (size_t i = 0; i < bodies.size(); ++i) {
      analysis::AddPostureCues(poses[i], pose_->posture, &bodies[i]);
      const int face = bodies[i].face_index();
      if (face >= 0 && face < result.analysis.faces_size()) {
        pose_of_face[static_cast<size_t>(face)] = poses[i];
      }
      *result.analysis.add_bodies() = std::move(bodies[i]);
    }
    result.timings.postprocess += absl::Now() - start;
  }
  if (job->input.attire) {
    const absl::Time start = absl::Now();
    std::vector<v1::ModelRef> attire_models = {RefOf(segmentation_->model)};
    const google::protobuf::RepeatedPtrField<v1::DetectedObject>* objects = nullptr;
    if (scene.has_value()) {
      objects = &scene->objects();
      attire_models.push_back(scene->detector());
    }
    if (job->input.body) attire_models.push_back(RefOf(pose_->model));
    auto attire = attire_->Describe(*job->input.rgb, result.analysis.faces(), person_mask, objects,
                                    attire_models, pose_of_face);
    if (!attire.ok()) return std::move(done)(attire.status());
    for (v1::PersonAttire& person : *attire) *result.analysis.add_attire() = std::move(person);
    result.timings.postprocess += absl::Now() - start;
  }
  if (job->input.scene && scene.has_value()) *result.analysis.mutable_scene() = *std::move(scene);
  std::move(done)(std::move(result));
}

}  // namespace affect

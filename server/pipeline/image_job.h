// One image's trip through the pipeline: what is asked, and what comes back.
#ifndef AFFECT_SERVER_PIPELINE_IMAGE_JOB_H_
#define AFFECT_SERVER_PIPELINE_IMAGE_JOB_H_

#include <algorithm>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <optional>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "affect/v1/affect_service.pb.h"
#include "affect/v1/results.pb.h"
#include "server/engine/inference_request.h"

namespace affect {

// Per-request overrides of the decoders' defaults (AnalysisOptions, already
// validated). Unset = the model config's default.
struct ImageOverrides {
  std::optional<int> max_faces;
  std::optional<float> min_face_size_px;
  std::optional<float> face_score_threshold;
  std::optional<float> object_score_threshold;
  std::optional<int> max_objects;
};

struct ImageJob {
  // RGB, CV_8UC3. Shared because several stages read it concurrently; never
  // written after decoding.
  std::shared_ptr<const cv::Mat> rgb;
  bool emotion = false;
  bool attire = false;
  bool scene = false;
  // Pose per person (the pose model runs only when this is set).
  bool body = false;
  // Face mesh per face (needs faces; the mesh model runs only when set).
  bool attention = false;
  ImageOverrides overrides;
  absl::Time deadline = absl::InfiniteFuture();
  std::shared_ptr<const CancellationFlag> cancellation;
  TrafficClass traffic_class = TrafficClass::kUnary;
};

// Where one job's time went.
struct PipelineTimings {
  // Longest wait in any model queue.
  absl::Duration queue;
  // Model compute attributed to this job (sum over stages).
  absl::Duration inference;
  // Pre- and post-processing on the worker threads (sum over stages).
  absl::Duration postprocess;

  // One model call of this job. Queue waits of calls that run alongside
  // overlap, so the longest one counts; compute adds up.
  void AddModelCall(const InferenceResult& call) {
    queue = std::max(queue, call.queue_time);
    inference += call.compute_time;
  }
  // A branch (stage, or the voice of the same request) done for this job:
  // the same rule as AddModelCall, and its processing adds up.
  void Merge(const PipelineTimings& branch) {
    queue = std::max(queue, branch.queue);
    inference += branch.inference;
    postprocess += branch.postprocess;
  }
};

struct ImageJobResult {
  v1::ImageAnalysis analysis;
  PipelineTimings timings;
  // Every model that contributed, once each.
  std::vector<v1::ModelRef> models;
};

// Called exactly once, on a pipeline worker thread.
using ImageJobCallback = absl::AnyInvocable<void(absl::StatusOr<ImageJobResult>) &&>;

}  // namespace affect

#endif  // AFFECT_SERVER_PIPELINE_IMAGE_JOB_H_

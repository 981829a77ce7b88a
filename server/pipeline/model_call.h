// Submitting work to a model and continuing on the worker pool: the glue
// every pipeline stage uses, so no stage ever runs pre/post-processing on an
// inference thread.
#ifndef AFFECT_SERVER_PIPELINE_MODEL_CALL_H_
#define AFFECT_SERVER_PIPELINE_MODEL_CALL_H_

#include <memory>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/engine/inference_request.h"
#include "server/engine/thread_pool.h"
#include "server/models/model_repository.h"

namespace affect {

using ModelContinuation = absl::AnyInvocable<void(absl::StatusOr<InferenceResult>) &&>;

struct ModelCallContext {
  absl::Time deadline = absl::InfiniteFuture();
  std::shared_ptr<const CancellationFlag> cancellation;
  TrafficClass traffic_class = TrafficClass::kUnary;
};

// OK while the work of `context` is still wanted; CANCELLED or
// DEADLINE_EXCEEDED once its caller cancelled or its deadline passed. Stages
// call it before pre-processing, so that abandoned work costs nothing more.
absl::Status CheckStillWanted(const ModelCallContext& context);

// Submits `items` (items[i][input]) to `model`. `continuation` runs exactly
// once on `workers`: with the result, or with the reason the model could not
// take the work (queue full, not ready, shutting down...). If the pool is already shut down it runs on the calling (or
// engine) thread instead, so that no caller is left without an answer.
void CallModel(const ModelHandle& model, std::vector<std::vector<Tensor>> items,
               const ModelCallContext& context, ThreadPool* workers,
               ModelContinuation continuation);

}  // namespace affect

#endif  // AFFECT_SERVER_PIPELINE_MODEL_CALL_H_

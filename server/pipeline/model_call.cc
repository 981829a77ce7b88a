#include "server/pipeline/model_call.h"

#include <utility>

#include "absl/time/clock.h"


namespace affect {

absl::Status CheckStillWanted(const ModelCallContext& context) {
  if (context.cancellation != nullptr && context.cancellation->cancelled()) {
    return absl::CancelledError("the call was cancelled; remaining work dropped");
  }
  if (absl::Now() >= context.deadline) {
    return absl::DeadlineExceededError("deadline exceeded before the next model stage");
  }
  return absl::OkStatus();
}

void CallModel(const ModelHandle& model, std::vector<std::vector<Tensor>> items,
               const ModelCallContext& context, ThreadPool* workers,
               ModelContinuation continuation) {
  auto request = std::make_unique<InferenceRequest>();
  request->items = std::move(items);
  request->deadline = context.deadline;
  request->cancellation = context.cancellation;
  request->traffic_class = context.traffic_class;
  // The continuation is shared between the batcher's callback and the
  // synchronous-refusal path; exactly one of them runs it.
  auto shared = std::make_shared<ModelContinuation>(std::move(continuation));
  request->done = [shared, workers](absl::StatusOr<InferenceResult> result) mutable {
    RunOnPoolOrInline(workers, [shared, result = std::move(result)]() mutable {
      std::move(*shared)(std::move(result));
    });
  };
  const absl::Status status = model.Submit(request);
  if (!status.ok()) {
    // Not accepted: `done` will never run; answer here with the reason (the
    // batcher's messages name the model).
    RunOnPoolOrInline(workers, [shared, status]() mutable { std::move(*shared)(status); });
  }
}

}  // namespace affect

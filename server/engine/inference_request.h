// What callers hand to a model's DynamicBatcher, and what they get back.
#ifndef AFFECT_SERVER_ENGINE_INFERENCE_REQUEST_H_
#define AFFECT_SERVER_ENGINE_INFERENCE_REQUEST_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/tensor/tensor.h"

namespace affect {

// Set by the RPC layer when a call is cancelled (or its stream breaks);
// queued work that carries it is dropped before compute. Thread-safe.
class CancellationFlag {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_release); }
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> cancelled_{false};
};

// Where work comes from. The batcher keeps one queue per class and serves
// them in turn, so a flood of stream frames cannot starve unary calls and
// the reverse.
enum class TrafficClass { kUnary = 0, kStream = 1 };
inline constexpr int kNumTrafficClasses = 2;

// The answer to one InferenceRequest.
struct InferenceResult {
  // outputs[item][output_index], each WITHOUT the batch dimension (the
  // model's output row for that item), in the model's output order.
  std::vector<std::vector<Tensor>> outputs;
  // Longest time any item of the request waited in the queue.
  absl::Duration queue_time;
  // Compute time of the batches the items ran in, shared in proportion to
  // the rows each request contributed.
  absl::Duration compute_time;
  // Largest batch any item ran in.
  int batch_size = 0;
};

// Called exactly once per accepted request, on an engine thread: keep it
// short (hand heavy post-processing to a ThreadPool).
using InferenceCallback = absl::AnyInvocable<void(absl::StatusOr<InferenceResult>) &&>;

// Several items submitted together (e.g. the face crops of one frame) are
// returned together; they may run in different batches.
struct InferenceRequest {
  // items[i][input_index], each WITHOUT the batch dimension: item shapes must
  // equal the model's input dims. REQUIRES: at least one item.
  std::vector<std::vector<Tensor>> items;
  // Work still queued at the deadline is dropped and answered
  // DEADLINE_EXCEEDED without computing.
  absl::Time deadline = absl::InfiniteFuture();
  // Optional; when cancelled, queued items are dropped and the request is
  // answered CANCELLED.
  std::shared_ptr<const CancellationFlag> cancellation;
  TrafficClass traffic_class = TrafficClass::kUnary;
  InferenceCallback done;
};

}  // namespace affect

#endif  // AFFECT_SERVER_ENGINE_INFERENCE_REQUEST_H_

// The compute behind a DynamicBatcher: runs one stacked batch.
#ifndef AFFECT_SERVER_ENGINE_BATCH_EXECUTOR_H_
#define AFFECT_SERVER_ENGINE_BATCH_EXECUTOR_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "server/tensor/tensor.h"

namespace affect {

// Implementations: TorchBatchExecutor (a TorchScript module) and test fakes.
// Thread-safe: a batcher with instance_count > 1 calls Execute from several
// worker threads at once.
class BatchExecutor {
 public:
  virtual ~BatchExecutor() = default;
  // inputs[k] has shape [batch, input_dims...]; returns one tensor per model
  // output, each with the batch as its first dimension.
  virtual absl::StatusOr<std::vector<Tensor>> Execute(absl::Span<const Tensor> inputs) = 0;
};

}  // namespace affect

#endif  // AFFECT_SERVER_ENGINE_BATCH_EXECUTOR_H_

// Runs a DynamicBatcher's batches on a TorchScript module. Its own library
// (affect::engine_torch) so that the batcher library does not link LibTorch.
#ifndef AFFECT_SERVER_ENGINE_TORCH_BATCH_EXECUTOR_H_
#define AFFECT_SERVER_ENGINE_TORCH_BATCH_EXECUTOR_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "server/engine/batch_executor.h"
#include "server/tensor/tensor.h"
#include "server/torch/torch_module.h"

namespace affect {

// Thread-safe (TorchModule::Forward is): one executor serves all of a
// model's instances, sharing one copy of the weights. LibTorch's intra-op
// pool is process-wide (SetTorchIntraOpThreads); see server/engine/README.md
// for choosing it together with instance_count.
class TorchBatchExecutor : public BatchExecutor {
 public:
  // REQUIRES: module != nullptr.
  explicit TorchBatchExecutor(std::shared_ptr<const TorchModule> module);

  // module->Forward(inputs): INTERNAL "PyTorch execute failure ..." or
  // INVALID_ARGUMENT for a non-tensor output, never an exception.
  absl::StatusOr<std::vector<Tensor>> Execute(absl::Span<const Tensor> inputs) override;

  const TorchModule& module() const { return *module_; }

 private:
  std::shared_ptr<const TorchModule> module_;
};

}  // namespace affect

#endif  // AFFECT_SERVER_ENGINE_TORCH_BATCH_EXECUTOR_H_

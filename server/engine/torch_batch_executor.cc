#include "server/engine/torch_batch_executor.h"

#include <utility>

namespace affect {

TorchBatchExecutor::TorchBatchExecutor(std::shared_ptr<const TorchModule> module)
    : module_(std::move(module)) {}

absl::StatusOr<std::vector<Tensor>> TorchBatchExecutor::Execute(absl::Span<const Tensor> inputs) {
  return module_->Forward(inputs);
}

}  // namespace affect

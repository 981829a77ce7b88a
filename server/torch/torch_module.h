// The LibTorch adapter: the only place in the project that includes torch
// headers (they are slow to compile and throw exceptions; everything else
// sees absl::Status and affect::Tensor).
#ifndef AFFECT_SERVER_TORCH_TORCH_MODULE_H_
#define AFFECT_SERVER_TORCH_TORCH_MODULE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "server/tensor/tensor.h"
#include "server/torch/device_spec.h"

namespace affect {

// What this process's LibTorch can do. Thread-safe.
struct TorchRuntimeInfo {
  std::string version;         // e.g. "1.13.1"
  bool cuda_available = false;  // built with CUDA and a GPU is visible
  int cuda_device_count = 0;
  std::string blas;             // BLAS in use, from at::show_config()
  int intra_op_threads = 0;
};
TorchRuntimeInfo GetTorchRuntimeInfo();

// Sets LibTorch's intra-op thread pool size (process-wide). Call once at
// start-up, before any model runs. REQUIRES: threads >= 1.
void SetTorchIntraOpThreads(int threads);

// Resolves kAuto to cuda:0 when CUDA is usable, else cpu. An explicit cuda
// request on a machine without CUDA is an error (FAILED_PRECONDITION) so that
// an operator who asked for a GPU learns at start-up that there is none.
absl::StatusOr<DeviceSpec> ResolveDevice(const DeviceSpec& requested);

struct TorchModuleOptions {
  DeviceSpec device = DeviceSpec::Cpu();  // must be resolved (not kAuto)
  // Run in float16 (CUDA only; ignored on CPU). Inputs and outputs stay
  // float32 on the host side.
  bool half_precision = false;
};

// Compiles TorchScript `source` (the body of a module: `def forward(self, x):
// ...`) into a module and saves it to `path`. Lets tests and tools make tiny
// real models without Python. INVALID_ARGUMENT when the source does not
// compile.
absl::Status SaveScriptedModule(const std::string& source, const std::string& path);

// A loaded TorchScript module on one device.
//
// Thread-safe: Forward may be called from several threads at once (TorchScript
// modules in inference mode do not mutate state), which is how a model's
// instances share one copy of the weights.
class TorchModule {
 public:
  // Loads a TorchScript file. NOT_FOUND when the file is missing,
  // INVALID_ARGUMENT when it is not a loadable TorchScript archive.
  static absl::StatusOr<std::unique_ptr<TorchModule>> Load(const std::string& path,
                                                           const TorchModuleOptions& options);

  ~TorchModule();
  TorchModule(const TorchModule&) = delete;
  TorchModule& operator=(const TorchModule&) = delete;

  // Runs forward(inputs...). Each input's first dim is the batch. The module
  // may return a tensor or a tuple/list of tensors; they are copied back to
  // host float32 in that order. Errors (shape mismatch inside the model, CUDA
  // out of memory, a non-tensor output) come back as INTERNAL/INVALID_ARGUMENT
  // with LibTorch's message, never as exceptions.
  absl::StatusOr<std::vector<Tensor>> Forward(absl::Span<const Tensor> inputs) const;

  const DeviceSpec& device() const { return options_.device; }
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  TorchModule(std::string path, TorchModuleOptions options, std::unique_ptr<Impl> impl);

  std::string path_;
  TorchModuleOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace affect

#endif  // AFFECT_SERVER_TORCH_TORCH_MODULE_H_

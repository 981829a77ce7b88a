#include "server/torch/torch_module.h"

#include <torch/script.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace affect {
namespace {

// LibTorch reports errors by throwing; its messages carry a long C++ backtrace
// after the first lines. Keep what a user can act on.
std::string ShortTorchMessage(const std::exception& e) {
  absl::string_view what = e.what();
  const size_t backtrace = what.find("Exception raised from");
  if (backtrace != absl::string_view::npos) what = what.substr(0, backtrace);
  return std::string(absl::StripAsciiWhitespace(what));
}

torch::Device ToTorchDevice(const DeviceSpec& spec) {
  if (spec.kind == DeviceSpec::Kind::kCuda) {
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(spec.index));
  }
  return torch::Device(torch::kCPU);
}

// The shared library that provides libblas.so.3 in this process. Debian's
// LibTorch calls the generic BLAS interface, and which implementation answers
// (OpenBLAS or the 12x slower reference BLAS) is decided by the system's
// alternatives, so the mapped file is the truth.
std::string MappedBlasLibrary() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (absl::StrContains(path, "libblas") || absl::StrContains(path, "openblas") ||
        absl::StrContains(path, "libmkl")) {
      std::error_code error;
      const auto resolved = std::filesystem::canonical(path, error);
      return error ? path : resolved.string();
    }
  }
  return "";
}

}  // namespace

struct TorchModule::Impl {
  mutable torch::jit::Module module;
  torch::Device device{torch::kCPU};
  bool half = false;
};

TorchRuntimeInfo GetTorchRuntimeInfo() {
  TorchRuntimeInfo info;
  info.version = TORCH_VERSION;
  info.cuda_available = torch::cuda::is_available();
  info.cuda_device_count = info.cuda_available ? static_cast<int>(torch::cuda::device_count()) : 0;
  std::string blas_info = "unknown";
  for (absl::string_view line : absl::StrSplit(at::show_config(), '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "- BLAS_INFO=")) blas_info = std::string(line);
  }
  const std::string library = MappedBlasLibrary();
  info.blas = library.empty() ? blas_info : absl::StrCat(blas_info, " (", library, ")");
  info.intra_op_threads = at::get_num_threads();
  return info;
}

void SetTorchIntraOpThreads(int threads) { at::set_num_threads(threads); }

absl::StatusOr<DeviceSpec> ResolveDevice(const DeviceSpec& requested) {
  const bool cuda = torch::cuda::is_available();
  switch (requested.kind) {
    case DeviceSpec::Kind::kAuto:
      return cuda ? DeviceSpec::Cuda(0) : DeviceSpec::Cpu();
    case DeviceSpec::Kind::kCpu:
      return requested;
    case DeviceSpec::Kind::kCuda: {
      if (!cuda) {
        return absl::FailedPreconditionError(absl::StrCat(
            "device ", requested.ToString(),
            " requested but CUDA is not available (this LibTorch ", TORCH_VERSION,
            " has no CUDA or no GPU is visible); use --device=cpu or --device=auto"));
      }
      const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
      if (requested.index >= count) {
        return absl::FailedPreconditionError(absl::StrCat("device ", requested.ToString(),
                                                          " requested but only ", count,
                                                          " CUDA device(s) are visible"));
      }
      return requested;
    }
  }
  return absl::InternalError("unreachable device kind");
}

absl::Status SaveScriptedModule(const std::string& source, const std::string& path) {
  try {
    torch::jit::Module module("affect_scripted");
    module.define(source);
    module.save(path);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot build TorchScript module: ", ShortTorchMessage(e)));
  }
  return absl::OkStatus();
}

TorchModule::TorchModule(std::string path, TorchModuleOptions options, std::unique_ptr<Impl> impl)
    : path_(std::move(path)), options_(std::move(options)), impl_(std::move(impl)) {}

TorchModule::~TorchModule() = default;

absl::StatusOr<std::unique_ptr<TorchModule>> TorchModule::Load(const std::string& path,
                                                               const TorchModuleOptions& options) {
  if (options.device.kind == DeviceSpec::Kind::kAuto) {
    return absl::InvalidArgumentError("TorchModule::Load needs a resolved device, not 'auto'");
  }
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat("model file ", path, " does not exist"));
  }
  auto impl = std::make_unique<Impl>();
  impl->device = ToTorchDevice(options.device);
  impl->half = options.half_precision && options.device.is_cuda();
  try {
    c10::InferenceMode guard;
    impl->module = torch::jit::load(path, impl->device);
    impl->module.eval();
    if (impl->half) impl->module.to(torch::kHalf);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot load TorchScript file ", path, ": ", ShortTorchMessage(e)));
  }
  return std::unique_ptr<TorchModule>(new TorchModule(path, options, std::move(impl)));
}

absl::StatusOr<std::vector<Tensor>> TorchModule::Forward(absl::Span<const Tensor> inputs) const {
  std::vector<Tensor> outputs;
  try {
    c10::InferenceMode guard;
    std::vector<torch::jit::IValue> arguments;
    arguments.reserve(inputs.size());
    for (const Tensor& input : inputs) {
      // from_blob does not copy: the module only reads its inputs, and the
      // host tensor outlives the call.
      torch::Tensor t = torch::from_blob(const_cast<float*>(input.data()), input.shape(),
                                         torch::TensorOptions().dtype(torch::kFloat32));
      if (impl_->device.is_cuda()) t = t.to(impl_->device);
      if (impl_->half) t = t.to(torch::kHalf);
      arguments.emplace_back(std::move(t));
    }
    const torch::jit::IValue result = impl_->module.forward(std::move(arguments));

    std::vector<torch::Tensor> tensors;
    if (result.isTensor()) {
      tensors.push_back(result.toTensor());
    } else if (result.isTuple()) {
      for (const auto& element : result.toTupleRef().elements()) {
        if (!element.isTensor()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "model ", path_, " returned a tuple element of type ", element.tagKind(),
              "; expected tensors only"));
        }
        tensors.push_back(element.toTensor());
      }
    } else if (result.isTensorList()) {
      for (const torch::Tensor& t : result.toTensorVector()) tensors.push_back(t);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("model ", path_, " returned a ",
                                                     result.tagKind(),
                                                     "; expected a tensor or a tuple of tensors"));
    }
    outputs.reserve(tensors.size());
    for (const torch::Tensor& t : tensors) {
      const torch::Tensor host = t.to(torch::kCPU, torch::kFloat32).contiguous();
      std::vector<int64_t> shape(host.sizes().begin(), host.sizes().end());
      const float* begin = host.data_ptr<float>();
      outputs.emplace_back(std::move(shape), std::vector<float>(begin, begin + host.numel()));
    }
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("PyTorch execute failure in ", path_, ": ", ShortTorchMessage(e)));
  }
  return outputs;
}

}  // namespace affect

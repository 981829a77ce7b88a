// Which device a model runs on, parsed from --device and config values.
#ifndef AFFECT_SERVER_TORCH_DEVICE_SPEC_H_
#define AFFECT_SERVER_TORCH_DEVICE_SPEC_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace affect {

struct DeviceSpec {
  enum class Kind { kAuto, kCpu, kCuda };
  Kind kind = Kind::kAuto;
  // CUDA device ordinal (kCuda only).
  int index = 0;

  static DeviceSpec Cpu() { return {Kind::kCpu, 0}; }
  static DeviceSpec Cuda(int index) { return {Kind::kCuda, index}; }

  // "auto", "cpu", "cuda:0".
  std::string ToString() const;
  bool is_cuda() const { return kind == Kind::kCuda; }
  bool operator==(const DeviceSpec& other) const {
    return kind == other.kind && (kind != Kind::kCuda || index == other.index);
  }
};

// Parses "auto", "cpu", "cuda" (= cuda:0) or "cuda:N".
absl::StatusOr<DeviceSpec> ParseDeviceSpec(absl::string_view text);

}  // namespace affect

#endif  // AFFECT_SERVER_TORCH_DEVICE_SPEC_H_

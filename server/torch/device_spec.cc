#include "server/torch/device_spec.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace affect {

std::string DeviceSpec::ToString() const {
  switch (kind) {
    case Kind::kAuto:
      return "auto";
    case Kind::kCpu:
      return "cpu";
    case Kind::kCuda:
      return absl::StrCat("cuda:", index);
  }
  return "auto";
}

absl::StatusOr<DeviceSpec> ParseDeviceSpec(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (lower == "auto") return DeviceSpec{};
  if (lower == "cpu") return DeviceSpec::Cpu();
  if (lower == "cuda") return DeviceSpec::Cuda(0);
  absl::string_view rest = lower;
  int index = 0;
  if (absl::ConsumePrefix(&rest, "cuda:") && absl::SimpleAtoi(rest, &index) && index >= 0) {
    return DeviceSpec::Cuda(index);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown device '", text, "': use auto, cpu, cuda or cuda:N"));
}

}  // namespace affect

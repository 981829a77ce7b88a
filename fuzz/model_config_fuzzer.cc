// libFuzzer target: model-config parsing, defaults and validation
// (server/config/model_config_loader.h) on arbitrary text. Invariants: never
// crash; parse and validation failures are INVALID_ARGUMENT; a config that
// validates keeps a plain model_filename.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/config/model_config_loader.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = affect::ParseModelConfig(text, "fuzz/config.pbtxt");
  if (!config.ok()) {
    Check(config.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  affect::FillModelConfigDefaults(&*config);
  const absl::Status valid = affect::ValidateModelConfig(*config, "", "fuzz/config.pbtxt");
  (void)affect::ModelTaskName(config->task());
  if (!valid.ok()) {
    Check(valid.code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  Check(config->model_filename().find('/') == std::string::npos);
  Check(config->model_filename() != "..");
  return 0;
}

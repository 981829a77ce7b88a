// Reads, completes and validates model configurations (config.pbtxt).
//
// Errors name the file and the field, so an operator can fix a repository
// from the log line alone:
//   "models/repository/emotion/config.pbtxt: dynamic_batching.preferred_batch_size
//    16 exceeds max_batch_size 8"
#ifndef AFFECT_SERVER_CONFIG_MODEL_CONFIG_LOADER_H_
#define AFFECT_SERVER_CONFIG_MODEL_CONFIG_LOADER_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "affect/v1/model_config.pb.h"

namespace affect {

inline constexpr char kPlatformTorchScript[] = "torchscript";
inline constexpr char kPlatformEnsemble[] = "ensemble";
inline constexpr char kDefaultModelFilename[] = "model.pt";

// Parses protobuf text. `source` (a path) only labels error messages.
absl::StatusOr<v1::ModelConfig> ParseModelConfig(absl::string_view text, absl::string_view source);

// Fills every defaulted field (platform, file name, version policy, instance
// count, queue size, data types) so the rest of the server reads explicit
// values.
void FillModelConfigDefaults(v1::ModelConfig* config);

// Checks a config with defaults filled. `expected_name` is the folder name
// (empty to skip that check).
absl::Status ValidateModelConfig(const v1::ModelConfig& config, absl::string_view expected_name,
                                 absl::string_view source);

// Reads `path`, parses, fills defaults and validates.
absl::StatusOr<v1::ModelConfig> LoadModelConfigFile(const std::string& path,
                                                    absl::string_view expected_name);

// Lower-case task name as shown in ListModels ("facial_expression").
std::string ModelTaskName(v1::ModelTask task);

}  // namespace affect

#endif  // AFFECT_SERVER_CONFIG_MODEL_CONFIG_LOADER_H_

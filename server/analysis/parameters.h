// Reads an analysis's tuning knobs from a model config's `parameters` map
// (e.g. {"min_score": "0.5", "fit": "letterbox"}), so operators can tune
// decoding without a rebuild. Errors are INVALID_ARGUMENT and name the key.
#ifndef AFFECT_SERVER_ANALYSIS_PARAMETERS_H_
#define AFFECT_SERVER_ANALYSIS_PARAMETERS_H_

#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/map.h"
#include "server/analysis/image_input.h"

namespace affect::analysis {

using ParameterMap = google::protobuf::Map<std::string, std::string>;

// Each reader leaves `*value` unchanged when `key` is absent.
absl::Status ReadFloatParameter(const ParameterMap& parameters, absl::string_view key,
                                float* value);
absl::Status ReadIntParameter(const ParameterMap& parameters, absl::string_view key, int* value);
// "true"/"false"/"1"/"0" (case-insensitive).
absl::Status ReadBoolParameter(const ParameterMap& parameters, absl::string_view key,
                               bool* value);
absl::Status ReadFitParameter(const ParameterMap& parameters, absl::string_view key,
                              FitMode* value);

// INVALID_ARGUMENT naming the first key not in `known` (a typo in a config
// should fail loudly rather than silently keep the default).
absl::Status CheckKnownParameters(const ParameterMap& parameters,
                                  std::initializer_list<absl::string_view> known);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_PARAMETERS_H_

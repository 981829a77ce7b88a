// Flags that choose analyses and tune them (AnalysisOptions), shared by
// `analyze`, `stream` and affect-bench.
#ifndef AFFECT_CLIENT_CLI_ANALYSIS_FLAGS_H_
#define AFFECT_CLIENT_CLI_ANALYSIS_FLAGS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "affect/v1/affect_service.pb.h"
#include "client/cli/flags.h"

namespace affect::client {

// --analyses, --max_faces, --min_face_size, --face_score_threshold,
// --object_score_threshold, --max_objects.
std::vector<FlagSpec> AnalysisFlagSpecs();

// "emotion,scene" -> {EMOTION, SCENE}. Case-insensitive, spaces ignored,
// duplicates kept once; "" or "all" -> {} (every analysis the server has
// enabled). INVALID_ARGUMENT names an unknown entry.
absl::StatusOr<std::vector<v1::Analysis>> ParseAnalysisList(absl::string_view text);

// The AnalysisOptions the flags ask for: only flags that were given are
// set, so the server's defaults apply to the rest. Range checks are the
// server's (it answers INVALID_ARGUMENT naming the field); negative counts
// are refused here because the fields are unsigned.
absl::StatusOr<v1::AnalysisOptions> AnalysisOptionsFromFlags(const ParsedFlags& flags);

// "drop_oldest" | "drop_newest" | "backpressure" (case-insensitive).
absl::StatusOr<v1::DropPolicy> ParseDropPolicy(absl::string_view text);

// "emotion", "attire", ... (the enum name without its prefix, lower case).
std::string AnalysisName(v1::Analysis analysis);

}  // namespace affect::client

#endif  // AFFECT_CLIENT_CLI_ANALYSIS_FLAGS_H_

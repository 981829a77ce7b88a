#include "client/cli/analysis_flags.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace affect::client {

std::vector<FlagSpec> AnalysisFlagSpecs() {
  return {
      {"analyses", FlagType::kString, "",
       "Comma-separated analyses to run: emotion, attire, scene, voice, body, attention (default: "
       "every analysis "
       "the server has enabled that the input allows).",
       "LIST"},
      {"max_faces", FlagType::kInt, "", "At most this many faces, best first (server: 1..100).",
       "N"},
      {"min_face_size", FlagType::kInt, "",
       "Ignore faces smaller than this many pixels on their shorter side.", "PX"},
      {"face_score_threshold", FlagType::kDouble, "", "Minimum face-detection score, (0, 1).", "X"},
      {"object_score_threshold", FlagType::kDouble, "", "Minimum object-detection score, (0, 1).",
       "X"},
      {"max_objects", FlagType::kInt, "", "At most this many objects (server: 1..300).", "N"},
  };
}

std::string AnalysisName(v1::Analysis analysis) {
  return absl::AsciiStrToLower(absl::StripPrefix(v1::Analysis_Name(analysis), "ANALYSIS_"));
}

absl::StatusOr<std::vector<v1::Analysis>> ParseAnalysisList(absl::string_view text) {
  std::vector<v1::Analysis> analyses;
  const std::string trimmed = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (trimmed.empty() || trimmed == "all") return analyses;
  for (absl::string_view item : absl::StrSplit(trimmed, ',', absl::SkipWhitespace())) {
    const std::string name(absl::StripAsciiWhitespace(item));
    v1::Analysis analysis = v1::ANALYSIS_UNSPECIFIED;
    if (!v1::Analysis_Parse("ANALYSIS_" + absl::AsciiStrToUpper(name), &analysis) ||
        analysis == v1::ANALYSIS_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat("--analyses: unknown analysis '", name,
                       "' (use emotion, attire, scene, voice, body, attention)"));
    }
    if (std::find(analyses.begin(), analyses.end(), analysis) == analyses.end()) {
      analyses.push_back(analysis);
    }
  }
  return analyses;
}

absl::StatusOr<v1::AnalysisOptions> AnalysisOptionsFromFlags(const ParsedFlags& flags) {
  v1::AnalysisOptions options;
  auto unsigned_flag = [&flags](absl::string_view name) -> absl::StatusOr<uint32_t> {
    const int64_t value = flags.GetInt(name);
    if (value < 0 || value > 0xFFFFFFFFll) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " must be >= 0, got ", value));
    }
    return static_cast<uint32_t>(value);
  };
  if (flags.Has("max_faces")) {
    auto value = unsigned_flag("max_faces");
    if (!value.ok()) return value.status();
    options.set_max_faces(*value);
  }
  if (flags.Has("min_face_size")) {
    auto value = unsigned_flag("min_face_size");
    if (!value.ok()) return value.status();
    options.set_min_face_size_px(*value);
  }
  if (flags.Has("max_objects")) {
    auto value = unsigned_flag("max_objects");
    if (!value.ok()) return value.status();
    options.set_max_objects(*value);
  }
  if (flags.Has("face_score_threshold")) {
    options.set_face_score_threshold(static_cast<float>(flags.GetDouble("face_score_threshold")));
  }
  if (flags.Has("object_score_threshold")) {
    options.set_object_score_threshold(
        static_cast<float>(flags.GetDouble("object_score_threshold")));
  }
  return options;
}

absl::StatusOr<v1::DropPolicy> ParseDropPolicy(absl::string_view text) {
  const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (name == "drop_oldest") return v1::DROP_POLICY_DROP_OLDEST;
  if (name == "drop_newest") return v1::DROP_POLICY_DROP_NEWEST;
  if (name == "backpressure") return v1::DROP_POLICY_BACKPRESSURE;
  return absl::InvalidArgumentError(absl::StrCat("--drop_policy: unknown policy '", text,
                                                 "' (use drop_oldest, drop_newest, backpressure)"));
}

}  // namespace affect::client

// Turns what a caller asked for (analyses, options, media present) into what
// the server will run, with the error model of affect_service.proto:
// INVALID_ARGUMENT for malformed requests, FAILED_PRECONDITION for analyses
// the operator disabled or the media does not allow, PERMISSION_DENIED for
// analyses the caller's token does not allow (caller_policy.h), UNAVAILABLE
// when no model can serve them.
#ifndef AFFECT_SERVER_API_ANALYSIS_PLAN_H_
#define AFFECT_SERVER_API_ANALYSIS_PLAN_H_

#include <functional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "affect/v1/affect_service.pb.h"
#include "server/api/caller_policy.h"
#include "server/pipeline/image_job.h"

namespace affect {

struct AnalysisPlan {
  bool emotion = false;
  bool attire = false;
  bool scene = false;
  bool voice = false;
  // Run only when named: their models cost more than the default analyses.
  bool body = false;
  bool attention = false;
  ImageOverrides overrides;

  bool any_image() const { return emotion || attire || scene || body || attention; }
  // In enum order, for AnalyzeResponse.analyses.
  std::vector<v1::Analysis> List() const;
};

// Why an analysis cannot run on this server right now (OK if it can).
using AvailabilityFn = std::function<absl::Status(v1::Analysis)>;

// `analyses` as sent; `has_image`/`has_audio`: which media the request
// carries. The field names prefix error messages ("analyses", "options").
// `caller`: the caller's policy (null = every analysis allowed). An empty
// `analyses` means every analysis that is enabled, allowed for the caller,
// allowed by the media and served by a model.
absl::StatusOr<AnalysisPlan> MakeAnalysisPlan(
    const google::protobuf::RepeatedField<int>& analyses, const v1::AnalysisOptions& options,
    bool has_image, bool has_audio, const std::set<v1::Analysis>& disabled,
    const AvailabilityFn& availability, absl::string_view analyses_field,
    absl::string_view options_field, const CallerPolicy* caller = nullptr);

// Range checks of AnalysisOptions (see the proto), into ImageOverrides.
absl::StatusOr<ImageOverrides> ValidateAnalysisOptions(const v1::AnalysisOptions& options,
                                                       absl::string_view field);

// A caller-chosen id (<= 128 printable ASCII characters), or a fresh random
// one when empty. INVALID_ARGUMENT otherwise: ids end up in logs, so they
// must not carry control characters.
absl::StatusOr<std::string> CheckOrMakeId(const std::string& id, absl::string_view field);

}  // namespace affect

#endif  // AFFECT_SERVER_API_ANALYSIS_PLAN_H_

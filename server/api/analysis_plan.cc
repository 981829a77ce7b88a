#include "server/api/analysis_plan.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/common/status_macros.h"

namespace affect {
namespace {

std::string AnalysisName(v1::Analysis analysis) {
  return v1::Analysis_Name(analysis);
}

}  // namespace

std::vector<v1::Analysis> AnalysisPlan::List() const {
  std::vector<v1::Analysis> list;
  if (emotion) list.push_back(v1::ANALYSIS_EMOTION);
  if (attire) list.push_back(v1::ANALYSIS_ATTIRE);
  if (scene) list.push_back(v1::ANALYSIS_SCENE);
  if (voice) list.push_back(v1::ANALYSIS_VOICE);
  if (body) list.push_back(v1::ANALYSIS_BODY);
  if (attention) list.push_back(v1::ANALYSIS_ATTENTION);
  return list;
}

absl::StatusOr<ImageOverrides> ValidateAnalysisOptions(const v1::AnalysisOptions& options,
                                                       absl::string_view field) {
  ImageOverrides overrides;
  auto out_of_range = [&](absl::string_view name, auto value, absl::string_view range) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".", name, ": ", value, " is outside ", range));
  };
  if (options.has_max_faces()) {
    if (options.max_faces() < 1 || options.max_faces() > 100) {
      return out_of_range("max_faces", options.max_faces(), "[1, 100]");
    }
    overrides.max_faces = static_cast<int>(options.max_faces());
  }
  if (options.has_min_face_size_px()) {
    if (options.min_face_size_px() > 10000) {
      return out_of_range("min_face_size_px", options.min_face_size_px(), "[0, 10000]");
    }
    overrides.min_face_size_px = static_cast<float>(options.min_face_size_px());
  }
  if (options.has_face_score_threshold()) {
    const float t = options.face_score_threshold();
    if (!(t > 0.0f && t < 1.0f)) return out_of_range("face_score_threshold", t, "(0, 1)");
    overrides.face_score_threshold = t;
  }
  if (options.has_object_score_threshold()) {
    const float t = options.object_score_threshold();
    if (!(t > 0.0f && t < 1.0f)) return out_of_range("object_score_threshold", t, "(0, 1)");
    overrides.object_score_threshold = t;
  }
  if (options.has_max_objects()) {
    if (options.max_objects() < 1 || options.max_objects() > 300) {
      return out_of_range("max_objects", options.max_objects(), "[1, 300]");
    }
    overrides.max_objects = static_cast<int>(options.max_objects());
  }
  return overrides;
}

absl::StatusOr<AnalysisPlan> MakeAnalysisPlan(
    const google::protobuf::RepeatedField<int>& analyses, const v1::AnalysisOptions& options,
    bool has_image, bool has_audio, const std::set<v1::Analysis>& disabled,
    const AvailabilityFn& availability, absl::string_view analyses_field,
    absl::string_view options_field, const CallerPolicy* caller) {
  AnalysisPlan plan;
  AFFECT_ASSIGN_OR_RETURN(plan.overrides,
                          ValidateAnalysisOptions(options, options_field));
  auto set = [&plan](v1::Analysis analysis) {
    switch (analysis) {
      case v1::ANALYSIS_EMOTION:
        plan.emotion = true;
        break;
      case v1::ANALYSIS_ATTIRE:
        plan.attire = true;
        break;
      case v1::ANALYSIS_SCENE:
        plan.scene = true;
        break;
      case v1::ANALYSIS_VOICE:
        plan.voice = true;
        break;
      case v1::ANALYSIS_BODY:
        plan.body = true;
        break;
      case v1::ANALYSIS_ATTENTION:
        plan.attention = true;
        break;
      default:
        break;
    }
  };
  if (analyses.empty()) {
    // Every enabled default analysis the media allows and a model can
    // serve; BODY and ATTENTION only when named (their models' cost).
    std::vector<v1::Analysis> candidates;
    if (has_image) {
      candidates = {v1::ANALYSIS_EMOTION, v1::ANALYSIS_ATTIRE, v1::ANALYSIS_SCENE};
    }
    if (has_audio) candidates.push_back(v1::ANALYSIS_VOICE);
    absl::Status first_unavailable;
    absl::Status first_denied;
    for (v1::Analysis analysis : candidates) {
      if (disabled.count(analysis) > 0) continue;
      if (caller != nullptr && !caller->Allows(analysis)) {
        if (first_denied.ok()) first_denied = CheckCallerAllows(*caller, analysis, analyses_field);
        continue;
      }
      absl::Status status = availability(analysis);
      if (status.ok()) {
        set(analysis);
      } else if (first_unavailable.ok()) {
        first_unavailable = status;
      }
    }
    if (plan.List().empty()) {
      if (!first_unavailable.ok()) return first_unavailable;
      if (!first_denied.ok()) {
        return absl::PermissionDeniedError(absl::StrCat(
            "no analysis can run: ", first_denied.message(),
            ", and no other analysis this media allows is allowed and enabled"));
      }
      return absl::FailedPreconditionError(
          "no analysis can run: every analysis this media allows is disabled on this server");
    }
    return plan;
  }
  for (int i = 0; i < analyses.size(); ++i) {
    const int value = analyses.Get(i);
    const std::string where = absl::StrCat(analyses_field, "[", i, "]");
    if (!v1::Analysis_IsValid(value) || value == v1::ANALYSIS_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", value,
                       " is not an analysis (EMOTION, ATTIRE, SCENE, VOICE, BODY, ATTENTION)"));
    }
    const auto analysis = static_cast<v1::Analysis>(value);
    if (disabled.count(analysis) > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": ", AnalysisName(analysis),
                       " is switched off on this server (--disabled_analyses)"));
    }
    if (caller != nullptr) AFFECT_RETURN_IF_ERROR(CheckCallerAllows(*caller, analysis, where));
    const bool is_voice = analysis == v1::ANALYSIS_VOICE;
    if (is_voice && !has_audio) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": ANALYSIS_VOICE needs audio; the request has none"));
    }
    if (!is_voice && !has_image) {
      return absl::FailedPreconditionError(absl::StrCat(
          where, ": ", AnalysisName(analysis), " needs an image; the request has none"));
    }
    AFFECT_RETURN_IF_ERROR(availability(analysis));
    set(analysis);
  }
  return plan;
}

absl::StatusOr<std::string> CheckOrMakeId(const std::string& id, absl::string_view field) {
  if (id.empty()) {
    thread_local absl::BitGen random;
    return absl::StrFormat("%016x", absl::Uniform<uint64_t>(random));
  }
  if (id.size() > 128) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", id.size(), " characters; at most 128"));
  }
  for (char c : id) {
    if (c < 0x20 || c > 0x7E) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": only printable ASCII characters are allowed"));
    }
  }
  return id;
}

}  // namespace affect

#include "client/eval/crop_setting.h"

#include <cmath>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace affect::eval {
namespace {

constexpr char kConfigured[] = "configured";

absl::StatusOr<v1::FaceCropPolicy> ParseSpec(absl::string_view spec) {
  v1::FaceCropPolicy policy;
  bool first = true;
  for (absl::string_view term : absl::StrSplit(spec, '+')) {
    term = absl::StripAsciiWhitespace(term);
    const bool is_source = term == "detector" || term == "keypoints";
    if (first != is_source) {
      return absl::InvalidArgumentError(absl::StrCat(
          "crop policy '", spec, "': ",
          first ? absl::StrCat("must start with a box source (detector or keypoints), not '", term,
                               "'")
                : absl::StrCat("'", term, "' is a box source and must come first")));
    }
    first = false;
    if (term == "detector") {
      policy.set_box_source(v1::FaceCropPolicy::BOX_SOURCE_DETECTOR);
    } else if (term == "keypoints") {
      policy.set_box_source(v1::FaceCropPolicy::BOX_SOURCE_KEYPOINTS);
    } else if (term == "square") {
      policy.set_square(true);
    } else if (term == "align") {
      policy.set_align_eyes(true);
    } else if (absl::ConsumePrefix(&term, "margin=")) {
      float margin = 0.0f;
      if (!absl::SimpleAtof(term, &margin) || !std::isfinite(margin) || !(margin > -0.5f)) {
        return absl::InvalidArgumentError(
            absl::StrCat("crop policy '", spec, "': margin '", term, "' must be a number > -0.5"));
      }
      policy.set_margin(margin);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("crop policy '", spec, "': unknown term '", term,
                       "' (terms: detector|keypoints, square, align, margin=F)"));
    }
  }
  return policy;
}

}  // namespace

const std::vector<CropPreset>& CropPresets() {
  static const std::vector<CropPreset>* const presets = new std::vector<CropPreset>{
      {kConfigured, ""},
      {"tight", "detector"},
      {"square", "detector+square"},
      {"margin10", "detector+square+margin=0.1"},
      {"margin20", "detector+square+margin=0.2"},
      {"aligned", "detector+square+align"},
      {"keypoints", "keypoints"},
      {"keypoints_aligned", "keypoints+align"},
  };
  return *presets;
}

std::string DefaultCropSettings() {
  std::vector<std::string> names;
  for (const CropPreset& preset : CropPresets()) names.push_back(preset.name);
  return absl::StrJoin(names, ",");
}

absl::StatusOr<CropSetting> ParseCropSetting(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  for (const CropPreset& preset : CropPresets()) {
    if (text != preset.name) continue;
    if (text == kConfigured) return CropSetting{preset.name, std::nullopt};
    absl::StatusOr<v1::FaceCropPolicy> policy = ParseSpec(preset.spec);
    if (!policy.ok()) return policy.status();
    return CropSetting{preset.name, *std::move(policy)};
  }
  if (!absl::StrContains(text, '+') && text != "detector" && text != "keypoints") {
    std::vector<std::string> names;
    for (const CropPreset& preset : CropPresets()) names.push_back(preset.name);
    return absl::InvalidArgumentError(
        absl::StrCat("unknown crop policy '", text, "' (presets: ", absl::StrJoin(names, ", "),
                     "; or a spec such as keypoints+align+margin=0.05)"));
  }
  absl::StatusOr<v1::FaceCropPolicy> policy = ParseSpec(text);
  if (!policy.ok()) return policy.status();
  return CropSetting{std::string(text), *std::move(policy)};
}

absl::StatusOr<std::vector<CropSetting>> ParseCropSettings(absl::string_view list) {
  std::vector<CropSetting> settings;
  std::set<std::string> seen;
  for (absl::string_view item : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    absl::StatusOr<CropSetting> setting = ParseCropSetting(item);
    if (!setting.ok()) return setting.status();
    if (!seen.insert(setting->name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("crop policy '", setting->name, "' is listed twice"));
    }
    settings.push_back(*std::move(setting));
  }
  if (settings.empty()) return absl::InvalidArgumentError("no crop policy given");
  return settings;
}

std::string DescribeCropPolicy(const v1::FaceCropPolicy& policy) {
  std::string spec =
      policy.box_source() == v1::FaceCropPolicy::BOX_SOURCE_KEYPOINTS ? "keypoints" : "detector";
  if (policy.square()) absl::StrAppend(&spec, "+square");
  if (policy.align_eyes()) absl::StrAppend(&spec, "+align");
  if (policy.margin() != 0.0f) absl::StrAppend(&spec, "+margin=", policy.margin());
  return spec;
}

}  // namespace affect::eval

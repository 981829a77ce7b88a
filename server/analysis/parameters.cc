#include "server/analysis/parameters.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace affect::analysis {
namespace {

const std::string* Find(const ParameterMap& parameters, absl::string_view key) {
  const auto it = parameters.find(std::string(key));
  return it == parameters.end() ? nullptr : &it->second;
}

absl::Status BadValue(absl::string_view key, absl::string_view text, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("parameters['", key, "'] = '", text, "' is not ", expected));
}

}  // namespace

absl::Status ReadFloatParameter(const ParameterMap& parameters, absl::string_view key,
                                float* value) {
  const std::string* text = Find(parameters, key);
  if (text == nullptr) return absl::OkStatus();
  float parsed = 0.0f;
  if (!absl::SimpleAtof(*text, &parsed) || !std::isfinite(parsed)) {
    return BadValue(key, *text, "a number");
  }
  *value = parsed;
  return absl::OkStatus();
}

absl::Status ReadIntParameter(const ParameterMap& parameters, absl::string_view key, int* value) {
  const std::string* text = Find(parameters, key);
  if (text == nullptr) return absl::OkStatus();
  int parsed = 0;
  if (!absl::SimpleAtoi(*text, &parsed)) return BadValue(key, *text, "an integer");
  *value = parsed;
  return absl::OkStatus();
}

absl::Status ReadBoolParameter(const ParameterMap& parameters, absl::string_view key,
                               bool* value) {
  const std::string* text = Find(parameters, key);
  if (text == nullptr) return absl::OkStatus();
  const std::string lower = absl::AsciiStrToLower(*text);
  if (lower == "true" || lower == "1") {
    *value = true;
  } else if (lower == "false" || lower == "0") {
    *value = false;
  } else {
    return BadValue(key, *text, "true or false");
  }
  return absl::OkStatus();
}

absl::Status ReadFitParameter(const ParameterMap& parameters, absl::string_view key,
                              FitMode* value) {
  const std::string* text = Find(parameters, key);
  if (text == nullptr) return absl::OkStatus();
  absl::StatusOr<FitMode> fit = ParseFitMode(*text);
  if (!fit.ok()) return BadValue(key, *text, "stretch or letterbox");
  *value = *fit;
  return absl::OkStatus();
}

absl::Status CheckKnownParameters(const ParameterMap& parameters,
                                  std::initializer_list<absl::string_view> known) {
  // Sorted so the error names the same key whatever the map's order.
  std::map<std::string, std::string> sorted(parameters.begin(), parameters.end());
  for (const auto& [key, value] : sorted) {
    if (std::find(known.begin(), known.end(), absl::string_view(key)) == known.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", key,
                                                     "'; known: ", absl::StrJoin(known, ", ")));
    }
  }
  return absl::OkStatus();
}

}  // namespace affect::analysis

#include "server/api/caller_policy.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace affect {
namespace {

absl::StatusOr<v1::Analysis> AnalysisFromName(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "emotion") return v1::ANALYSIS_EMOTION;
  if (lower == "attire") return v1::ANALYSIS_ATTIRE;
  if (lower == "scene") return v1::ANALYSIS_SCENE;
  if (lower == "voice") return v1::ANALYSIS_VOICE;
  if (lower == "body") return v1::ANALYSIS_BODY;
  if (lower == "attention") return v1::ANALYSIS_ATTENTION;
  return absl::InvalidArgumentError(absl::StrCat(
      "'", name, "' is not an analysis (emotion, attire, scene, voice, body, attention, or all)"));
}

bool IsNameCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

}  // namespace

v1::CallerInfo CallerPolicy::ToProto() const {
  v1::CallerInfo info;
  info.set_name(name);
  for (v1::Analysis analysis : allowed) info.add_allowed_analyses(analysis);  // set: enum order
  if (max_requests_per_second.has_value()) {
    info.set_max_requests_per_second(*max_requests_per_second);
  }
  if (max_streams.has_value()) info.set_max_streams(static_cast<uint32_t>(*max_streams));
  return info;
}

absl::Status CheckCallerAllows(const CallerPolicy& caller, v1::Analysis analysis,
                               absl::string_view where) {
  if (caller.Allows(analysis)) return absl::OkStatus();
  std::vector<std::string> allowed;
  for (v1::Analysis a : caller.allowed) allowed.push_back(v1::Analysis_Name(a));
  return absl::PermissionDeniedError(absl::StrCat(
      where, ": ", v1::Analysis_Name(analysis), " is not allowed for caller '", caller.name,
      "' (its token allows: ", allowed.empty() ? "none" : absl::StrJoin(allowed, ", "),
      "); ask the operator to add it to the token's analyses= in --auth_token_file"));
}

absl::StatusOr<CallerPolicies> CallerPolicies::Parse(absl::string_view text,
                                                     absl::string_view file) {
  CallerPolicies policies;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    const std::string where = absl::StrCat("--auth_token_file ", file, " line ", line_number);
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const absl::string_view token = words[0];
    for (char c : token) {
      if (c < 0x21 || c > 0x7E) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": the token must be printable ASCII without spaces"));
      }
    }
    if (token.find('=') != absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": the line must start with the token, then key=value settings"));
    }
    const TokenDigest digest(token);
    for (const auto& [existing, unused] : policies.entries_) {
      if (existing.Matches(digest)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": the same token is already given on an earlier line"));
      }
    }
    CallerPolicy policy;
    policy.name = absl::StrCat("caller-", line_number);
    for (size_t i = 1; i < words.size(); ++i) {
      std::pair<absl::string_view, absl::string_view> setting =
          absl::StrSplit(words[i], absl::MaxSplits('=', 1));
      const absl::string_view key = setting.first;
      const absl::string_view value = setting.second;
      auto bad = [&](absl::string_view why) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", key, ": ", why));
      };
      if (words[i].find('=') == absl::string_view::npos || value.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": '", words[i],
                                                       "' is not key=value (name, analyses, "
                                                       "max_requests_per_second, max_streams)"));
      }
      if (key == "name") {
        if (value.size() > 64) return bad("at most 64 characters");
        for (char c : value) {
          if (!IsNameCharacter(c)) return bad("letters, digits, '-', '_' and '.' only");
        }
        policy.name = std::string(value);
      } else if (key == "analyses") {
        policy.allowed.clear();
        if (absl::AsciiStrToLower(value) == "all") {
          policy.allowed = CallerPolicy().allowed;
        } else if (absl::AsciiStrToLower(value) != "none") {
          for (absl::string_view name : absl::StrSplit(value, ',', absl::SkipEmpty())) {
            absl::StatusOr<v1::Analysis> analysis = AnalysisFromName(name);
            if (!analysis.ok()) return bad(analysis.status().message());
            policy.allowed.insert(*analysis);
          }
        }
      } else if (key == "max_requests_per_second") {
        double rate = 0;
        if (!absl::SimpleAtod(value, &rate) || !std::isfinite(rate) || rate <= 0.0) {
          return bad(absl::StrCat("'", value, "' is not a positive number"));
        }
        policy.max_requests_per_second = rate;
      } else if (key == "max_streams") {
        int streams = 0;
        if (!absl::SimpleAtoi(value, &streams) || streams < 0 || streams > 100000) {
          return bad(absl::StrCat("'", value, "' is not a whole number in [0, 100000]"));
        }
        policy.max_streams = streams;
      } else {
        return bad("unknown setting (name, analyses, max_requests_per_second, max_streams)");
      }
    }
    for (const auto& [unused, existing] : policies.entries_) {
      if (existing.name == policy.name) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": name: '", policy.name, "' is already used by an earlier line"));
      }
    }
    policies.entries_.emplace_back(digest, std::move(policy));
  }
  if (policies.entries_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--auth_token_file ", file, " is empty: it holds no token"));
  }
  return policies;
}

const CallerPolicy* CallerPolicies::Find(absl::string_view token) const {
  // Every entry is compared, found or not, so timing does not tell which
  // line (or how much of a token) matched.
  // By digest (server/common/token_compare.h): the time tells neither the
  // matching prefix nor a configured token's length. One hash per call.
  const TokenDigest presented(token);
  const CallerPolicy* found = nullptr;
  for (const auto& [candidate, policy] : entries_) {
    if (candidate.Matches(presented) && found == nullptr) found = &policy;
  }
  return found;
}

std::vector<const CallerPolicy*> CallerPolicies::All() const {
  std::vector<const CallerPolicy*> all;
  if (entries_.empty()) all.push_back(&anonymous_);
  for (const auto& [unused, policy] : entries_) all.push_back(&policy);
  return all;
}

}  // namespace affect

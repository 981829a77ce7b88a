// What each caller may do: the analyses its token allows, and optionally its
// own rate and stream caps. Read from --auth_token_file, one caller per line:
//
//   # TOKEN  [name=NAME] [analyses=LIST|all] [max_requests_per_second=R] [max_streams=N]
//   4f9c...e1  name=quality-review  analyses=voice,scene  max_streams=2
//   b7a0...22  name=research        analyses=all          max_requests_per_second=5
//
// A line that is only a token (the file format before per-caller policies)
// allows every analysis with no caps of its own. Blank lines and lines
// starting with '#' are ignored. Tokens are printable ASCII without spaces
// and must differ; names default to "caller-<line>" and are what logs,
// errors and GetServerInfo.caller show (never the token).
//
// The operator's --disabled_analyses still apply to everyone and answer
// FAILED_PRECONDITION; an analysis the caller's line does not allow answers
// PERMISSION_DENIED naming it (analysis_plan.h applies both).
//
// Immutable after parsing; thread-safe.
#ifndef AFFECT_SERVER_API_CALLER_POLICY_H_
#define AFFECT_SERVER_API_CALLER_POLICY_H_

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "affect/v1/affect_service.pb.h"
#include "server/common/token_compare.h"

namespace affect {

struct CallerPolicy {
  std::string name = "anonymous";
  std::set<v1::Analysis> allowed = {v1::ANALYSIS_EMOTION, v1::ANALYSIS_ATTIRE,
                                    v1::ANALYSIS_SCENE,   v1::ANALYSIS_VOICE,
                                    v1::ANALYSIS_BODY,    v1::ANALYSIS_ATTENTION};
  // Calls (Analyze, AnalyzeStream opens) per second, with a burst of
  // max(1, rate); unset = no cap of the caller's own.
  std::optional<double> max_requests_per_second;
  // Open streams at once; unset = only the server-wide --max_streams.
  std::optional<int> max_streams;

  bool Allows(v1::Analysis analysis) const { return allowed.count(analysis) > 0; }
  // For GetServerInfo.caller.
  v1::CallerInfo ToProto() const;
};

// PERMISSION_DENIED unless `caller` allows `analysis`; the message starts
// with `where` (e.g. "analyses[1]") and names the analysis and the caller.
absl::Status CheckCallerAllows(const CallerPolicy& caller, v1::Analysis analysis,
                               absl::string_view where);

class CallerPolicies {
 public:
  // No token file: no token is required and every caller is `anonymous`
  // (every analysis, no caps of its own).
  CallerPolicies() = default;

  // Parses the file's text (format above). `file` names the file in errors,
  // which are INVALID_ARGUMENT naming the line and the field and never
  // quoting a token.
  static absl::StatusOr<CallerPolicies> Parse(absl::string_view text, absl::string_view file);

  bool requires_token() const { return !entries_.empty(); }
  // The policy of the caller presenting `token` (compared in constant time
  // per entry), or nullptr when no entry has it.
  const CallerPolicy* Find(absl::string_view token) const;
  // The policy of every caller when no token is required.
  const CallerPolicy& anonymous() const { return anonymous_; }
  // Every policy, in file order (the anonymous one when none).
  std::vector<const CallerPolicy*> All() const;

 private:
  // (the token's digest, its policy): the tokens themselves are not kept.
  std::vector<std::pair<TokenDigest, CallerPolicy>> entries_;
  CallerPolicy anonymous_;
};

}  // namespace affect

#endif  // AFFECT_SERVER_API_CALLER_POLICY_H_

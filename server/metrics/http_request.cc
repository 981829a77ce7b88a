#include "server/metrics/http_request.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace affect {

size_t HttpHeadLength(absl::string_view received) {
  const size_t crlf = received.find("\r\n\r\n");
  const size_t lf = received.find("\n\n");
  const size_t crlf_end = crlf == absl::string_view::npos ? 0 : crlf + 4;
  const size_t lf_end = lf == absl::string_view::npos ? 0 : lf + 2;
  if (crlf_end == 0) return lf_end;
  if (lf_end == 0) return crlf_end;
  return std::min(crlf_end, lf_end);
}

absl::StatusOr<HttpRequestHead> ParseHttpRequestHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, '\n');
  if (lines.empty()) return absl::InvalidArgumentError("empty HTTP request");
  absl::string_view request_line = absl::StripSuffix(lines[0], "\r");
  const std::vector<absl::string_view> parts = absl::StrSplit(request_line, ' ');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() ||
      !absl::StartsWith(parts[2], "HTTP/")) {
    return absl::InvalidArgumentError("malformed HTTP request line");
  }
  HttpRequestHead parsed;
  parsed.method = std::string(parts[0]);
  parsed.target = std::string(parts[1]);
  parsed.path = parsed.target.substr(0, parsed.target.find('?'));
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = absl::StripSuffix(lines[i], "\r");
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    if (absl::EqualsIgnoreCase(line.substr(0, colon), "authorization")) {
      parsed.has_authorization = true;
      parsed.authorization = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
  }
  return parsed;
}

bool BearerToken(absl::string_view authorization, absl::string_view* token) {
  constexpr absl::string_view kScheme = "bearer ";
  if (authorization.size() < kScheme.size() ||
      !absl::EqualsIgnoreCase(authorization.substr(0, kScheme.size()), kScheme)) {
    return false;
  }
  *token = absl::StripAsciiWhitespace(authorization.substr(kScheme.size()));
  return true;
}

}  // namespace affect

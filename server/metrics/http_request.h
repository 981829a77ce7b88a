// The little HTTP/1.x the /metrics endpoint needs: finding the end of a
// request head in bytes received so far, and reading its request line and
// Authorization header. Nothing here trusts the input: every function reads
// only inside the given bytes and accepts any bytes.
//
// Pure functions, thread-safe.
#ifndef AFFECT_SERVER_METRICS_HTTP_REQUEST_H_
#define AFFECT_SERVER_METRICS_HTTP_REQUEST_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace affect {

struct HttpRequestHead {
  std::string method;  // "GET"
  std::string target;  // "/metrics?name[]=x"
  std::string path;    // target up to '?': "/metrics"
  bool has_authorization = false;
  std::string authorization;  // the header's value, surrounding blanks removed
};

// The length of the request head (request line and headers, up to and
// including the blank line: CRLF CRLF, or LF LF from lenient clients) at the
// start of `received`, or 0 when the blank line has not arrived yet.
size_t HttpHeadLength(absl::string_view received);

// Parses a complete head (as delimited by HttpHeadLength). INVALID_ARGUMENT
// for a request line that is not "METHOD SP TARGET SP HTTP/x.y".
absl::StatusOr<HttpRequestHead> ParseHttpRequestHead(absl::string_view head);

// For an Authorization value "Bearer <token>" (scheme matched without regard
// to case, as RFC 7235 says): sets *token and returns true. False for any
// other scheme.
bool BearerToken(absl::string_view authorization, absl::string_view* token);

}  // namespace affect

#endif  // AFFECT_SERVER_METRICS_HTTP_REQUEST_H_

// A minimal HTTP/1.0 GET for tests (scraping /metrics).
#ifndef AFFECT_TESTS_TESTING_HTTP_GET_H_
#define AFFECT_TESTS_TESTING_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"

namespace affect::testing {

// The response body of GET http://127.0.0.1:<port><path>, or an error for a
// failed connection or a non-200 status (INTERNAL, with the status line).
// `extra_headers` are whole header lines, each ending in CRLF.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path,
                                    const std::string& extra_headers = "");

// A TCP connection to 127.0.0.1:<port>: its descriptor (the caller closes
// it), or -1 when socket or connect failed.
int ConnectToLoopback(int port);

}  // namespace affect::testing

#endif  // AFFECT_TESTS_TESTING_HTTP_GET_H_

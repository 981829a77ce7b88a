// libFuzzer target: the /metrics endpoint's request parsing
// (server/metrics/http_request.h) on arbitrary bytes. Invariants: never
// crash; a head length lies within the input and ends in a blank line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "server/metrics/http_request.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view received(reinterpret_cast<const char*>(data), size);
  const size_t head = affect::HttpHeadLength(received);
  Check(head <= size);
  if (head > 0) Check(received.substr(0, head).substr(head - 2) == "\n\n" ||
                      received.substr(0, head).substr(head - 2) == "\r\n");
  auto parsed = affect::ParseHttpRequestHead(head > 0 ? received.substr(0, head) : received);
  if (parsed.ok()) {
    Check(!parsed->method.empty() && !parsed->target.empty());
    Check(parsed->path.size() <= parsed->target.size());
    absl::string_view token;
    if (affect::BearerToken(parsed->authorization, &token)) {
      Check(token.size() <= parsed->authorization.size());
    }
  }
  return 0;
}

// libFuzzer target: log escaping (server/common/log_escape.h) on arbitrary
// bytes. Invariants: never crash; escaped text holds no control character
// (no forged line); JSON strings hold none raw either; truncation is bounded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/common/log_escape.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

bool HasControl(const std::string& text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t max_bytes = data[0];
  const absl::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string truncated = affect::TruncateForLog(text, max_bytes);
  Check(truncated.size() <= max_bytes + 40);
  const std::string escaped = affect::EscapeLogText(truncated);
  Check(!HasControl(escaped));
  std::string json;
  affect::AppendJsonString(&json, truncated);
  Check(!HasControl(json));
  Check(json.size() >= 2 && json.front() == '"' && json.back() == '"');
  return 0;
}

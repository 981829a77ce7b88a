// Making any bytes safe to put in a log line: what the logger does to every
// message and field, because messages and fields carry client-supplied
// values (request and stream ids, model names, error text that quotes the
// request) and a client must not be able to forge lines (newlines), break a
// terminal (escape sequences) or fill the disk (an 8 MiB request_id).
//
// Pure functions, thread-safe.
#ifndef AFFECT_SERVER_COMMON_LOG_ESCAPE_H_
#define AFFECT_SERVER_COMMON_LOG_ESCAPE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace affect {

// Bounds on what one log line carries: a field's value, and the message.
inline constexpr size_t kMaxLogFieldBytes = 256;
inline constexpr size_t kMaxLogMessageBytes = 2048;

// The first `max_bytes` (or fewer, so as not to split a UTF-8 character) of
// `text`, plus a marker "...(N more bytes)" when anything was cut.
std::string TruncateForLog(absl::string_view text, size_t max_bytes);

// For the text format: printable ASCII and valid UTF-8 pass; backslash
// becomes \\, newline, carriage return and tab become \n \r \t, every other
// control byte, DEL and every byte of invalid UTF-8 become \xNN. The result
// holds no control character, so it cannot end or forge a line.
std::string EscapeLogText(absl::string_view text);

// For the JSON format: appends `text` as a JSON string (quotes included),
// control characters escaped as JSON requires, invalid UTF-8 replaced by
// U+FFFD, so the line stays one valid JSON object.
void AppendJsonString(std::string* out, absl::string_view text);

}  // namespace affect

#endif  // AFFECT_SERVER_COMMON_LOG_ESCAPE_H_

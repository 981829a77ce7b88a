#include "server/common/logging.h"

#include <atomic>
#include <cstdio>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/common/log_escape.h"

namespace affect {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> g_format{static_cast<int>(LogFormat::kText)};

// Serialises writes so lines from different threads never interleave.
absl::Mutex g_output_mutex;
std::string* g_sink ABSL_GUARDED_BY(g_output_mutex) = nullptr;

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

// Messages and field values may carry client-supplied text (ids, model
// names, error text quoting a request): every line escapes them and bounds
// them (server/common/log_escape.h), in both formats.

// key=value for the text format: the value escaped (no control characters
// survive) and quoted when it holds a blank, a quote or an '=' or is empty,
// so a client value cannot pass for another field either.
void AppendTextField(std::string* out, absl::string_view key, absl::string_view value) {
  std::string escaped = EscapeLogText(TruncateForLog(value, kMaxLogFieldBytes));
  const bool quote = escaped.empty() || escaped.find_first_of(" \"=") != std::string::npos;
  absl::StrAppend(out, " ", EscapeLogText(TruncateForLog(key, kMaxLogFieldBytes)), "=");
  if (!quote) {
    out->append(escaped);
    return;
  }
  out->push_back('"');
  for (char c : escaped) {
    if (c == '"') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

absl::string_view Basename(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "debug") return LogLevel::kDebug;
  if (lower == "info") return LogLevel::kInfo;
  if (lower == "warning" || lower == "warn") return LogLevel::kWarning;
  if (lower == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level '", text, "': use debug, info, warning or error"));
}

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "text") return LogFormat::kText;
  if (lower == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log format '", text, "': use text or json"));
}

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
void SetLogFormat(LogFormat format) { g_format.store(static_cast<int>(format)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }
bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void SetLogSinkForTesting(std::string* sink) {
  absl::MutexLock lock(&g_output_mutex);
  g_sink = sink;
}

std::string FormatLogLine(LogFormat format, LogLevel level, int64_t unix_micros,
                          absl::string_view file, int line, absl::string_view message,
                          const std::vector<std::pair<std::string, std::string>>& fields) {
  const std::string timestamp = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ",
                                                 absl::FromUnixMicros(unix_micros),
                                                 absl::UTCTimeZone());
  const std::string location = absl::StrCat(Basename(file), ":", line);
  std::string out;
  if (format == LogFormat::kJson) {
    out = "{\"ts\":";
    AppendJsonString(&out, timestamp);
    out.append(",\"level\":");
    AppendJsonString(&out, LevelName(level));
    out.append(",\"src\":");
    AppendJsonString(&out, location);
    out.append(",\"msg\":");
    AppendJsonString(&out, TruncateForLog(message, kMaxLogMessageBytes));
    for (const auto& [key, value] : fields) {
      out.push_back(',');
      AppendJsonString(&out, TruncateForLog(key, kMaxLogFieldBytes));
      out.push_back(':');
      AppendJsonString(&out, TruncateForLog(value, kMaxLogFieldBytes));
    }
    out.append("}\n");
  } else {
    out = absl::StrCat(timestamp, " ", absl::AsciiStrToUpper(LevelName(level)), " ", location,
                       "] ", EscapeLogText(TruncateForLog(message, kMaxLogMessageBytes)));
    for (const auto& [key, value] : fields) AppendTextField(&out, key, value);
    out.push_back('\n');
  }
  return out;
}

LogMessage::LogMessage(LogLevel level, const char* file, int line)
    : level_(level), file_(file), line_(line) {}

LogMessage::~LogMessage() {
  const std::string text =
      FormatLogLine(static_cast<LogFormat>(g_format.load()), level_,
                    absl::ToUnixMicros(absl::Now()), file_, line_, message_.str(), fields_);
  absl::MutexLock lock(&g_output_mutex);
  if (g_sink != nullptr) {
    g_sink->append(text);
  } else {
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
  }
}

}  // namespace affect

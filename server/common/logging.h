// The project's one logger: levelled, thread-safe, plain text or JSON lines,
// with structured key/value fields (request and stream ids).
//
//   AFFECT_LOG(INFO) << "model loaded";
//   AFFECT_LOG(WARNING).With("model", name).With("request_id", id) << "queue full";
//
// Lines go to stderr. Media (frames, audio) must never be logged: log sizes
// and ids only.
#ifndef AFFECT_SERVER_COMMON_LOGGING_H_
#define AFFECT_SERVER_COMMON_LOGGING_H_

#include <sstream>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace affect {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
enum class LogFormat { kText, kJson };

// Parses "debug", "info", "warning", "error" (case-insensitive).
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text);
// Parses "text" or "json".
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text);

// Process-wide logger settings. Thread-safe.
void SetLogLevel(LogLevel level);
void SetLogFormat(LogFormat format);
LogLevel GetLogLevel();
bool LogEnabled(LogLevel level);

// Redirects log lines to a string (tests). Pass nullptr to restore stderr.
// The sink must outlive its use. Thread-safe.
void SetLogSinkForTesting(std::string* sink);

// One log line under construction; written when destroyed.
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;

  // Adds a structured field; in text format printed as key=value.
  template <typename T>
  LogMessage& With(absl::string_view key, const T& value) {
    std::ostringstream os;
    os << value;
    fields_.emplace_back(std::string(key), os.str());
    return *this;
  }

  template <typename T>
  LogMessage& operator<<(const T& value) {
    message_ << value;
    return *this;
  }

 private:
  LogLevel level_;
  const char* file_;
  int line_;
  std::ostringstream message_;
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Formats one line (exposed for tests). `unix_micros` is the timestamp.
std::string FormatLogLine(LogFormat format, LogLevel level, int64_t unix_micros,
                          absl::string_view file, int line, absl::string_view message,
                          const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace affect

#define AFFECT_LOG_LEVEL_DEBUG ::affect::LogLevel::kDebug
#define AFFECT_LOG_LEVEL_INFO ::affect::LogLevel::kInfo
#define AFFECT_LOG_LEVEL_WARNING ::affect::LogLevel::kWarning
#define AFFECT_LOG_LEVEL_ERROR ::affect::LogLevel::kError

// The `if/else` form makes disabled levels cost one atomic load, and keeps
// the macro usable as a single statement.
#define AFFECT_LOG(severity)                                \
  if (!::affect::LogEnabled(AFFECT_LOG_LEVEL_##severity)) { \
  } else                                                    \
    ::affect::LogMessage(AFFECT_LOG_LEVEL_##severity, __FILE__, __LINE__)

#endif  // AFFECT_SERVER_COMMON_LOGGING_H_

// A small, table-driven command-line parser for the client tools.
//
// Why not absl flags: absl flags are process-global, so one binary with
// subcommands cannot tell which flags belong to which subcommand (a `--fps`
// given to `analyze` would be accepted silently), and global state makes the
// parsing hard to test in-process. This parser takes a table of FlagSpec per
// subcommand and accepts absl's syntax, so the client reads like the server:
//
//   --name=value   --name value   --bool_flag   --nobool_flag   --bool_flag=false
//   --             (everything after it is positional)
//
// Values are checked against their type while parsing (an int that does not
// parse, a duration without a unit), so every getter succeeds afterwards.
// Pure functions, thread-compatible.
#ifndef AFFECT_CLIENT_CLI_FLAGS_H_
#define AFFECT_CLIENT_CLI_FLAGS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace affect::client {

enum class FlagType { kString, kInt, kDouble, kBool, kDuration };

struct FlagSpec {
  FlagSpec(std::string name_in, FlagType type_in, std::string default_in, std::string help_in,
           std::string value_name_in = "")
      : name(std::move(name_in)),
        type(type_in),
        default_value(std::move(default_in)),
        help(std::move(help_in)),
        value_name(std::move(value_name_in)) {}

  // Without dashes, snake_case: "server".
  std::string name;
  FlagType type = FlagType::kString;
  // As it would be typed; "" for an empty string. Must parse as `type`.
  std::string default_value;
  std::string help;
  // Placeholder shown in help, e.g. "host:port"; empty: derived from the type.
  std::string value_name;
};

class ParsedFlags {
 public:
  // True when the flag was given on the command line (even if equal to its
  // default).
  bool Has(absl::string_view name) const;

  // The given value, else the default. REQUIRES: `name` is in the specs that
  // produced this object, with the matching type (checked: aborts
  // otherwise, as that is a programming error).
  std::string GetString(absl::string_view name) const;
  int64_t GetInt(absl::string_view name) const;
  double GetDouble(absl::string_view name) const;
  bool GetBool(absl::string_view name) const;
  absl::Duration GetDuration(absl::string_view name) const;

  // Arguments that are not flags, in order.
  const std::vector<std::string>& positional() const { return positional_; }
  // --help or -h was given (parsing stops checking values after it).
  bool help_requested() const { return help_requested_; }

 private:
  friend absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<FlagSpec>& specs,
                                                const std::vector<std::string>& args);
  const FlagSpec& Spec(absl::string_view name, FlagType type) const;
  std::string Raw(absl::string_view name, FlagType type) const;

  std::vector<FlagSpec> specs_;
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> positional_;
  bool help_requested_ = false;
};

// Parses `args` (without the program and subcommand names). Errors
// (INVALID_ARGUMENT) name the flag: "unknown flag --fsp", "--fps: 'ten' is
// not a number", "--server needs a value". A flag given twice keeps the
// last value, as absl does.
absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<FlagSpec>& specs,
                                       const std::vector<std::string>& args);

// Checks that `text` parses as `type` (used for values and for defaults).
absl::Status CheckFlagValue(FlagType type, absl::string_view text);

// Help lines for the flags, one block per flag:
//   --server=host:port  Address of the server. (default: localhost:50051)
std::string FormatFlagHelp(const std::vector<FlagSpec>& specs);

// Concatenates spec lists.
std::vector<FlagSpec> JoinFlagSpecs(std::initializer_list<std::vector<FlagSpec>> lists);

}  // namespace affect::client

#endif  // AFFECT_CLIENT_CLI_FLAGS_H_

// How results are printed: `--output table` (people) or `--output json`
// (one JSON object per line, the proto JSON mapping, for jq and scripts).
#ifndef AFFECT_CLIENT_CLI_OUTPUT_H_
#define AFFECT_CLIENT_CLI_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/flags.h"
#include "google/protobuf/message.h"

namespace affect::client {

enum class OutputFormat { kTable, kJson };

// --output.
std::vector<FlagSpec> OutputFlagSpecs();

// --output if given, else table when stdout is a terminal and JSON when it
// is a pipe or a file. INVALID_ARGUMENT for another value.
absl::StatusOr<OutputFormat> OutputFormatFromFlags(const ParsedFlags& flags, bool stdout_is_tty);

// The message in the proto3 JSON mapping (lowerCamelCase names, enums as
// their names, 64-bit integers as strings) on one line, with a newline.
std::string ToJsonLine(const google::protobuf::Message& message);

}  // namespace affect::client

#endif  // AFFECT_CLIENT_CLI_OUTPUT_H_

#include "client/cli/output.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace affect::client {

std::vector<FlagSpec> OutputFlagSpecs() {
  return {{"output", FlagType::kString, "",
           "table (readable) or json (one JSON object per line, proto JSON mapping). Default: "
           "table on a terminal, json when piped.",
           "table|json"}};
}

absl::StatusOr<OutputFormat> OutputFormatFromFlags(const ParsedFlags& flags, bool stdout_is_tty) {
  if (!flags.Has("output")) return stdout_is_tty ? OutputFormat::kTable : OutputFormat::kJson;
  const std::string value = flags.GetString("output");
  if (value == "table") return OutputFormat::kTable;
  if (value == "json") return OutputFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("--output: unknown format '", value, "' (use table or json)"));
}

std::string ToJsonLine(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  // Messages of this API always serialise; a failure would be a bug, and an
  // empty object keeps the one-object-per-line contract.
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) json = "{}";
  return json + "\n";
}

}  // namespace affect::client

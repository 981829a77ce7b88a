#include "client/cli/flags.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace affect::client {
namespace {

absl::StatusOr<bool> ParseBool(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "true" || lower == "1" || lower == "yes") return true;
  if (lower == "false" || lower == "0" || lower == "no") return false;
  return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not true or false"));
}

const char* TypePlaceholder(FlagType type) {
  switch (type) {
    case FlagType::kString:
      return "TEXT";
    case FlagType::kInt:
      return "N";
    case FlagType::kDouble:
      return "X";
    case FlagType::kBool:
      return "";
    case FlagType::kDuration:
      return "DURATION";
  }
  return "";
}

// Words of `text` on lines of at most `width` columns, each indented.
std::string WrapText(absl::string_view text, int indent, int width) {
  std::string out;
  std::string line;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (!line.empty() && static_cast<int>(line.size() + 1 + word.size()) > width - indent) {
      absl::StrAppend(&out, std::string(indent, ' '), line, "\n");
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  if (!line.empty()) absl::StrAppend(&out, std::string(indent, ' '), line, "\n");
  return out;
}

[[noreturn]] void ProgrammingError(const std::string& message) {
  std::fprintf(stderr, "affect client bug: %s\n", message.c_str());
  std::abort();
}

}  // namespace

absl::Status CheckFlagValue(FlagType type, absl::string_view text) {
  switch (type) {
    case FlagType::kString:
      return absl::OkStatus();
    case FlagType::kInt: {
      int64_t value = 0;
      if (absl::SimpleAtoi(text, &value)) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a whole number"));
    }
    case FlagType::kDouble: {
      double value = 0;
      if (absl::SimpleAtod(text, &value)) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a number"));
    }
    case FlagType::kBool:
      return ParseBool(text).status();
    case FlagType::kDuration: {
      absl::Duration value;
      if (absl::ParseDuration(text, &value)) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(
          "'", text, "' is not a duration (a number with a unit: 500ms, 30s, 2m, 1h)"));
    }
  }
  return absl::InternalError("unknown flag type");
}

absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<FlagSpec>& specs,
                                       const std::vector<std::string>& args) {
  ParsedFlags parsed;
  parsed.specs_ = specs;
  auto find = [&specs](absl::string_view name) -> const FlagSpec* {
    for (const FlagSpec& spec : specs) {
      if (spec.name == name) return &spec;
    }
    return nullptr;
  };
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (only_positional || arg.size() < 2 || arg[0] != '-' || absl::ascii_isdigit(arg[1])) {
      parsed.positional_.push_back(args[i]);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    if (arg == "-h" || arg == "--help" || arg == "-help") {
      parsed.help_requested_ = true;
      continue;
    }
    absl::ConsumePrefix(&arg, "-");
    absl::ConsumePrefix(&arg, "-");
    absl::string_view name = arg;
    absl::string_view value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    const FlagSpec* spec = find(name);
    if (spec == nullptr && !has_value && absl::StartsWith(name, "no")) {
      // --noflag for booleans, as absl spells it.
      const FlagSpec* negated = find(name.substr(2));
      if (negated != nullptr && negated->type == FlagType::kBool) {
        parsed.values_[negated->name] = "false";
        continue;
      }
    }
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!has_value) {
      if (spec->type == FlagType::kBool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
    }
    if (absl::Status valid = CheckFlagValue(spec->type, value); !valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", valid.message()));
    }
    parsed.values_[spec->name] = std::string(value);
  }
  return parsed;
}

bool ParsedFlags::Has(absl::string_view name) const { return values_.count(name) > 0; }

const FlagSpec& ParsedFlags::Spec(absl::string_view name, FlagType type) const {
  for (const FlagSpec& spec : specs_) {
    if (spec.name == name) {
      if (spec.type != type) ProgrammingError(absl::StrCat("flag --", name, " read as wrong type"));
      return spec;
    }
  }
  ProgrammingError(absl::StrCat("flag --", name, " is not declared for this command"));
}

std::string ParsedFlags::Raw(absl::string_view name, FlagType type) const {
  const FlagSpec& spec = Spec(name, type);
  auto it = values_.find(name);
  return it == values_.end() ? spec.default_value : it->second;
}

std::string ParsedFlags::GetString(absl::string_view name) const {
  return Raw(name, FlagType::kString);
}

int64_t ParsedFlags::GetInt(absl::string_view name) const {
  int64_t value = 0;
  if (!absl::SimpleAtoi(Raw(name, FlagType::kInt), &value)) {
    ProgrammingError(absl::StrCat("default of --", name, " is not an int"));
  }
  return value;
}

double ParsedFlags::GetDouble(absl::string_view name) const {
  double value = 0;
  if (!absl::SimpleAtod(Raw(name, FlagType::kDouble), &value)) {
    ProgrammingError(absl::StrCat("default of --", name, " is not a number"));
  }
  return value;
}

bool ParsedFlags::GetBool(absl::string_view name) const {
  auto value = ParseBool(Raw(name, FlagType::kBool));
  if (!value.ok()) ProgrammingError(absl::StrCat("default of --", name, " is not a bool"));
  return *value;
}

absl::Duration ParsedFlags::GetDuration(absl::string_view name) const {
  absl::Duration value;
  if (!absl::ParseDuration(Raw(name, FlagType::kDuration), &value)) {
    ProgrammingError(absl::StrCat("default of --", name, " is not a duration"));
  }
  return value;
}

std::string FormatFlagHelp(const std::vector<FlagSpec>& specs) {
  std::string text;
  for (const FlagSpec& spec : specs) {
    std::string left = absl::StrCat("  --", spec.name);
    if (spec.type != FlagType::kBool) {
      absl::StrAppend(&left, "=",
                      spec.value_name.empty() ? TypePlaceholder(spec.type) : spec.value_name);
    }
    std::string help = spec.help;
    if (!spec.default_value.empty() && spec.default_value != "false") {
      absl::StrAppend(&help, " (default: ", spec.default_value, ")");
    }
    absl::StrAppend(&text, left, "\n", WrapText(help, 6, 88));
  }
  return text;
}

std::vector<FlagSpec> JoinFlagSpecs(std::initializer_list<std::vector<FlagSpec>> lists) {
  std::vector<FlagSpec> joined;
  for (const auto& list : lists) joined.insert(joined.end(), list.begin(), list.end());
  return joined;
}

}  // namespace affect::client

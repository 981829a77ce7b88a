// Dispatch of affect-client: top-level help, finding the subcommand,
// parsing its flags, usage errors.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/command.h"
#include "client/cli/connection.h"
#include "client/cli/output.h"
#include "client/cli/rpc_error.h"
#include "server/common/build_info.h"

namespace affect::client {
namespace {

constexpr char kProgram[] = "affect-client";

const Command* FindCommand(absl::string_view name) {
  for (const Command& command : AllCommands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

std::string ExitCodeHelp() {
  return "Exit codes: 0 success; 1 a call failed (the message names the gRPC code), a health "
         "check\nwas not SERVING, or a result could not be written; 2 usage error (bad flag, "
         "unreadable\nor unsupported input; nothing was sent); 130 interrupted by Ctrl-C.\n";
}

std::string TopLevelHelp() {
  std::string text = absl::StrCat(
      kProgram,
      ": try an AffectServe server from the command line: emotion per face and per voice,\n"
      "attire and scene, as a readable table or as JSON lines.\n\n"
      "Usage: ",
      kProgram, " COMMAND [ARGS] [flags]\n\nCommands:\n");
  size_t width = 0;
  for (const Command& command : AllCommands()) width = std::max(width, command.name.size());
  for (const Command& command : AllCommands()) {
    absl::StrAppend(&text, "  ", command.name, std::string(width - command.name.size() + 2, ' '),
                    command.summary, "\n");
  }
  absl::StrAppend(
      &text, "\nExamples:\n", "  affect-client analyze photo.jpg --annotate=annotated.png\n",
      "  affect-client analyze clip.wav --output=json | jq .voice\n",
      "  affect-client stream video.mp4 --audio=video.wav --fps=5\n",
      "  affect-client stream 0            # the first camera; Ctrl-C to stop\n",
      "  affect-client health --wait=60s   # until the models are loaded\n\n",
      "Flags every command takes:\n",
      FormatFlagHelp(JoinFlagSpecs({ConnectionFlagSpecs(), OutputFlagSpecs()})), "\n",
      ExitCodeHelp(), "\nRun '", kProgram, " COMMAND --help' for a command's own flags.\n");
  return text;
}

std::string CommandHelp(const Command& command) {
  return absl::StrCat("Usage: ", kProgram, " ", command.usage, "\n\n", command.description,
                      "\n\nFlags:\n", FormatFlagHelp(command.flags), "\n", ExitCodeHelp());
}

// Index of the subcommand in args (>= 1), or 0 when there is none. Flags
// before the subcommand may use "--flag value", so values of the common
// flags are skipped.
size_t FindCommandIndex(const std::vector<std::string>& args) {
  const std::vector<FlagSpec> common = JoinFlagSpecs({ConnectionFlagSpecs(), OutputFlagSpecs()});
  for (size_t i = 1; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg.empty() || arg[0] != '-') return i;
    if (arg == "--") return i + 1 < args.size() ? i + 1 : 0;
    absl::string_view name = arg.substr(arg.find_first_not_of('-'));
    if (absl::StrContains(name, '=')) continue;
    for (const FlagSpec& spec : common) {
      if (spec.name == name && spec.type != FlagType::kBool) {
        ++i;
        break;
      }
    }
  }
  return 0;
}

}  // namespace

int UsageError(const CommandEnv& env, const std::string& command, const std::string& message) {
  *env.err << kProgram << ": " << message << "\nRun '" << kProgram << (command.empty() ? "" : " ")
           << command << " --help' for usage.\n";
  return kExitUsageError;
}

int RunClient(const std::vector<std::string>& args, const CommandEnv& env) {
  const size_t at = FindCommandIndex(args);
  const auto has_arg = [&args, at](absl::string_view wanted) {
    const size_t end = at == 0 ? args.size() : at;
    return std::find(args.begin() + 1, args.begin() + static_cast<long>(end), wanted) !=
           args.begin() + static_cast<long>(end);
  };
  if (has_arg("--version")) {
    *env.out << kProgram << " " << kServerVersion << " (" << kGitRevision << ", " << kBuildType
             << ")\n";
    return kExitOk;
  }
  if (at == 0) {
    if (has_arg("--help") || has_arg("-h") || has_arg("-help")) {
      *env.out << TopLevelHelp();
      return kExitOk;
    }
    *env.err << TopLevelHelp();
    return UsageError(env, "", "no command given");
  }
  const std::string name = args[at];
  if (name == "help") {
    if (at + 1 >= args.size()) {
      *env.out << TopLevelHelp();
      return kExitOk;
    }
    const Command* command = FindCommand(args[at + 1]);
    if (command == nullptr) return UsageError(env, "", "unknown command '" + args[at + 1] + "'");
    *env.out << CommandHelp(*command);
    return kExitOk;
  }
  const Command* command = FindCommand(name);
  if (command == nullptr) {
    std::vector<std::string> names;
    for (const Command& known : AllCommands()) names.push_back(known.name);
    names.push_back("help");
    return UsageError(
        env, "",
        absl::StrCat("unknown command '", name, "' (commands: ", absl::StrJoin(names, ", "), ")"));
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  rest.erase(rest.begin() + static_cast<long>(at - 1));
  auto flags = ParseFlags(command->flags, rest);
  if (!flags.ok()) return UsageError(env, name, std::string(flags.status().message()));
  if (flags->help_requested()) {
    *env.out << CommandHelp(*command);
    return kExitOk;
  }
  const int count = static_cast<int>(flags->positional().size());
  if (count < command->min_positional) {
    return UsageError(
        env, name,
        absl::StrCat("missing argument: usage is '", kProgram, " ", command->usage, "'"));
  }
  if (count > command->max_positional) {
    return UsageError(
        env, name,
        absl::StrCat("unexpected argument '", flags->positional()[command->max_positional],
                     "' (flags start with --)"));
  }
  return command->run(*flags, env);
}

}  // namespace affect::client

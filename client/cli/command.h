// The subcommands of affect-client, as a table: each is a name, its help
// and a run function, defined in its own file (analyze_command.cc, ...) and
// listed once in command_table.cc. Adding a subcommand (say `eval
// --dataset DIR`) is one new file, its factory declared below and one line
// in the table. `eval` is defined outside affect::client (client/eval, the
// object library affect::eval_command): targets that link the table link it.
#ifndef AFFECT_CLIENT_CLI_COMMAND_H_
#define AFFECT_CLIENT_CLI_COMMAND_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "client/cli/flags.h"

namespace affect::client {

// Where a command writes, and what it may assume about the terminal.
// Results go to `out`, diagnostics and progress to `err`.
struct CommandEnv {
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // Decides the default --output and whether a progress bar is drawn.
  bool out_is_tty = false;
  bool err_is_tty = false;
  // Lets `stream` take over SIGINT (Ctrl-C cancels the stream cleanly).
  // Off in tests, which run commands in-process.
  bool handle_interrupts = false;
};

struct Command {
  std::string name;
  // One line for the command list.
  std::string summary;
  // "analyze FILE... [flags]".
  std::string usage;
  // A paragraph or two for `affect-client NAME --help`.
  std::string description;
  // Every flag the command accepts (connection and output flags included).
  std::vector<FlagSpec> flags;
  // Positional arguments allowed.
  int min_positional = 0;
  int max_positional = 0;
  // Runs with parsed flags; returns an ExitCode (rpc_error.h).
  std::function<int(const ParsedFlags& flags, const CommandEnv& env)> run;
};

// The command table, in help order (command_table.cc).
const std::vector<Command>& AllCommands();

// One factory per subcommand, each in its own file.
Command AnalyzeCommand();
Command StreamCommand();
Command ModelsCommand();
Command InfoCommand();
Command HealthCommand();
// In affect::eval_command (client/eval/), which links the server's
// libraries: whatever links the command table links it too.
Command EvalCommand();

// affect-client's entry point: `args` is argv (args[0] the program name).
// Returns the exit code. Prints usage errors as one line plus a pointer to
// --help, and exits 2 for them.
int RunClient(const std::vector<std::string>& args, const CommandEnv& env);

// Prints "affect-client: <message>" and a pointer to the command's help;
// returns kExitUsageError. For commands' own usage checks.
int UsageError(const CommandEnv& env, const std::string& command, const std::string& message);

}  // namespace affect::client

#endif  // AFFECT_CLIENT_CLI_COMMAND_H_

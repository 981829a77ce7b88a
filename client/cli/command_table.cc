// The one list of affect-client's subcommands (see command.h).
#include "client/cli/command.h"

namespace affect::client {

const std::vector<Command>& AllCommands() {
  static const std::vector<Command>* const commands = new std::vector<Command>{
      AnalyzeCommand(), StreamCommand(), ModelsCommand(),
      InfoCommand(),    HealthCommand(), EvalCommand(),
  };
  return *commands;
}

}  // namespace affect::client

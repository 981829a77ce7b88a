#include "client/cli/command_util.h"

#include "client/cli/rpc_error.h"

namespace affect::client {

std::optional<CallSetup> PrepareCall(const ParsedFlags& flags, const CommandEnv& env,
                                     const std::string& command, int* exit_code) {
  auto output = OutputFormatFromFlags(flags, env.out_is_tty);
  if (!output.ok()) {
    *exit_code = UsageError(env, command, std::string(output.status().message()));
    return std::nullopt;
  }
  auto options = ConnectionOptionsFromFlags(flags);
  if (!options.ok()) {
    *exit_code = UsageError(env, command, std::string(options.status().message()));
    return std::nullopt;
  }
  auto connection = Connection::Create(*options);
  if (!connection.ok()) {
    *exit_code = UsageError(env, command, std::string(connection.status().message()));
    return std::nullopt;
  }
  return CallSetup{*output, std::move(*connection)};
}

int ReportRpcError(const CommandEnv& env, const std::string& command, const grpc::Status& status,
                   const Connection& connection) {
  *env.err << "affect-client: " << command << ": " << DescribeRpcError(status, connection.server())
           << "\n";
  return kExitRpcError;
}

std::vector<FlagSpec> CommandFlags(std::vector<FlagSpec> own) {
  return JoinFlagSpecs({std::move(own), ConnectionFlagSpecs(), OutputFlagSpecs()});
}

}  // namespace affect::client

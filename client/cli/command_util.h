// What most subcommands do first (read the connection and output flags,
// create the channel) and how they report a failed call.
#ifndef AFFECT_CLIENT_CLI_COMMAND_UTIL_H_
#define AFFECT_CLIENT_CLI_COMMAND_UTIL_H_

#include <optional>
#include <string>

#include "client/cli/command.h"
#include "client/cli/connection.h"
#include "client/cli/output.h"
#include "grpcpp/support/status.h"

namespace affect::client {

// Default deadline of unary calls (--deadline overrides it).
inline constexpr absl::Duration kDefaultUnaryDeadline = absl::Seconds(30);

struct CallSetup {
  OutputFormat output = OutputFormat::kTable;
  Connection connection;
};

// Reads --output and the connection flags and creates the channel. On a
// usage error prints it, sets *exit_code and returns nullopt.
std::optional<CallSetup> PrepareCall(const ParsedFlags& flags, const CommandEnv& env,
                                     const std::string& command, int* exit_code);

// Prints "affect-client: <command>: <DescribeRpcError>" to env.err and
// returns kExitRpcError.
int ReportRpcError(const CommandEnv& env, const std::string& command, const grpc::Status& status,
                   const Connection& connection);

// Connection and output flags plus `own`.
std::vector<FlagSpec> CommandFlags(std::vector<FlagSpec> own);

}  // namespace affect::client

#endif  // AFFECT_CLIENT_CLI_COMMAND_UTIL_H_

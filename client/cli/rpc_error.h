// One clear line per failed call, and the client's exit codes.
#ifndef AFFECT_CLIENT_CLI_RPC_ERROR_H_
#define AFFECT_CLIENT_CLI_RPC_ERROR_H_

#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace affect::client {

// Exit codes of affect-client and affect-bench (documented in --help and
// client/README.md).
enum ExitCode : int {
  kExitOk = 0,
  // A call failed (any gRPC error, including an unreachable server), a
  // health check was not SERVING, or a result could not be written.
  kExitRpcError = 1,
  // Bad flags or arguments, or an input file that cannot be read or is not
  // a supported image/WAV/video. Nothing was sent.
  kExitUsageError = 2,
  // Interrupted by Ctrl-C (the stream was cancelled cleanly).
  kExitInterrupted = 130,
};

// "UNAVAILABLE", "DEADLINE_EXCEEDED", ... (the canonical names).
std::string StatusCodeName(grpc::StatusCode code);
// Same, from the number carried in StatusDetail.code; "CODE_42" if unknown.
std::string StatusCodeName(int code);

// "UNAVAILABLE: failed to connect to all addresses (is the server running
// at localhost:50051?)": code name, the server's (or gRPC's) message, and a
// hint for the common mistakes. `server` is the --server address.
std::string DescribeRpcError(const grpc::Status& status, absl::string_view server);

}  // namespace affect::client

#endif  // AFFECT_CLIENT_CLI_RPC_ERROR_H_

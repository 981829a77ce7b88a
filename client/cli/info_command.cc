// affect-client info: GetServerInfo.
#include "affect/v1/affect_service.grpc.pb.h"
#include "client/cli/command_util.h"
#include "client/cli/rpc_error.h"
#include "client/cli/table_format.h"

namespace affect::client {
namespace {

int RunInfo(const ParsedFlags& flags, const CommandEnv& env) {
  int exit_code = kExitOk;
  auto setup = PrepareCall(flags, env, "info", &exit_code);
  if (!setup) return exit_code;
  auto stub = v1::AffectService::NewStub(setup->connection.channel());
  grpc::ClientContext context;
  setup->connection.PrepareContext(&context, kDefaultUnaryDeadline);
  v1::ServerInfo info;
  const grpc::Status status = stub->GetServerInfo(&context, v1::GetServerInfoRequest(), &info);
  if (!status.ok()) return ReportRpcError(env, "info", status, setup->connection);
  *env.out << (setup->output == OutputFormat::kJson ? ToJsonLine(info) : FormatServerInfo(info));
  return kExitOk;
}

}  // namespace

Command InfoCommand() {
  return Command{
      "info",
      "Show the server's version, device, analyses, limits and defaults",
      "info [flags]",
      "Shows what the server is (GetServerInfo): version and revision, LibTorch and BLAS,\n"
      "device, the analyses it has enabled, its limits and its default analysis options.",
      CommandFlags({}),
      0,
      0,
      RunInfo,
  };
}

}  // namespace affect::client

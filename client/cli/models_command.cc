// affect-client models [--name NAME]: ListModels.
#include "absl/strings/str_cat.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "client/cli/command_util.h"
#include "client/cli/rpc_error.h"
#include "client/cli/table_format.h"

namespace affect::client {
namespace {

int RunModels(const ParsedFlags& flags, const CommandEnv& env) {
  int exit_code = kExitOk;
  auto setup = PrepareCall(flags, env, "models", &exit_code);
  if (!setup) return exit_code;
  auto stub = v1::AffectService::NewStub(setup->connection.channel());
  grpc::ClientContext context;
  setup->connection.PrepareContext(&context, kDefaultUnaryDeadline);
  v1::ListModelsRequest request;
  request.set_name(flags.GetString("name"));
  v1::ListModelsResponse response;
  const grpc::Status status = stub->ListModels(&context, request, &response);
  if (!status.ok()) return ReportRpcError(env, "models", status, setup->connection);
  *env.out << (setup->output == OutputFormat::kJson ? ToJsonLine(response)
                                                    : FormatModels(response));
  return kExitOk;
}

}  // namespace

Command ModelsCommand() {
  return Command{
      "models",
      "List the server's models: version, state (and why failed), task, batching",
      "models [--name=NAME] [flags]",
      "Lists the models in the server's repository (ListModels): name, version, state, task,\n"
      "device, batching and labels. A model that failed to load shows its reason.",
      CommandFlags(
          {{"name", FlagType::kString, "", "Only this model (NOT_FOUND if unknown).", "NAME"}}),
      0,
      0,
      RunModels,
  };
}

}  // namespace affect::client

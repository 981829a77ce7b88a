// affect-client health [--service NAME] [--wait D]: grpc.health.v1 Check.
#include <thread>

#include "absl/time/clock.h"
#include "client/cli/command_util.h"
#include "client/cli/rpc_error.h"
#include "client/cli/table_format.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace affect::client {
namespace {

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

// How often --wait asks again.
constexpr absl::Duration kWaitPollInterval = absl::Milliseconds(250);

int RunHealth(const ParsedFlags& flags, const CommandEnv& env) {
  int exit_code = kExitOk;
  auto setup = PrepareCall(flags, env, "health", &exit_code);
  if (!setup) return exit_code;
  const absl::Duration wait = flags.Has("wait") ? flags.GetDuration("wait") : absl::ZeroDuration();
  if (wait < absl::ZeroDuration()) return UsageError(env, "health", "--wait must not be negative");
  const absl::Time give_up = absl::Now() + wait;
  auto stub = grpc::health::v1::Health::NewStub(setup->connection.channel());
  HealthCheckRequest request;
  request.set_service(flags.GetString("service"));
  while (true) {
    grpc::ClientContext context;
    // While waiting, each check is short and rides out a server that is not
    // listening yet.
    const bool waiting = absl::Now() < give_up;
    setup->connection.PrepareContext(&context, waiting ? absl::Seconds(5) : kDefaultUnaryDeadline);
    if (waiting) context.set_wait_for_ready(true);
    HealthCheckResponse response;
    const grpc::Status status = stub->Check(&context, request, &response);
    const bool serving = status.ok() && response.status() == HealthCheckResponse::SERVING;
    if (!serving && absl::Now() + kWaitPollInterval < give_up) {
      absl::SleepFor(kWaitPollInterval);
      continue;
    }
    if (!status.ok()) return ReportRpcError(env, "health", status, setup->connection);
    *env.out << (setup->output == OutputFormat::kJson ? ToJsonLine(response)
                                                      : FormatHealth(response, request.service()));
    return serving ? kExitOk : kExitRpcError;
  }
}

}  // namespace

Command HealthCommand() {
  return Command{
      "health",
      "Check health (SERVING once models are loaded); exit 0 only if SERVING",
      "health [--service=NAME] [--wait=DURATION] [flags]",
      "Asks the standard gRPC health service (grpc.health.v1.Health/Check). The server is\n"
      "NOT_SERVING while its models load and while it drains. Exits 0 when SERVING, 1\n"
      "otherwise, so scripts can wait for a server with --wait.",
      CommandFlags({
          {"service", FlagType::kString, "",
           "Service to ask about, e.g. affect.v1.AffectService (default: the whole server).",
           "NAME"},
          {"wait", FlagType::kDuration, "",
           "Keep asking until SERVING or this much time has passed, e.g. 60s.", "DURATION"},
      }),
      0,
      0,
      RunHealth,
  };
}

}  // namespace affect::client

#include "client/cli/connection.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace affect::client {

std::vector<FlagSpec> ConnectionFlagSpecs() {
  return {
      {"server", FlagType::kString, "localhost:50051", "Address of the affect-server.",
       "host:port"},
      {"tls", FlagType::kBool, "false",
       "Connect with TLS, verifying the server against the system's root CAs (implied by "
       "--tls_ca and --tls_cert)."},
      {"tls_ca", FlagType::kString, "", "PEM CA bundle that signed the server's certificate.",
       "FILE"},
      {"tls_cert", FlagType::kString, "",
       "PEM client certificate chain, for mutual TLS (with --tls_key).", "FILE"},
      {"tls_key", FlagType::kString, "", "PEM private key of --tls_cert.", "FILE"},
      {"tls_server_name", FlagType::kString, "",
       "Name to expect in the server's certificate when it differs from the host in --server.",
       "NAME"},
      {"token", FlagType::kString, "",
       "Bearer token for servers started with --auth_token_file (sent as 'authorization: "
       "Bearer ...'). Prefer --token_file: command lines are visible to other users.",
       "TOKEN"},
      {"token_file", FlagType::kString, "", "File holding the bearer token.", "FILE"},
      {"load_balancing", FlagType::kString, "pick_first",
       "pick_first: every call to one address. round_robin: connect to every address the "
       "--server target resolves to (dns:///NAME:PORT, e.g. a Kubernetes headless Service, or "
       "ipv4:HOST:PORT,HOST:PORT) and take them in turn, retrying a call refused with "
       "UNAVAILABLE on another.",
       "POLICY"},
      {"deadline", FlagType::kDuration, "",
       "Deadline of each call, e.g. 30s or 2m (default: 30s for unary calls, none for streams).",
       "DURATION"},
  };
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path, absl::string_view what) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat(what, ": cannot read '", path, "': ", std::strerror(errno)));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

absl::StatusOr<ConnectionOptions> ConnectionOptionsFromFlags(const ParsedFlags& flags) {
  ConnectionOptions options;
  options.server = flags.GetString("server");
  if (options.server.empty()) return absl::InvalidArgumentError("--server must not be empty");
  options.tls_ca_file = flags.GetString("tls_ca");
  options.tls_cert_file = flags.GetString("tls_cert");
  options.tls_key_file = flags.GetString("tls_key");
  options.tls_server_name = flags.GetString("tls_server_name");
  options.tls =
      flags.GetBool("tls") || !options.tls_ca_file.empty() || !options.tls_cert_file.empty();
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key go together (the client certificate and its key)");
  }
  if (!options.tls_server_name.empty() && !options.tls) {
    return absl::InvalidArgumentError("--tls_server_name needs TLS (--tls or --tls_ca)");
  }
  if (flags.Has("token") && flags.Has("token_file")) {
    return absl::InvalidArgumentError("give --token or --token_file, not both");
  }
  options.token = flags.GetString("token");
  if (const std::string token_file = flags.GetString("token_file"); !token_file.empty()) {
    auto token = ReadFileToString(token_file, "--token_file");
    if (!token.ok()) return token.status();
    options.token = std::string(absl::StripAsciiWhitespace(*token));
    if (options.token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--token_file: '", token_file, "' is empty"));
    }
  }
  const std::string load_balancing = flags.GetString("load_balancing");
  if (load_balancing == "round_robin") {
    options.load_balancing = LoadBalancing::kRoundRobin;
  } else if (load_balancing != "pick_first") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--load_balancing: '", load_balancing, "' is not one of pick_first, round_robin"));
  }
  if (flags.Has("deadline")) {
    const absl::Duration deadline = flags.GetDuration("deadline");
    if (deadline <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--deadline must be positive (e.g. 30s)");
    }
    options.deadline = deadline;
  }
  return options;
}

std::string ServiceConfigJson(LoadBalancing policy) {
  if (policy == LoadBalancing::kPickFirst) return "";
  // maxAttempts counts the first call. The back-off is short because the
  // retry goes to another server, not back to the one that refused.
  return R"({
  "loadBalancingConfig": [{"round_robin": {}}],
  "methodConfig": [{
    "name": [{"service": "affect.v1.AffectService"}],
    "retryPolicy": {
      "maxAttempts": 3,
      "initialBackoff": "0.05s",
      "maxBackoff": "0.5s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
})";
}

absl::StatusOr<Connection> Connection::Create(const ConnectionOptions& options) {
  Connection connection(options);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  grpc::ChannelArguments arguments;
  // Images can be large: accept responses up to the server's largest
  // message (the server enforces its own limit on requests).
  arguments.SetMaxReceiveMessageSize(64 << 20);
  arguments.SetMaxSendMessageSize(64 << 20);
  if (const std::string config = ServiceConfigJson(options.load_balancing); !config.empty()) {
    arguments.SetServiceConfigJSON(config);
    // A call can be retried only while its request is buffered; gRPC's
    // default (256 KiB) is smaller than a photo.
    arguments.SetInt(GRPC_ARG_PER_RPC_RETRY_BUFFER_SIZE, 64 << 20);
  }
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.tls_ca_file.empty()) {
      auto ca = ReadFileToString(options.tls_ca_file, "--tls_ca");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!options.tls_cert_file.empty()) {
      auto cert = ReadFileToString(options.tls_cert_file, "--tls_cert");
      if (!cert.ok()) return cert.status();
      auto key = ReadFileToString(options.tls_key_file, "--tls_key");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
    if (!options.tls_server_name.empty()) {
      arguments.SetSslTargetNameOverride(options.tls_server_name);
    }
  }
  connection.channel_ = grpc::CreateCustomChannel(options.server, credentials, arguments);
  return connection;
}

void Connection::PrepareContext(grpc::ClientContext* context,
                                absl::Duration default_deadline) const {
  if (!options_.token.empty()) context->AddMetadata("authorization", "Bearer " + options_.token);
  const absl::Duration deadline = options_.deadline.value_or(default_deadline);
  if (deadline != absl::InfiniteDuration()) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  }
}

}  // namespace affect::client

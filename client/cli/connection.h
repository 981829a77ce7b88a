// How the client tools reach a server: address, TLS (server-verified or
// mutual), bearer token, per-call deadline. Shared by affect-client and
// affect-bench so both accept the same connection flags.
#ifndef AFFECT_CLIENT_CLI_CONNECTION_H_
#define AFFECT_CLIENT_CLI_CONNECTION_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/cli/flags.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace affect::client {

// How a channel spreads calls over the addresses its target resolves to.
enum class LoadBalancing {
  // gRPC's default: one connection to the first address that answers; every
  // call goes there (a Kubernetes Service IP, a single server).
  kPickFirst,
  // A connection to every address (a headless Service's `dns:///` name, an
  // `ipv4:a:p,b:p` list), calls taken in turn over the ready ones; a call
  // refused with UNAVAILABLE (a server shutting down) is retried on another.
  kRoundRobin,
};

struct ConnectionOptions {
  // host:port (also unix:PATH, or any gRPC target: dns:///name:port,
  // ipv4:127.0.0.1:50051,127.0.0.1:50052).
  std::string server = "localhost:50051";
  LoadBalancing load_balancing = LoadBalancing::kPickFirst;
  // TLS with the system's root CAs (implied by tls_ca or tls_cert).
  bool tls = false;
  // PEM CA bundle that signed the server's certificate.
  std::string tls_ca_file;
  // PEM client certificate chain and key, for servers that require mutual
  // TLS (--tls_client_ca on the server). Both or neither.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Expected name in the server's certificate when it differs from the host
  // in `server` (e.g. connecting by IP to a certificate for "affect.local").
  std::string tls_server_name;
  // Sent as "authorization: Bearer <token>" on every call.
  std::string token;
  // Per-call deadline; nullopt: the command's default.
  std::optional<absl::Duration> deadline;
};

// The flags behind ConnectionOptions: --server, --tls, --tls_ca,
// --tls_cert, --tls_key, --tls_server_name, --token, --token_file,
// --deadline, --load_balancing.
std::vector<FlagSpec> ConnectionFlagSpecs();

// Reads the flags (and --token_file). INVALID_ARGUMENT for inconsistent
// flags (--tls_cert without --tls_key, both --token and --token_file, a
// negative deadline, an unknown --load_balancing policy); NOT_FOUND for an unreadable file, naming the flag.
absl::StatusOr<ConnectionOptions> ConnectionOptionsFromFlags(const ParsedFlags& flags);

// A channel plus what every call on it needs. Cheap to copy; thread-safe.
class Connection {
 public:
  // Reads the TLS files and creates the channel (which connects lazily:
  // an unreachable server shows up as UNAVAILABLE on the first call).
  static absl::StatusOr<Connection> Create(const ConnectionOptions& options);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const std::string& server() const { return options_.server; }

  // Adds the token and the deadline (the --deadline flag, else
  // `default_deadline`; absl::InfiniteDuration() for none) to a fresh
  // context.
  void PrepareContext(grpc::ClientContext* context, absl::Duration default_deadline) const;

 private:
  explicit Connection(ConnectionOptions options) : options_(std::move(options)) {}

  ConnectionOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
};

// The channel's default service config for `policy` (JSON): nothing for
// pick_first; for round_robin the policy plus a retry policy on UNAVAILABLE
// for every method (Analyze is idempotent; a stream is retried only before
// any response arrived, as gRPC does).
std::string ServiceConfigJson(LoadBalancing policy);

// Reads a whole file. NOT_FOUND names `what` (e.g. "--tls_ca") and the path.
absl::StatusOr<std::string> ReadFileToString(const std::string& path, absl::string_view what);

}  // namespace affect::client

#endif  // AFFECT_CLIENT_CLI_CONNECTION_H_

// The /metrics endpoint: a small HTTP/1.0 server answering GET /metrics in
// the Prometheus text format, built to survive hostile clients.
//
// Why our own and not an embedded server (details: server/metrics/README.md):
// prometheus-cpp's Exposer embeds CivetWeb, which refuses to start (mg_start
// returns null) in a process that also loads Debian's LibTorch 1.13 and its
// dependency tree; and neither CivetWeb nor libmicrohttpd bounds the time of
// a whole request (their timeouts are per read, or reset by every byte), so
// a client sending a byte a second holds a connection for ever. The metrics
// themselves stay prometheus-cpp's (registry, families, TextSerializer);
// only the transport is ours.
//
// How it holds up:
//   - one thread runs an event loop (poll() over non-blocking sockets and a
//     wake-up pipe): connections are served concurrently, no read or write
//     blocks, and nothing busy-waits;
//   - every connection has a deadline for the WHOLE request, from accept to
//     the last byte of the response (`request_timeout`): a slow client is
//     answered 408 and closed when it passes, however it trickles bytes;
//   - at most `max_connections` connections are open; one more is answered
//     503 and closed at once;
//   - request heads are bounded (`max_request_bytes`, then 431);
//   - accept() failing for lack of resources (EMFILE, ENFILE, ENOBUFS,
//     ENOMEM) pauses accepting for `accept_retry_delay` instead of spinning
//     on a listening socket that stays readable;
//   - optional bearer token, compared in constant time (401 without it).
#ifndef AFFECT_SERVER_METRICS_METRICS_HTTP_SERVER_H_
#define AFFECT_SERVER_METRICS_METRICS_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/common/token_compare.h"

namespace affect {

struct MetricsHttpServerOptions {
  // A numeric IPv4 or IPv6 address. Loopback unless the operator asks for
  // more (--metrics_host): the endpoint has no TLS.
  std::string address = "127.0.0.1";
  // 0 = any free port (read back with port()).
  int port = 0;
  // When set, requests must carry "Authorization: Bearer <token>".
  std::string bearer_token;
  // Connections open at once; one more is answered 503.
  int max_connections = 16;
  // From accept to the last byte of the response. Prometheus' default scrape
  // timeout is 10 s; a scrape of this server takes milliseconds.
  absl::Duration request_timeout = absl::Seconds(5);
  // Largest request head (request line + headers).
  int max_request_bytes = 8192;
  // Pause after accept() fails for lack of resources.
  absl::Duration accept_retry_delay = absl::Milliseconds(100);
  // Called on the server thread with errno when accept() fails for lack of
  // resources, before the pause. Optional (tests, logging).
  std::function<void(int error_number)> on_accept_error;
};

// Thread-safe to destroy from any thread (the destructor stops the loop and
// closes every connection).
class MetricsHttpServer {
 public:
  // Returns the response body of a scrape. Called on the server thread.
  using BodyFn = std::function<std::string()>;

  // Binds and starts serving. INVALID_ARGUMENT for a bad option (naming it),
  // UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const MetricsHttpServerOptions& options, BodyFn body);
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  int port() const { return port_; }
  // The address the socket is bound to, as numeric text ("127.0.0.1").
  const std::string& address() const { return address_; }

 private:
  struct Connection;
  MetricsHttpServer(const MetricsHttpServerOptions& options, BodyFn body, int listen_fd,
                    int wake_read_fd, int wake_write_fd, std::string address, int port);
  void Serve();
  void AcceptPending(absl::Time now, absl::Time* accept_resume);
  // Returns false when the connection is finished and must be closed.
  bool OnReadable(Connection& connection);
  bool OnWritable(Connection& connection);
  std::string Respond(absl::string_view head) const;

  const MetricsHttpServerOptions options_;
  const TokenDigest token_digest_;
  const BodyFn body_;
  const int listen_fd_;
  const int wake_read_fd_;
  const int wake_write_fd_;
  const std::string address_;
  const int port_;
  std::thread thread_;
};

}  // namespace affect

#endif  // AFFECT_SERVER_METRICS_METRICS_HTTP_SERVER_H_

// A minimal HTTP/1.0 endpoint serving GET /metrics in the Prometheus text
// format.
//
// Why not prometheus-cpp's Exposer: its embedded civetweb refuses to start
// (mg_start returns null) in any process that also loads Debian's LibTorch
// 1.13 and its dependency tree; a five-line program linking both reproduces
// it. The metrics themselves stay prometheus-cpp's (registry, families,
// TextSerializer); only the transport is ours.
#ifndef AFFECT_SERVER_METRICS_METRICS_HTTP_SERVER_H_
#define AFFECT_SERVER_METRICS_METRICS_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace affect {

// One thread: poll() on the listening socket and a wake-up pipe (no busy
// waiting), one request per connection, 2 s socket timeouts so a slow client
// cannot hold the endpoint. Thread-safe to destroy from any thread.
class MetricsHttpServer {
 public:
  using BodyFn = std::function<std::string()>;

  // Listens on address:port (IPv4; port 0 = any free port). UNAVAILABLE when
  // it cannot bind.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(const std::string& address,
                                                                  int port, BodyFn body);
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  int port() const { return port_; }

 private:
  MetricsHttpServer(int listen_fd, int wake_read_fd, int wake_write_fd, int port, BodyFn body);
  void Serve();
  void HandleConnection(int fd);

  const int listen_fd_;
  const int wake_read_fd_;
  const int wake_write_fd_;
  const int port_;
  const BodyFn body_;
  std::thread thread_;
};

}  // namespace affect

#endif  // AFFECT_SERVER_METRICS_METRICS_HTTP_SERVER_H_

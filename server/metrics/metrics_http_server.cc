#include "server/metrics/metrics_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/metrics/http_request.h"

namespace affect {
namespace {

std::string Response(absl::string_view status, absl::string_view body,
                     absl::string_view content_type = "text/plain; charset=utf-8",
                     absl::string_view extra_headers = "") {
  return absl::StrCat("HTTP/1.0 ", status, "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(), "\r\n", extra_headers,
                      "Connection: close\r\n\r\n", body);
}

// Best effort, never blocks: for short answers to connections about to be
// closed (408, 503), which fit in any socket buffer.
void SendNow(int fd, absl::string_view data) {
  (void)!send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

// Ends a connection so that what was sent arrives: half-close, discard what
// the client sent that was not read (closing with unread bytes would send a
// reset, which can destroy the response in flight), then close.
void CloseConnection(int fd) {
  shutdown(fd, SHUT_WR);
  char discard[1024];
  for (int i = 0; i < 16 && recv(fd, discard, sizeof(discard), MSG_DONTWAIT) > 0; ++i) {
  }
  close(fd);
}

constexpr int kMaxAcceptsPerRound = 64;

// poll() timeout in whole milliseconds, rounded up so that a wait for a
// deadline 0.3 ms away sleeps rather than spins.
int PollTimeoutMs(absl::Duration wait) {
  if (wait <= absl::ZeroDuration()) return 0;
  const double ms = std::ceil(absl::ToDoubleMilliseconds(wait));
  return static_cast<int>(std::min(ms, 60'000.0));
}

}  // namespace

struct MetricsHttpServer::Connection {
  int fd = -1;
  absl::Time deadline;
  std::string received;
  std::string response;  // empty until the request head is complete
  size_t sent = 0;
};

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const MetricsHttpServerOptions& options, BodyFn body) {
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics port ", options.port, " is outside 0..65535"));
  }
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError("metrics max_connections must be at least 1");
  }
  if (options.request_timeout <= absl::ZeroDuration() ||
      options.accept_retry_delay <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "metrics request_timeout and accept_retry_delay must be positive");
  }
  if (options.max_request_bytes < 64) {
    return absl::InvalidArgumentError("metrics max_request_bytes must be at least 64");
  }
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, options.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(options.port));
    length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, options.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(options.port));
    length = sizeof(sockaddr_in6);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics address '", options.address,
        "' is not a numeric IPv4 or IPv6 address (e.g. 127.0.0.1, 0.0.0.0, ::1)"));
  }
  const int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("socket() failed for /metrics: ", std::strerror(errno)));
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 || listen(fd, 64) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    const std::string reason = std::strerror(errno);
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot serve /metrics on ", options.address, ":",
                                               options.port, ": ", reason));
  }
  char text[INET6_ADDRSTRLEN] = {};
  const bool is_v4 = storage.ss_family == AF_INET;
  inet_ntop(storage.ss_family,
            is_v4 ? static_cast<const void*>(&v4->sin_addr) : static_cast<const void*>(&v6->sin6_addr),
            text, sizeof(text));
  const int port = ntohs(is_v4 ? v4->sin_port : v6->sin6_port);
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    close(fd);
    return absl::UnavailableError("pipe() failed for /metrics");
  }
  std::unique_ptr<MetricsHttpServer> server(
      new MetricsHttpServer(options, std::move(body), fd, wake[0], wake[1], text, port));
  server->thread_ = std::thread([raw = server.get()] { raw->Serve(); });
  return server;
}

MetricsHttpServer::MetricsHttpServer(const MetricsHttpServerOptions& options, BodyFn body,
                                     int listen_fd, int wake_read_fd, int wake_write_fd,
                                     std::string address, int port)
    : options_(options),
      token_digest_(options.bearer_token),
      body_(std::move(body)),
      listen_fd_(listen_fd),
      wake_read_fd_(wake_read_fd),
      wake_write_fd_(wake_write_fd),
      address_(std::move(address)),
      port_(port) {}

MetricsHttpServer::~MetricsHttpServer() {
  const char stop = 1;
  (void)!write(wake_write_fd_, &stop, 1);
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
  close(wake_read_fd_);
  close(wake_write_fd_);
}

void MetricsHttpServer::Serve() {
  std::vector<Connection> connections;
  std::vector<pollfd> fds;
  absl::Time accept_resume = absl::InfinitePast();
  while (true) {
    absl::Time now = absl::Now();
    // Whole-request deadlines: whatever the client is doing, its time is up.
    connections.erase(std::remove_if(connections.begin(), connections.end(),
                                     [&](const Connection& connection) {
                                       if (now < connection.deadline) return false;
                                       if (connection.response.empty()) {
                                         SendNow(connection.fd,
                                                 Response("408 Request Timeout",
                                                          "request not completed in time\n"));
                                       }
                                       CloseConnection(connection.fd);
                                       return true;
                                     }),
                      connections.end());

    fds.clear();
    fds.push_back({wake_read_fd_, POLLIN, 0});
    const bool accepting = now >= accept_resume;
    fds.push_back({accepting ? listen_fd_ : -1, POLLIN, 0});  // fd -1: ignored by poll
    absl::Time wake_at = accepting ? absl::InfiniteFuture() : accept_resume;
    for (const Connection& connection : connections) {
      fds.push_back({connection.fd,
                     static_cast<short>(connection.response.empty() ? POLLIN : POLLOUT), 0});
      wake_at = std::min(wake_at, connection.deadline);
    }
    const int timeout_ms = wake_at == absl::InfiniteFuture() ? -1 : PollTimeoutMs(wake_at - now);
    if (poll(fds.data(), fds.size(), timeout_ms) < 0) {
      if (errno == EINTR) continue;
      break;  // cannot happen with valid descriptors; stop rather than spin
    }
    if (fds[0].revents != 0) break;  // shutting down

    // Serve the open connections first (fds[i + 2] belongs to
    // connections[i]); finished ones are closed before new ones are counted.
    std::vector<Connection> open;
    open.reserve(connections.size());
    for (size_t i = 0; i < connections.size(); ++i) {
      Connection& connection = connections[i];
      const short revents = fds[i + 2].revents;
      bool keep = true;
      if ((revents & (POLLERR | POLLNVAL)) != 0) {
        keep = false;
      } else if (connection.response.empty() && (revents & (POLLIN | POLLHUP)) != 0) {
        keep = OnReadable(connection);
      } else if (!connection.response.empty() && (revents & (POLLOUT | POLLHUP)) != 0) {
        keep = OnWritable(connection);
      }
      if (keep) {
        open.push_back(std::move(connection));
      } else {
        CloseConnection(connection.fd);
      }
    }
    connections = std::move(open);

    if ((fds[1].revents & POLLIN) != 0) {
      now = absl::Now();
      // Bounded per round, so that a flood of connections cannot keep the
      // loop from serving the ones it has.
      for (int round = 0; round < kMaxAcceptsPerRound; ++round) {
        const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) {
          const int error_number = errno;
          if (error_number == EINTR || error_number == ECONNABORTED || error_number == EPROTO) {
            continue;  // that one connection went away; the next may be fine
          }
          if (error_number != EAGAIN && error_number != EWOULDBLOCK) {
            // Out of descriptors or memory (or anything unexpected): the
            // pending connection stays queued and the socket readable, so
            // retrying now would spin. Pause accepting instead.
            if (options_.on_accept_error) options_.on_accept_error(error_number);
            accept_resume = now + options_.accept_retry_delay;
          }
          break;
        }
        if (connections.size() >= static_cast<size_t>(options_.max_connections)) {
          SendNow(client, Response("503 Service Unavailable",
                                   "too many connections to /metrics; retry later\n"));
          CloseConnection(client);
          continue;
        }
        Connection connection;
        connection.fd = client;
        connection.deadline = now + options_.request_timeout;
        connections.push_back(std::move(connection));
      }
    }
  }
  for (const Connection& connection : connections) close(connection.fd);
}

bool MetricsHttpServer::OnReadable(Connection& connection) {
  char buffer[2048];
  while (true) {
    const ssize_t n = recv(connection.fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n == 0) return false;  // the client closed before finishing its request
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;  // wait for more, or a real error
    }
    connection.received.append(buffer, static_cast<size_t>(n));
    const size_t head_length = HttpHeadLength(connection.received);
    if (head_length > 0) {
      connection.response = Respond(absl::string_view(connection.received).substr(0, head_length));
      break;
    }
    if (connection.received.size() >= static_cast<size_t>(options_.max_request_bytes)) {
      connection.response = Response("431 Request Header Fields Too Large",
                                     absl::StrCat("request head over ", options_.max_request_bytes,
                                                  " bytes\n"));
      break;
    }
  }
  connection.received.clear();
  return OnWritable(connection);  // most responses fit the socket buffer at once
}

bool MetricsHttpServer::OnWritable(Connection& connection) {
  while (connection.sent < connection.response.size()) {
    const ssize_t n =
        send(connection.fd, connection.response.data() + connection.sent,
             connection.response.size() - connection.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;  // socket full: wait for POLLOUT
    }
    connection.sent += static_cast<size_t>(n);
  }
  return false;  // answered: close
}

std::string MetricsHttpServer::Respond(absl::string_view head) const {
  const absl::StatusOr<HttpRequestHead> request = ParseHttpRequestHead(head);
  if (!request.ok()) return Response("400 Bad Request", "malformed HTTP request\n");
  if (!options_.bearer_token.empty()) {
    absl::string_view token;
    // Compared whatever the header holds, so that a missing or malformed
    // header takes the same path as a wrong token.
    const bool bearer = request->has_authorization && BearerToken(request->authorization, &token);
    if (!token_digest_.Matches(token) || !bearer) {
      return Response("401 Unauthorized",
                      "send 'Authorization: Bearer <token>' (the token in --metrics_token_file)\n",
                      "text/plain; charset=utf-8", "WWW-Authenticate: Bearer\r\n");
    }
  }
  if (request->method != "GET") {
    return Response("405 Method Not Allowed", "only GET /metrics\n", "text/plain; charset=utf-8",
                    "Allow: GET\r\n");
  }
  if (request->path != "/metrics") return Response("404 Not Found", "see /metrics\n");
  return Response("200 OK", body_(), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace affect

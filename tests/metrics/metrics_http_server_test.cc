// The /metrics transport against hostile clients: slow clients, too many
// connections, running out of file descriptors, missing tokens.
#include "server/metrics/metrics_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kBody[] = "affect_test_metric 1\n";

// A client connection to 127.0.0.1:port; closed when destroyed.
class Client {
 public:
  // Creates the socket, and connects unless `connect_now` is false (then
  // Connect() does, later: connect() needs no new descriptor).
  explicit Client(int port, bool connect_now = true)
      : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)), port_(port) {
    // A safety net, not an assertion: a server that never answers fails the
    // test after 30 s instead of hanging it.
    timeval timeout{30, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (connect_now) Connect();
  }
  bool Connect() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    return connected_;
  }
  ~Client() { close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  bool Send(absl::string_view data) {
    return send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // Everything the server sends until it closes the connection.
  std::string ReadToEnd() {
    std::string response;
    char buffer[4096];
    ssize_t n;
    while ((n = recv(fd_, buffer, sizeof(buffer), 0)) > 0) {
      response.append(buffer, static_cast<size_t>(n));
    }
    return response;
  }
  // Sends a complete GET and returns the whole response.
  std::string Get(absl::string_view path, absl::string_view headers = "") {
    if (!Send(absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n", headers, "\r\n"))) {
      return "send failed";
    }
    return ReadToEnd();
  }

 private:
  const int fd_;
  const int port_;
  bool connected_ = false;
};

std::string Scrape(int port, absl::string_view headers = "") {
  Client client(port);
  if (!client.connected()) return "connect failed";
  return client.Get("/metrics", headers);
}

std::unique_ptr<MetricsHttpServer> StartServer(MetricsHttpServerOptions options) {
  auto server = MetricsHttpServer::Start(options, [] { return std::string(kBody); });
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

TEST(MetricsHttpServerTest, ServesTheBodyOnGetMetrics) {
  auto server = StartServer({});
  ASSERT_NE(server, nullptr);
  const std::string response = Scrape(server->port());
  EXPECT_THAT(response, StartsWith("HTTP/1.0 200 OK\r\n")) << response;
  EXPECT_THAT(response, HasSubstr("Content-Type: text/plain; version=0.0.4")) << response;
  EXPECT_THAT(response, HasSubstr(absl::StrCat("\r\n\r\n", kBody))) << response;
}

TEST(MetricsHttpServerTest, OtherPathsAndMethodsAreRefused) {
  auto server = StartServer({});
  ASSERT_NE(server, nullptr);
  {
    Client client(server->port());
    EXPECT_THAT(client.Get("/"), StartsWith("HTTP/1.0 404"));
  }
  {
    Client client(server->port());
    ASSERT_TRUE(client.Send("POST /metrics HTTP/1.1\r\n\r\n"));
    EXPECT_THAT(client.ReadToEnd(), StartsWith("HTTP/1.0 405"));
  }
  {
    Client client(server->port());
    ASSERT_TRUE(client.Send("garbage\r\n\r\n"));
    EXPECT_THAT(client.ReadToEnd(), StartsWith("HTTP/1.0 400"));
  }
}

TEST(MetricsHttpServerTest, BindsToLoopbackByDefault) {
  EXPECT_EQ(MetricsHttpServerOptions().address, "127.0.0.1")
      << "the endpoint has no TLS: it must not be open to the network unless asked";
  auto server = StartServer({});
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->address(), "127.0.0.1");
}

TEST(MetricsHttpServerTest, NonNumericAddressIsInvalidArgument) {
  MetricsHttpServerOptions options;
  options.address = "metrics.example";
  EXPECT_THAT(MetricsHttpServer::Start(options, [] { return std::string(); }),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("not a numeric IPv4 or IPv6 address")));
}

TEST(MetricsHttpServerTest, ServesIpv6Loopback) {
  MetricsHttpServerOptions options;
  options.address = "::1";
  auto server = MetricsHttpServer::Start(options, [] { return std::string(kBody); });
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << server.status();
  EXPECT_EQ((*server)->address(), "::1");
}

// The defect: one client trickling a byte at a time blocked every scrape
// (one connection at a time, a 2 s timeout per recv that each byte reset).
TEST(MetricsHttpServerTest, ASlowClientDoesNotBlockAScrape) {
  auto server = StartServer({});
  ASSERT_NE(server, nullptr);
  Client slow(server->port());
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.Send("GET /metr"));
  absl::Notification scraped;
  std::thread trickle([&] {
    // One byte every 50 ms until the scrape is done, never a whole request.
    while (!scraped.WaitForNotificationWithTimeout(absl::Milliseconds(50))) {
      if (!slow.Send("x")) break;
    }
  });
  const std::string response = Scrape(server->port());
  scraped.Notify();
  trickle.join();
  EXPECT_THAT(response, StartsWith("HTTP/1.0 200 OK")) << response;
  EXPECT_THAT(response, HasSubstr(kBody));
}

// The deadline covers the whole request: bytes that keep arriving do not
// extend it (a per-read timeout would never fire here).
TEST(MetricsHttpServerTest, AClientTricklingBytesIsCutOffAtTheRequestDeadline) {
  MetricsHttpServerOptions options;
  options.request_timeout = absl::Milliseconds(200);
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  Client slow(server->port());
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.Send("GET /metrics HTTP/1.1\r\nX-Slow: "));
  // Trickle a byte every 20 ms until the server answers or closes. Bounded
  // at 500 bytes (10 s, fifty times the deadline) so a server that never
  // cuts the client off fails instead of hanging.
  bool answered = false;
  for (int i = 0; i < 500 && !answered; ++i) {
    pollfd readable{slow.fd(), POLLIN, 0};
    answered = poll(&readable, 1, 20) > 0;
    if (!answered && !slow.Send("y")) answered = true;  // already closed
  }
  ASSERT_TRUE(answered) << "a client still sending bytes after 10 s was not cut off";
  EXPECT_THAT(slow.ReadToEnd(), StartsWith("HTTP/1.0 408"));
  // And the endpoint still serves.
  EXPECT_THAT(Scrape(server->port()), StartsWith("HTTP/1.0 200 OK"));
}

TEST(MetricsHttpServerTest, ConnectionsBeyondTheCapAreRefusedWith503) {
  MetricsHttpServerOptions options;
  options.max_connections = 2;
  options.request_timeout = absl::Hours(1);  // the two held connections must not expire
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  // Two idle connections hold both slots (they are accepted in order, before
  // the third, which is queued behind them).
  auto first = std::make_unique<Client>(server->port());
  Client second(server->port());
  ASSERT_TRUE(first->connected());
  ASSERT_TRUE(second.connected());
  const std::string refused = Scrape(server->port());
  EXPECT_THAT(refused, StartsWith("HTTP/1.0 503")) << refused;
  EXPECT_THAT(refused, HasSubstr("too many connections"));
  // A held connection that completes its request frees its slot: the server
  // closes (and uncounts) it before the client can see the end of the
  // response, so the next scrape is served.
  EXPECT_THAT(first->Get("/metrics"), StartsWith("HTTP/1.0 200 OK"));
  first.reset();
  EXPECT_THAT(Scrape(server->port()), StartsWith("HTTP/1.0 200 OK"));
}

TEST(MetricsHttpServerTest, OversizedRequestHeadsAreRefused) {
  MetricsHttpServerOptions options;
  options.max_request_bytes = 1024;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.Send(absl::StrCat("GET /metrics HTTP/1.1\r\nX-Big: ", std::string(4096, 'a'))));
  EXPECT_THAT(client.ReadToEnd(), StartsWith("HTTP/1.0 431"));
}

TEST(MetricsHttpServerTest, BearerTokenIsRequiredWhenConfigured) {
  MetricsHttpServerOptions options;
  options.bearer_token = "scrape-s3cret";
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  const std::string missing = Scrape(server->port());
  EXPECT_THAT(missing, StartsWith("HTTP/1.0 401")) << "no token";
  EXPECT_THAT(missing, HasSubstr("WWW-Authenticate: Bearer"));
  EXPECT_THAT(missing, Not(HasSubstr(kBody)));
  EXPECT_THAT(Scrape(server->port(), "Authorization: Bearer wrong\r\n"), StartsWith("HTTP/1.0 401"))
      << "wrong token";
  EXPECT_THAT(Scrape(server->port(), "Authorization: Bearer scrape-s3cret-and-more\r\n"),
              StartsWith("HTTP/1.0 401"))
      << "the token followed by more";
  EXPECT_THAT(Scrape(server->port(), "Authorization: Basic c2NyYXBlLXMzY3JldA==\r\n"),
              StartsWith("HTTP/1.0 401"))
      << "another scheme";
  const std::string ok = Scrape(server->port(), "authorization: bearer scrape-s3cret\r\n");
  EXPECT_THAT(ok, StartsWith("HTTP/1.0 200 OK")) << "header name and scheme ignore case";
  EXPECT_THAT(ok, HasSubstr(kBody));
}

// Lowers this process's descriptor limit and fills the table, so the next
// accept() fails with EMFILE; restores both when destroyed.
class DescriptorExhaustion {
 public:
  DescriptorExhaustion() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    const int base = open("/dev/null", O_RDONLY | O_CLOEXEC);
    fillers_.push_back(base);
    // A limit a little above the highest descriptor in use keeps the fill cheap.
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(base + 16);
    setrlimit(RLIMIT_NOFILE, &lowered);
    while (true) {
      const int fd = fcntl(base, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) {
        error_ = errno;
        break;
      }
      fillers_.push_back(fd);
    }
  }
  // errno of the dup that failed: EMFILE when the table is full.
  int error() const { return error_; }
  ~DescriptorExhaustion() {
    for (int fd : fillers_) close(fd);
    setrlimit(RLIMIT_NOFILE, &saved_);
  }

 private:
  rlimit saved_{};
  std::vector<int> fillers_;
  int error_ = 0;
};

// The defect: accept() failing with EMFILE left the connection queued and the
// listening socket readable, and the loop retried at once: 100% of a core.
// With a long retry delay, the server must try accept() exactly once while
// it keeps serving the connections it already has.
TEST(MetricsHttpServerTest, AcceptFailingWithEmfileBacksOffInsteadOfSpinning) {
  absl::Mutex mutex;
  int accept_errors = 0;
  int last_errno = 0;
  MetricsHttpServerOptions options;
  options.accept_retry_delay = absl::Hours(1);
  options.request_timeout = absl::Hours(1);
  options.on_accept_error = [&](int error_number) {
    absl::MutexLock lock(&mutex);
    ++accept_errors;
    last_errno = error_number;
  };
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  Client held(server->port());  // accepted while descriptors remain
  ASSERT_TRUE(held.connected());
  ASSERT_THAT(Scrape(server->port()), StartsWith("HTTP/1.0 200"))
      << "the server has accepted `held` once this scrape is answered";
  Client pending(server->port(), /*connect_now=*/false);  // a socket before the table is full
  {
    DescriptorExhaustion exhausted;
    ASSERT_EQ(exhausted.error(), EMFILE);
    ASSERT_TRUE(pending.Connect()) << "connect() needs no new descriptor";
    {
      absl::MutexLock lock(&mutex);
      mutex.Await(absl::Condition(+[](int* errors) { return *errors > 0; }, &accept_errors));
      EXPECT_EQ(last_errno, EMFILE);
    }
    // The loop must go round again to answer `held`; a loop without back-off
    // would find the listening socket still readable and fail accept() again.
    EXPECT_THAT(held.Get("/metrics"), StartsWith("HTTP/1.0 200 OK"));
  }
  absl::MutexLock lock(&mutex);
  EXPECT_EQ(accept_errors, 1) << "accept() was retried without waiting";
}

TEST(MetricsHttpServerTest, AcceptResumesAfterTheRetryDelay) {
  absl::Notification failed;
  MetricsHttpServerOptions options;
  options.accept_retry_delay = absl::Milliseconds(20);
  options.on_accept_error = [&](int) {
    if (!failed.HasBeenNotified()) failed.Notify();
  };
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  Client pending(server->port(), /*connect_now=*/false);
  {
    DescriptorExhaustion exhausted;
    ASSERT_EQ(exhausted.error(), EMFILE);
    ASSERT_TRUE(pending.Connect());
    failed.WaitForNotification();
  }
  EXPECT_THAT(pending.Get("/metrics"), StartsWith("HTTP/1.0 200 OK"))
      << "the queued connection is served once descriptors are free again";
}

TEST(MetricsHttpServerTest, BadOptionsAreInvalidArgument) {
  MetricsHttpServerOptions options;
  options.max_connections = 0;
  EXPECT_THAT(MetricsHttpServer::Start(options, [] { return std::string(); }),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_connections")));
  options = {};
  options.port = 70000;
  EXPECT_THAT(MetricsHttpServer::Start(options, [] { return std::string(); }),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0..65535")));
}

}  // namespace
}  // namespace affect

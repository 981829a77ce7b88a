#include "server/common/accept_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

#include "server/common/logging.h"

namespace affect {
namespace {

std::atomic<bool> installed{false};
std::atomic<int64_t> refusals{0};
std::mutex reserve_mutex;
int reserve_fd = -1;  // guarded by reserve_mutex

int OpenReserve() { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

int RealAccept4(int sockfd, sockaddr* address, socklen_t* length, int flags) {
  return static_cast<int>(syscall(SYS_accept4, sockfd, address, length, flags));
}

// accept4 failed with EMFILE/ENFILE on `sockfd`: refuse what waits there.
void RefuseWaitingConnections(int sockfd) {
  std::lock_guard<std::mutex> lock(reserve_mutex);
  if (reserve_fd >= 0) {
    close(reserve_fd);
    reserve_fd = -1;
  }
  // A blocking listener would block on an empty backlog: refuse one only.
  const bool nonblocking = (fcntl(sockfd, F_GETFL) & O_NONBLOCK) != 0;
  int64_t refused = 0;
  while (true) {
    const int connection = RealAccept4(sockfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) {
      if (errno == EINTR) continue;
      break;  // EAGAIN: backlog empty; EMFILE: even the reserve went elsewhere
    }
    close(connection);
    ++refused;
    if (!nonblocking) break;
  }
  reserve_fd = OpenReserve();
  static std::atomic<bool> logged{false};
  if (!logged.exchange(true)) {
    AFFECT_LOG(WARNING).With("refused", refused)
        << "out of file descriptors: refusing new connections (raise the limit: ulimit -n)";
  }
  refusals.fetch_add(refused);
  if (refused == 0) {
    // Nothing could be refused: another thread took the descriptor freed
    // for the reserve. A level-triggered poller (the metrics endpoint) would
    // call again at once; waiting here bounds that loop to ~100 calls/s
    // until a descriptor frees up (found by the fault test: two threads at
    // 100% CPU).
    usleep(10 * 1000);
  }
}

}  // namespace

void InstallAcceptGuard() {
  std::lock_guard<std::mutex> lock(reserve_mutex);
  if (reserve_fd < 0) reserve_fd = OpenReserve();
  installed.store(true);
}

int64_t AcceptGuardRefusals() { return refusals.load(); }

}  // namespace affect

// Interposes the C library's accept4 (see accept_guard.h). gRPC's listener
// and the metrics endpoint call accept4; plain accept is left alone.
extern "C" int accept4(int sockfd, sockaddr* address, socklen_t* length, int flags) {
  const int connection = affect::RealAccept4(sockfd, address, length, flags);
  if (connection >= 0 || !affect::installed.load(std::memory_order_relaxed) ||
      (errno != EMFILE && errno != ENFILE)) {
    return connection;
  }
  affect::RefuseWaitingConnections(sockfd);
  errno = EAGAIN;
  return -1;
}

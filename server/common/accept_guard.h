// Keeps the gRPC listener alive when the process runs out of file
// descriptors.
//
// gRPC 1.51 (Debian 12's) stops its listener for good after one accept4
// failure other than EAGAIN, ECONNABORTED or EINTR
// (src/core/lib/iomgr/tcp_server_posix.cc, grpc/grpc#16058, #20418, #31080):
// after a single EMFILE the server keeps serving the connections it has but
// never accepts another, even once descriptors are free again
// (tests/api/fault_binary_test.cc, ALowFileDescriptorLimit...).
//
// The guard turns "out of descriptors" into a refusal. It holds one
// descriptor in reserve; when accept4 fails with EMFILE or ENFILE it frees
// the reserve, accepts each waiting connection and closes it at once (the
// client sees the connection closed and retries later), takes the reserve
// back, and reports EAGAIN, so the listener waits for the next connection
// instead of giving up. Nothing spins: every retry consumes a waiting
// connection, and an empty backlog ends the loop; when another thread took
// the freed descriptor first, so that nothing could be refused, the call
// waits 10 ms before reporting EAGAIN (a level-triggered poller would
// otherwise call again at once).
//
// It works by defining accept4 in the server binary, which interposes the C
// library's for libgrpc and for the metrics endpoint alike; in a binary that
// never calls InstallAcceptGuard, accept4 behaves exactly as the C library's.
#ifndef AFFECT_SERVER_COMMON_ACCEPT_GUARD_H_
#define AFFECT_SERVER_COMMON_ACCEPT_GUARD_H_

#include <cstdint>

namespace affect {

// Opens the reserve descriptor and switches the guard on. Call once at the
// top of main, before any listener exists. Thread-safe.
void InstallAcceptGuard();

// Connections refused for want of descriptors so far.
int64_t AcceptGuardRefusals();

}  // namespace affect

#endif  // AFFECT_SERVER_COMMON_ACCEPT_GUARD_H_

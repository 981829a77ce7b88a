// The open AnalyzeStream sessions: enforces --max_streams (and the per-client
// connection cap), lets shutdown tell every session to wind down, and lets
// the server's housekeeping tell every session the time (timeouts).
#ifndef AFFECT_SERVER_API_STREAM_REGISTRY_H_
#define AFFECT_SERVER_API_STREAM_REGISTRY_H_

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/call_state_counts.h"

namespace affect {

// What the registry needs from a session. Constructing and destroying one is
// counted as CallStateKind::kStreamSession (server/common/call_state_counts.h).
class DrainableStream {
 public:
  DrainableStream() { CountCallStateCreated(CallStateKind::kStreamSession); }
  virtual ~DrainableStream() { CountCallStateReleased(CallStateKind::kStreamSession); }
  DrainableStream(const DrainableStream&) = delete;
  DrainableStream& operator=(const DrainableStream&) = delete;
  // Stop reading, finish what was accepted, send the summary, close with OK.
  // Thread-safe; may be called more than once.
  virtual void Drain() = 0;
  // The time is `now`: close the stream if it has timed out (no config, or
  // idle). Thread-safe. Like Drain, called with the registry's lock held: no
  // gRPC operation and no call back into the registry from here.
  virtual void CheckTimeouts(absl::Time now) = 0;
};

enum class RegisterResult { kOk, kServerFull, kConnectionFull, kDraining };

// Thread-safe.
class StreamRegistry {
 public:
  StreamRegistry(int max_streams, int max_per_connection = 1 << 30)
      : max_streams_(max_streams), max_per_connection_(max_per_connection) {}

  // Adds `stream`, opened over the client connection `connection` (gRPC's
  // peer address: one per TCP connection), unless draining has started,
  // max_streams are open, or max_per_connection are open on `connection`.
  RegisterResult Register(DrainableStream* stream, const std::string& connection = "");
  void Unregister(DrainableStream* stream);
  // Calls CheckTimeouts(now) on every open session.
  void CheckTimeouts(absl::Time now);

  // Drains every open session (and refuses new ones).
  void DrainAll();
  // Blocks until no session is open or `deadline` passes; true if none.
  bool WaitForNone(absl::Time deadline);
  int size() const;

 private:
  const int max_streams_;
  const int max_per_connection_;
  mutable absl::Mutex mutex_;
  // Each session and the connection it came over.
  std::map<DrainableStream*, std::string> streams_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, int> per_connection_ ABSL_GUARDED_BY(mutex_);
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace affect

#endif  // AFFECT_SERVER_API_STREAM_REGISTRY_H_

// The open AnalyzeStream sessions: enforces --max_streams and lets shutdown
// tell every session to wind down.
#ifndef AFFECT_SERVER_API_STREAM_REGISTRY_H_
#define AFFECT_SERVER_API_STREAM_REGISTRY_H_

#include <set>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace affect {

// What the registry needs from a session.
class DrainableStream {
 public:
  virtual ~DrainableStream() = default;
  // Stop reading, finish what was accepted, send the summary, close with OK.
  // Thread-safe; may be called more than once.
  virtual void Drain() = 0;
};

// Thread-safe.
class StreamRegistry {
 public:
  explicit StreamRegistry(int max_streams) : max_streams_(max_streams) {}

  // False when --max_streams sessions are open or draining has started.
  bool Register(DrainableStream* stream);
  void Unregister(DrainableStream* stream);

  // Drains every open session (and refuses new ones).
  void DrainAll();
  // Blocks until no session is open or `deadline` passes; true if none.
  bool WaitForNone(absl::Time deadline);
  int size() const;

 private:
  const int max_streams_;
  mutable absl::Mutex mutex_;
  std::set<DrainableStream*> streams_ ABSL_GUARDED_BY(mutex_);
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace affect

#endif  // AFFECT_SERVER_API_STREAM_REGISTRY_H_

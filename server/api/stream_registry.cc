#include "server/api/stream_registry.h"

#include <vector>

namespace affect {

bool StreamRegistry::Register(DrainableStream* stream) {
  absl::MutexLock lock(&mutex_);
  if (draining_ || static_cast<int>(streams_.size()) >= max_streams_) return false;
  streams_.insert(stream);
  return true;
}

void StreamRegistry::Unregister(DrainableStream* stream) {
  absl::MutexLock lock(&mutex_);
  streams_.erase(stream);
}

void StreamRegistry::DrainAll() {
  // Drain under the lock so that no session can unregister (and be deleted)
  // between being listed and being told. Sessions never call back into the
  // registry from Drain.
  absl::MutexLock lock(&mutex_);
  draining_ = true;
  for (DrainableStream* stream : streams_) stream->Drain();
}

bool StreamRegistry::WaitForNone(absl::Time deadline) {
  absl::MutexLock lock(&mutex_);
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return streams_.empty(); };
  return mutex_.AwaitWithDeadline(absl::Condition(&none), deadline);
}

int StreamRegistry::size() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int>(streams_.size());
}

}  // namespace affect

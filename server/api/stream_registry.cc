#include "server/api/stream_registry.h"

#include <vector>

namespace affect {

RegisterResult StreamRegistry::Register(DrainableStream* stream, const std::string& connection) {
  absl::MutexLock lock(&mutex_);
  if (draining_) return RegisterResult::kDraining;
  if (static_cast<int>(streams_.size()) >= max_streams_) return RegisterResult::kServerFull;
  int& on_connection = per_connection_[connection];
  if (on_connection >= max_per_connection_) {
    if (on_connection == 0) per_connection_.erase(connection);
    return RegisterResult::kConnectionFull;
  }
  ++on_connection;
  streams_.emplace(stream, connection);
  return RegisterResult::kOk;
}

void StreamRegistry::Unregister(DrainableStream* stream) {
  absl::MutexLock lock(&mutex_);
  auto found = streams_.find(stream);
  if (found == streams_.end()) return;
  auto connection = per_connection_.find(found->second);
  if (connection != per_connection_.end() && --connection->second <= 0) {
    per_connection_.erase(connection);
  }
  streams_.erase(found);
}

void StreamRegistry::CheckTimeouts(absl::Time now) {
  // Under the lock for the same reason as DrainAll.
  absl::MutexLock lock(&mutex_);
  for (auto& [stream, connection] : streams_) stream->CheckTimeouts(now);
}

void StreamRegistry::DrainAll() {
  // Drain under the lock so that no session can unregister (and be deleted)
  // between being listed and being told. Sessions never call back into the
  // registry from Drain.
  absl::MutexLock lock(&mutex_);
  draining_ = true;
  for (auto& [stream, connection] : streams_) stream->Drain();
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

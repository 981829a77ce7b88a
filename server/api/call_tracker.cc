#include "server/api/call_tracker.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "server/common/call_state_counts.h"
#include "server/common/token_compare.h"

#ifdef AFFECT_SOAK_LEAK_SWITCH
#include <atomic>
#include <cstdlib>
#include <cstring>
#endif

namespace affect {

#ifdef AFFECT_SOAK_LEAK_SWITCH
namespace {

// The soak's deliberate leak (scripts/soak.sh --leak): only in a build
// configured with -DAFFECT_SOAK_LEAK_SWITCH=ON, and only when
// AFFECT_SOAK_LEAK_BYTES_PER_CALL is set, every finished call loses that
// many bytes (touched, so they are resident), to show that the soak's growth
// check fails on a real leak.
void LeakForTheSoak() {
  static const size_t bytes = [] {
    const char* value = std::getenv("AFFECT_SOAK_LEAK_BYTES_PER_CALL");
    return value == nullptr ? size_t{0} : static_cast<size_t>(std::strtoull(value, nullptr, 10));
  }();
  if (bytes == 0) return;
  // The last block escapes through `last`, so the compiler cannot drop the
  // malloc; each new one overwrites the pointer and the old block is lost.
  static std::atomic<void*> last{nullptr};
  void* lost = std::malloc(bytes);
  if (lost != nullptr) std::memset(lost, 0x5a, bytes);
  last.store(lost, std::memory_order_relaxed);
}

}  // namespace
#endif

CallTracker::CallTracker(std::string auth_token, ServerMetrics* metrics)
    : auth_token_(std::move(auth_token)), metrics_(metrics) {}

grpc::Status CallTracker::Admit(const grpc::ServerContextBase& context) {
  if (!auth_token_.empty()) {
    const auto& metadata = context.client_metadata();
    const auto found = metadata.find("authorization");
    if (found == metadata.end()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "missing 'authorization: Bearer <token>' metadata");
    }
    absl::string_view token(found->second.data(), found->second.size());
    if (!absl::ConsumePrefix(&token, "Bearer ") || !TokensEqual(token, auth_token_)) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "invalid bearer token");
    }
  }
  {
    absl::MutexLock lock(&mutex_);
    if (draining_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "server is shutting down: retry on another instance");
    }
    ++in_flight_;
  }
  CountCallStateCreated(CallStateKind::kAdmittedCall);
  if (metrics_ != nullptr) metrics_->AddRequestsInFlight(1);
  return grpc::Status::OK;
}

void CallTracker::Refused(RpcMethod method, const grpc::Status& status) {
  if (metrics_ != nullptr) {
    metrics_->CountRpc(method, status.error_code());
  }
}

void CallTracker::Done(RpcMethod method, const grpc::Status& status, absl::Time start) {
  if (metrics_ != nullptr) {
    metrics_->RecordRpc(method, status.error_code(), absl::Now() - start);
    metrics_->AddRequestsInFlight(-1);
  }
#ifdef AFFECT_SOAK_LEAK_SWITCH
  LeakForTheSoak();
#endif
  CountCallStateReleased(CallStateKind::kAdmittedCall);
  absl::MutexLock lock(&mutex_);
  --in_flight_;
}

void CallTracker::StartDraining() {
  absl::MutexLock lock(&mutex_);
  draining_ = true;
}

bool CallTracker::draining() const {
  absl::MutexLock lock(&mutex_);
  return draining_;
}

bool CallTracker::WaitForIdle(absl::Time deadline) {
  absl::MutexLock lock(&mutex_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return in_flight_ == 0; };
  return mutex_.AwaitWithDeadline(absl::Condition(&idle), deadline);
}

int CallTracker::in_flight() const {
  absl::MutexLock lock(&mutex_);
  return in_flight_;
}

}  // namespace affect

#include "server/api/call_tracker.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "server/common/call_state_counts.h"

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


CallTracker::CallTracker(CallerPolicies policies, ServerMetrics* metrics)
    : policies_(std::move(policies)), metrics_(metrics) {}

const CallerPolicy* CallTracker::Authenticate(const grpc::ServerContextBase& context) const {
  if (!policies_.requires_token()) return &policies_.anonymous();
  const auto& metadata = context.client_metadata();
  const auto found = metadata.find("authorization");
  if (found == metadata.end()) return nullptr;
  absl::string_view token(found->second.data(), found->second.size());
  if (!absl::ConsumePrefix(&token, "Bearer ")) return nullptr;
  return policies_.Find(token);
}

const CallerPolicy& CallTracker::CallerOf(const grpc::ServerContextBase& context) const {
  const CallerPolicy* caller = Authenticate(context);
  // Only admitted calls ask; an unknown token here would be a bug, and the
  // anonymous policy of a token-protected server allows nothing it should
  // not: it is never reached by a refused call.
  return caller != nullptr ? *caller : policies_.anonymous();
}

grpc::Status CallTracker::ChargeCaller(const CallerPolicy& caller, RpcMethod method) {
  const bool counts_rate =
      method == RpcMethod::kAnalyze || method == RpcMethod::kAnalyzeStream;
  const bool counts_stream = method == RpcMethod::kAnalyzeStream;
  if (!(counts_rate && caller.max_requests_per_second.has_value()) &&
      !(counts_stream && caller.max_streams.has_value())) {
    return grpc::Status::OK;
  }
  CallerUsage& usage = usage_[&caller];
  if (counts_stream && caller.max_streams.has_value() &&
      usage.open_streams >= *caller.max_streams) {
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("caller '", caller.name, "' has ", usage.open_streams,
                     " streams open, its cap (max_streams in --auth_token_file); close one "
                     "first"));
  }
  if (counts_rate && caller.max_requests_per_second.has_value()) {
    const double rate = *caller.max_requests_per_second;
    const double burst = std::max(1.0, rate);
    const absl::Time now = absl::Now();
    if (usage.refilled == absl::InfinitePast()) {
      usage.tokens = burst;
    } else {
      usage.tokens = std::min(
          burst, usage.tokens + rate * absl::ToDoubleSeconds(now - usage.refilled));
    }
    usage.refilled = now;
    if (usage.tokens < 1.0) {
      const double wait_s = (1.0 - usage.tokens) / rate;
      return grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrFormat("caller '%s' is over its rate of %g calls per second "
                          "(max_requests_per_second in --auth_token_file); retry in %.0f ms",
                          caller.name, rate, std::ceil(wait_s * 1000.0)));
    }
    usage.tokens -= 1.0;
  }
  if (counts_stream && caller.max_streams.has_value()) ++usage.open_streams;
  return grpc::Status::OK;
}

grpc::Status CallTracker::Admit(const grpc::ServerContextBase& context, RpcMethod method) {
  const CallerPolicy* caller = Authenticate(context);
  if (caller == nullptr) {
    const auto& metadata = context.client_metadata();
    if (metadata.find("authorization") == metadata.end()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "missing 'authorization: Bearer <token>' metadata");
    }
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "invalid bearer token");
  }
  {
    absl::MutexLock lock(&mutex_);
    if (draining_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "server is shutting down: retry on another instance");
    }
    if (grpc::Status charged = ChargeCaller(*caller, method); !charged.ok()) return charged;
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

void CallTracker::Done(RpcMethod method, const grpc::Status& status, absl::Time start,
                       const grpc::ServerContextBase* context) {
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
  if (method == RpcMethod::kAnalyzeStream && context != nullptr) {
    const CallerPolicy& caller = CallerOf(*context);
    if (caller.max_streams.has_value()) {
      auto found = usage_.find(&caller);
      if (found != usage_.end() && found->second.open_streams > 0) --found->second.open_streams;
    }
  }
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

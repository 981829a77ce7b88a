// Admission and bookkeeping shared by every RPC: bearer-token check and the
// caller's policy (caller_policy.h: its own rate and stream caps), drain
// state, calls in flight, and the per-method metrics. One per server.
#ifndef AFFECT_SERVER_API_CALL_TRACKER_H_
#define AFFECT_SERVER_API_CALL_TRACKER_H_

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "server/api/caller_policy.h"
#include "server/metrics/server_metrics.h"

namespace affect {

// Thread-safe.
class CallTracker {
 public:
  // `policies`: who may call and what each caller may do (default: no
  // token check, everyone anonymous). `metrics` may be null.
  explicit CallTracker(CallerPolicies policies, ServerMetrics* metrics);

  // Checks the token, the drain state, then the caller's own caps (its rate
  // for Analyze and AnalyzeStream, its open streams for AnalyzeStream). OK:
  // the call is counted in flight and the caller must call Done exactly
  // once. Otherwise the status to answer with (UNAUTHENTICATED, UNAVAILABLE,
  // RESOURCE_EXHAUSTED naming the caller's cap), and the call is NOT counted
  // (Done must not be called, but Refused should be).
  grpc::Status Admit(const grpc::ServerContextBase& context, RpcMethod method);
  // The policy of the call's caller (from its authorization metadata). For
  // an admitted call always its own; the anonymous policy when no token is
  // required. The reference lives as long as the tracker.
  const CallerPolicy& CallerOf(const grpc::ServerContextBase& context) const;
  // Records a refused call's status.
  void Refused(RpcMethod method, const grpc::Status& status);
  // An admitted call finished with `status` after starting at `start`. For
  // AnalyzeStream pass the call's context: it returns the caller's stream.
  void Done(RpcMethod method, const grpc::Status& status, absl::Time start,
            const grpc::ServerContextBase* context = nullptr);

  // From now on Admit answers UNAVAILABLE.
  void StartDraining();
  bool draining() const;
  // Blocks until no admitted call is in flight or `deadline` passes.
  bool WaitForIdle(absl::Time deadline);
  int in_flight() const;

  ServerMetrics* metrics() const { return metrics_; }

 private:
  // A capped caller's usage: a token bucket for its rate, its open streams.
  struct CallerUsage {
    double tokens = 0.0;
    absl::Time refilled = absl::InfinitePast();
    int open_streams = 0;
  };
  // The caller's policy, or nullptr for a missing or wrong token.
  const CallerPolicy* Authenticate(const grpc::ServerContextBase& context) const;
  grpc::Status ChargeCaller(const CallerPolicy& caller, RpcMethod method)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const CallerPolicies policies_;
  ServerMetrics* const metrics_;
  mutable absl::Mutex mutex_;
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
  int in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
  std::map<const CallerPolicy*, CallerUsage> usage_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace affect

#endif  // AFFECT_SERVER_API_CALL_TRACKER_H_

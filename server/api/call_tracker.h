// Admission and bookkeeping shared by every RPC: bearer-token check, drain
// state, calls in flight, and the per-method metrics. One per server.
#ifndef AFFECT_SERVER_API_CALL_TRACKER_H_
#define AFFECT_SERVER_API_CALL_TRACKER_H_

#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "server/metrics/server_metrics.h"

namespace affect {

// Thread-safe.
class CallTracker {
 public:
  // `auth_token`: empty = no token check. `metrics` may be null.
  CallTracker(std::string auth_token, ServerMetrics* metrics);

  // Checks the token, then the drain state. OK: the call is counted in
  // flight and the caller must call Done exactly once. Otherwise the status
  // to answer with (UNAUTHENTICATED, UNAVAILABLE), and the call is NOT
  // counted (Done must not be called, but Refused should be).
  grpc::Status Admit(const grpc::ServerContextBase& context);
  // Records a refused call's status.
  void Refused(RpcMethod method, const grpc::Status& status);
  // An admitted call finished with `status` after starting at `start`.
  void Done(RpcMethod method, const grpc::Status& status, absl::Time start);

  // From now on Admit answers UNAVAILABLE.
  void StartDraining();
  bool draining() const;
  // Blocks until no admitted call is in flight or `deadline` passes.
  bool WaitForIdle(absl::Time deadline);
  int in_flight() const;

  ServerMetrics* metrics() const { return metrics_; }

 private:
  const std::string auth_token_;
  ServerMetrics* const metrics_;
  mutable absl::Mutex mutex_;
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
  int in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace affect

#endif  // AFFECT_SERVER_API_CALL_TRACKER_H_

// Fan-out/join bookkeeping: work split into N branches that finish on any
// thread, in any order; exactly one of them learns the outcome. The one
// helper for the "pending counter + first error + finished once" pattern.
//
//   kWaitForAll  the last branch to finish gets OK or the first error any
//                branch reported (the branches' results are merged only
//                when all are in: the expression ensemble, AnalyzeCall).
//   kFailFast    the first failing branch gets its error at once; the
//                branches still running finish unheard (an image analysis
//                answers a failed model without waiting for the others).
//                With no failure, the last branch gets OK.
#ifndef AFFECT_SERVER_COMMON_BRANCH_JOIN_H_
#define AFFECT_SERVER_COMMON_BRANCH_JOIN_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace affect {

enum class JoinPolicy { kWaitForAll, kFailFast };

// Thread-safe.
class BranchJoin {
 public:
  // REQUIRES: branches >= 0 (0: Add must come before any BranchDone).
  explicit BranchJoin(int branches = 0, JoinPolicy policy = JoinPolicy::kWaitForAll)
      : policy_(policy), pending_(branches) {}

  // One more branch to wait for. REQUIRES: no BranchDone has returned a
  // value yet.
  void Add(int branches = 1) {
    absl::MutexLock lock(&mutex_);
    pending_ += branches;
  }

  // A branch finished with `status`. Returns the outcome to exactly one
  // caller (see the policies above); nullopt to the others.
  [[nodiscard]] std::optional<absl::Status> BranchDone(const absl::Status& status) {
    absl::MutexLock lock(&mutex_);
    --pending_;
    if (decided_) return std::nullopt;
    if (!status.ok() && first_error_.ok()) first_error_ = status;
    const bool fail_now = policy_ == JoinPolicy::kFailFast && !first_error_.ok();
    if (pending_ > 0 && !fail_now) return std::nullopt;
    decided_ = true;
    return first_error_;
  }

  // Whether a branch has failed so far (to stop starting work early).
  bool failed() const {
    absl::MutexLock lock(&mutex_);
    return !first_error_.ok();
  }

 private:
  const JoinPolicy policy_;
  mutable absl::Mutex mutex_;
  int pending_ ABSL_GUARDED_BY(mutex_);
  bool decided_ ABSL_GUARDED_BY(mutex_) = false;
  absl::Status first_error_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace affect

#endif  // AFFECT_SERVER_COMMON_BRANCH_JOIN_H_

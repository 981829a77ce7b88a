// Fan-out/join bookkeeping: work split into N branches that finish on any
// thread, in any order; the last one to finish learns it is last and gets the
// first error any branch reported. The one helper for the "pending counter +
// first error + finished once" pattern.
#ifndef AFFECT_SERVER_COMMON_BRANCH_JOIN_H_
#define AFFECT_SERVER_COMMON_BRANCH_JOIN_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace affect {

// Thread-safe.
class BranchJoin {
 public:
  // REQUIRES: branches >= 0 (0: Add must come before any BranchDone).
  explicit BranchJoin(int branches = 0) : pending_(branches) {}

  // One more branch to wait for. REQUIRES: no BranchDone has returned a
  // value yet.
  void Add(int branches = 1) {
    absl::MutexLock lock(&mutex_);
    pending_ += branches;
  }

  // A branch finished with `status`. Returns the outcome (OK, or the first
  // error of any branch) to exactly one caller, the last branch; nullopt to
  // the others.
  [[nodiscard]] std::optional<absl::Status> BranchDone(const absl::Status& status) {
    absl::MutexLock lock(&mutex_);
    if (!status.ok() && first_error_.ok()) first_error_ = status;
    if (--pending_ > 0) return std::nullopt;
    return first_error_;
  }

  // Whether a branch has failed so far (to stop starting work early).
  bool failed() const {
    absl::MutexLock lock(&mutex_);
    return !first_error_.ok();
  }

 private:
  mutable absl::Mutex mutex_;
  int pending_ ABSL_GUARDED_BY(mutex_);
  absl::Status first_error_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace affect

#endif  // AFFECT_SERVER_COMMON_BRANCH_JOIN_H_

#include "server/common/abseil_setup.h"

#include "absl/synchronization/mutex.h"

namespace affect {

void DisableMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace affect

// Hooks through which the engine reports what metrics need. The metrics
// component implements it; the engine never includes prometheus headers.
#ifndef AFFECT_SERVER_ENGINE_ENGINE_OBSERVER_H_
#define AFFECT_SERVER_ENGINE_ENGINE_OBSERVER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace affect {

// Implementations must be thread-safe and fast (called on engine threads).
class EngineObserver {
 public:
  virtual ~EngineObserver() = default;
  // A batch of `batch_size` rows ran (or failed) in `compute_time`.
  virtual void OnBatchExecuted(const std::string& model, int batch_size,
                               absl::Duration compute_time, const absl::Status& status) = 0;
  // One item left the queue after waiting `queue_time` (into a batch, or
  // dropped because of deadline/cancellation/shutdown).
  virtual void OnItemDequeued(const std::string& model, absl::Duration queue_time) = 0;
  // The number of queued items changed.
  virtual void OnQueueDepth(const std::string& model, int depth) = 0;
  // A request finished with `status` (OK, or the reason it failed).
  virtual void OnRequestDone(const std::string& model, const absl::Status& status) = 0;
};

}  // namespace affect

#endif  // AFFECT_SERVER_ENGINE_ENGINE_OBSERVER_H_

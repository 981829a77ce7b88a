// The dynamic batcher: one per model. Many callers (unary RPCs, stream
// stages) submit items; `instance_count` worker threads stack them into
// batches, run them on a BatchExecutor and scatter each output row back to
// its caller. Modelled on Triton's dynamic batcher
// (core/src/dynamic_batch_scheduler.cc) and TF Serving's BasicBatchScheduler.
//
// Batching policy. Items wait in one FIFO queue per TrafficClass. An idle
// worker closes a batch when
//   * max_batch_size items are queued, or
//   * preferred sizes are set and at least the largest preferred size is
//     queued, or
//   * the oldest queued item has waited max_queue_delay (at once when the
//     delay is zero), or
//   * Shutdown is draining the queue.
// The batch takes min(queued, max_batch_size) items, cut down to the largest
// preferred size that fits when preferred sizes are set (fewer items than the
// smallest preferred size go as they are once the delay has passed). Batches
// are filled from the traffic-class queues in turn, one item at a time,
// starting with a different class each batch, so a flood of stream frames
// gets at most half of each batch while unary calls wait, and the reverse.
//
// Only idle workers form batches: while every instance is busy, items keep
// queueing, so batches grow with load up to max_batch_size on their own.
// The workers share the queues, one mutex and one condition variable (the
// model's scheduler); they wait with a timeout, never poll, and are notified
// outside the lock, only when a batch may have become ready.
//
// Before compute, items whose request is cancelled, past its deadline, or
// already failed are dropped (DEADLINE_EXCEEDED / CANCELLED), so the
// executor sees only live rows. A request whose items span several batches is
// answered once, after all its items ran or were dropped, with the first
// failure if any.
#ifndef AFFECT_SERVER_ENGINE_DYNAMIC_BATCHER_H_
#define AFFECT_SERVER_ENGINE_DYNAMIC_BATCHER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/common/clock.h"
#include "server/engine/batch_executor.h"
#include "server/engine/engine_observer.h"
#include "server/engine/inference_request.h"

namespace affect {

struct DynamicBatcherOptions {
  // Names the model in errors, logs and observer calls. Non-empty.
  std::string model_name;
  // Per model input, the item shape WITHOUT the batch dimension. Submit
  // rejects items of any other shape. At least one input; dims >= 0.
  std::vector<std::vector<int64_t>> input_dims;
  // Largest batch handed to the executor. >= 1.
  int max_batch_size = 1;
  // Batch sizes to cut batches at (e.g. those that measured fastest); each in
  // [1, max_batch_size]. Empty: any size.
  std::vector<int> preferred_batch_sizes;
  // How long the oldest queued item may wait for more items to join its
  // batch while a worker is idle. Zero: run as soon as a worker is free.
  // >= 0.
  absl::Duration max_queue_delay = absl::ZeroDuration();
  // Queued items (rows, not requests) allowed; a request that would exceed
  // it is refused at once with RESOURCE_EXHAUSTED. >= 1.
  int max_queue_size = 64;
  // Worker threads, i.e. batches that may run concurrently. >= 1.
  int instance_count = 1;
  // Not owned; may be null; must outlive the batcher. Called from submitting
  // threads and workers. OnQueueDepth is called with the batcher's queue lock
  // held (so that depths arrive in order): it must not call into the batcher
  // other than queue_depth().
  EngineObserver* observer = nullptr;
  // Not owned; null means Clock::Real(). Must outlive the batcher. Measures
  // queue delay, deadlines, queue and compute times, and the drain timeout.
  Clock* clock = nullptr;
};

// Thread-safe: Submit, Shutdown and queue_depth may be called from any
// thread, concurrently. `done` callbacks and observer hooks run on the
// batcher's worker threads (or on the thread calling Shutdown, for work
// failed at shutdown), never with a batcher lock held except as noted for
// OnQueueDepth. A callback may call Submit (e.g. the next pipeline stage) but
// must not call Shutdown or destroy the batcher.
class DynamicBatcher {
 public:
  // Validates `options` (INVALID_ARGUMENT naming the field) and starts
  // `instance_count` workers. `executor` must be non-null; it is shared with
  // the caller and must be thread-safe when instance_count > 1.
  static absl::StatusOr<std::unique_ptr<DynamicBatcher>> Create(
      DynamicBatcherOptions options, std::shared_ptr<BatchExecutor> executor);

  // Shutdown(absl::ZeroDuration()) unless already shut down: queued work is
  // failed with UNAVAILABLE, running batches finish, threads are joined.
  ~DynamicBatcher();
  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;

  // Queues every item of `*request`. Never blocks on inference (only briefly
  // on the queue lock).
  //   OK: the batcher owns the request (`request` is reset) and will call its
  //     `done` exactly once.
  //   Not OK: nothing was queued; the caller keeps the request and `done` is
  //     not called:
  //     INVALID_ARGUMENT    null request or callback, no items, an item with
  //                         the wrong number of inputs or a wrong shape, an
  //                         unknown traffic class, or more items than
  //                         max_queue_size could ever hold;
  //     DEADLINE_EXCEEDED   the deadline has already passed;
  //     CANCELLED           the cancellation flag is already set;
  //     UNAVAILABLE         Shutdown has started;
  //     RESOURCE_EXHAUSTED  "model 'x' queue full (N items queued, limit M):
  //                         retry later" (load shedding).
  absl::Status Submit(std::unique_ptr<InferenceRequest>& request);

  // Stops accepting work (Submit returns UNAVAILABLE), lets queued and
  // running work finish for up to `drain_timeout` (batches close without
  // waiting for max_queue_delay meanwhile), then fails what is still queued
  // with UNAVAILABLE, waits for running batches and joins the workers. Every
  // accepted request has had its callback when it returns. Idempotent;
  // concurrent callers all return after the join. REQUIRES: not called from
  // a `done` callback or an executor of this batcher.
  void Shutdown(absl::Duration drain_timeout);

  // Items queued now (not counting running batches). Lock-free.
  int queue_depth() const { return queue_depth_.load(std::memory_order_relaxed); }

  const DynamicBatcherOptions& options() const { return options_; }

 private:
  struct RequestState;
  struct QueuedItem;
  struct DroppedItem;
  struct Batch;

  DynamicBatcher(DynamicBatcherOptions options, std::shared_ptr<BatchExecutor> executor);

  absl::Status Validate(const InferenceRequest& request) const;
  void WorkerLoop(int index);
  // The next four REQUIRE mu_ held.
  // True when an idle worker should take a batch now; otherwise `*wake_at`
  // is when to look again (InfiniteFuture: when notified).
  bool BatchReady(absl::Time now, absl::Time* wake_at) const;
  // True when the queue holds enough items to close a batch by size.
  bool FullBatchQueued() const;
  Batch TakeBatch(absl::Time now);
  void SetQueueDepth(int depth);
  int BatchSizeFor(int queued) const;
  void RunBatch(Batch& batch);
  // Records one item's outcome; when it was the request's last unresolved
  // item, appends the request to `*finished`.
  void ResolveItem(const QueuedItem& item, const absl::Status& status, std::vector<Tensor> outputs,
                   absl::Duration queue_time, absl::Duration compute_share, int batch_size,
                   std::vector<std::unique_ptr<RequestState>>* finished);
  void Finish(std::unique_ptr<RequestState> state);

  const DynamicBatcherOptions options_;
  const std::shared_ptr<BatchExecutor> executor_;
  Clock* const clock_;
  // Elements per item row of each input, and of the largest preferred size.
  std::vector<int64_t> input_row_elements_;
  int max_preferred_batch_size_ = 0;

  // The model's scheduler state. std primitives rather than absl's so that
  // ThreadSanitizer can check it (see server/common/clock.h).
  mutable std::mutex mu_;
  std::condition_variable work_cv_;     // workers: a batch may be ready, or stop
  std::condition_variable drained_cv_;  // Shutdown: queue empty, nothing running
  // Guarded by mu_:
  std::deque<QueuedItem> queues_[kNumTrafficClasses];
  int queued_items_ = 0;
  int next_class_ = 0;  // the traffic class that starts the next batch
  int running_batches_ = 0;
  bool accepting_ = true;
  bool draining_ = false;
  bool stop_ = false;

  std::atomic<int> queue_depth_{0};

  std::mutex shutdown_mu_;  // serialises Shutdown
  bool shut_down_ = false;  // guarded by shutdown_mu_
  std::vector<std::thread> workers_;
};

}  // namespace affect

#endif  // AFFECT_SERVER_ENGINE_DYNAMIC_BATCHER_H_

// Admission before work: a bounded queue in front of the threads that decode
// requests, so that the expensive first step (a 1920-pixel JPEG costs ~0.1 s
// of CPU, a 36-megapixel PNG over a second) only runs for work that can still
// be answered.
//
// Submit never blocks and refuses at once (microseconds, no decoding) when
//   * the queue holds max_items tasks or max_bytes bytes of pending media
//     (RESOURCE_EXHAUSTED: memory has a ceiling the operator sets),
//   * the task is already cancelled or past its deadline, or its remaining
//     deadline is shorter than the expected wait plus its own expected run
//     time (DEADLINE_EXCEEDED: it would expire in the queue or mid-decode),
//   * Shutdown has started (UNAVAILABLE).
// Refusals for a full queue or a short deadline carry a retry pushback
// (server/common/retry_pushback.h): how long the queued work needs to drain.
//
// Work in progress is bounded too (max_in_progress): a task holds an
// AdmissionTicket from the moment it starts, and may keep it after `run`
// returns, until the whole request is done (decoding, then the models, which
// run elsewhere). The threads start no more tasks while max_in_progress
// tickets are held, so the excess waits HERE, where its deadline is checked
// and refusals are cheap, instead of in the model queues, where it would
// expire after its decoding was paid for.
//
// Expected times come from measurement: each task states its cost in work
// units (decode uses pixels, read from the header), and the queue keeps an
// exponentially weighted average of the time per unit from a task's start to
// its ticket's release. The expected wait is the queued units times that
// average, weighted, divided among the slots (max_in_progress, or the
// threads).
//
// A task whose caller cancelled, or whose deadline passed while it waited, is
// never run: it is answered with CANCELLED / DEADLINE_EXCEEDED when it
// reaches the front. Modelled on TF Serving's BatchScheduler::Schedule (never
// blocks, UNAVAILABLE-style refusal when full) and on Triton's
// queue-policy timeouts.
#ifndef AFFECT_SERVER_ENGINE_ADMISSION_QUEUE_H_
#define AFFECT_SERVER_ENGINE_ADMISSION_QUEUE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/common/clock.h"
#include "server/engine/inference_request.h"

namespace affect {

// What an AdmissionQueue reports (metrics). Thread-safe and fast; called with
// no queue lock held.
class AdmissionObserver {
 public:
  enum class Outcome {
    kAdmitted,         // queued
    kRefusedFull,      // refused: items or bytes at their limit
    kRefusedDeadline,  // refused: cannot start (or finish) before its deadline
    kExpired,          // admitted, then its deadline passed before it started
    kCancelled,        // admitted (or submitted), then cancelled before it started
    kRefusedShutdown,  // refused: shutting down
  };
  virtual ~AdmissionObserver() = default;
  virtual void OnAdmission(const std::string& queue, Outcome outcome) = 0;
  // Queued tasks and their bytes changed.
  virtual void OnQueueSize(const std::string& queue, int items, int64_t bytes) = 0;
  // A task waited `wait` before it started (or was dropped).
  virtual void OnQueueWait(const std::string& queue, absl::Duration wait) = 0;
};

const char* AdmissionOutcomeName(AdmissionObserver::Outcome outcome);

// True for the DEADLINE_EXCEEDED of a task that could not start by its
// `start_by` (as opposed to its deadline).
bool IsLateStart(const absl::Status& status);

struct AdmissionQueueOptions {
  // Names the queue in errors and metrics ("decode"). Non-empty.
  std::string name;
  // Threads that run admitted tasks. >= 1.
  int num_threads = 2;
  // Most tasks waiting to start. >= 1.
  int max_items = 64;
  // Most bytes of pending media (the tasks' `bytes`) waiting to start. >= 1.
  int64_t max_bytes = int64_t{256} << 20;
  // Most work in progress: the sum of the weights of the tasks started
  // whose tickets are not yet released; 0 = no limit beyond the threads
  // (then tasks should release their ticket when `run` returns, as they do
  // by default). >= 0.
  int max_in_progress = 0;
  // Run time per work unit assumed before any task has run (the first
  // deadline checks use it). >= 0.
  absl::Duration initial_time_per_unit = absl::Nanoseconds(20);
  // Weight of the newest measurement in the moving average. In (0, 1].
  double average_weight = 0.1;
  // Not owned; may be null. Must outlive the queue.
  AdmissionObserver* observer = nullptr;
  // Not owned; null = Clock::Real(). Must outlive the queue.
  Clock* clock = nullptr;
};

namespace internal {
struct AdmissionCore;
}  // namespace internal

// One in-progress slot of an AdmissionQueue, held by a started task. Move-
// only; released when destroyed or by Release(). Safe to release from any
// thread, even after the queue is gone.
class AdmissionTicket {
 public:
  AdmissionTicket() = default;  // holds nothing
  AdmissionTicket(AdmissionTicket&& other) noexcept;
  AdmissionTicket& operator=(AdmissionTicket&& other) noexcept;
  AdmissionTicket(const AdmissionTicket&) = delete;
  AdmissionTicket& operator=(const AdmissionTicket&) = delete;
  ~AdmissionTicket();

  // Frees the slot and, for a task that ran, records its time (start to
  // now) in the queue's moving average. Idempotent.
  void Release();
  bool held() const { return core_ != nullptr; }

 private:
  friend class AdmissionQueue;
  AdmissionTicket(std::shared_ptr<internal::AdmissionCore> core, int64_t work_units, int weight,
                  absl::Time start, bool measure);

  std::shared_ptr<internal::AdmissionCore> core_;
  int64_t work_units_ = 0;
  int weight_ = 0;
  absl::Time start_;
  bool measure_ = false;
};

// One unit of admitted work.
struct AdmissionTask {
  // Bytes of media it holds while it waits (counted against max_bytes). >= 0.
  int64_t bytes = 0;
  // Expected cost in work units (e.g. pixels to decode); 0 = unknown (the
  // task then counts as one average task). >= 0.
  int64_t work_units = 0;
  // Its share of max_in_progress while it is in progress: a request that
  // runs more models at once counts more (a task heavier than the whole
  // limit still runs, alone). >= 1.
  int weight = 1;
  absl::Time deadline = absl::InfiniteFuture();
  // The task must start by then or not at all (a live stream's frame that
  // cannot start within its maximum age): refused at Submit when the
  // expected wait passes it, answered without running when it waits past
  // it. Both statuses satisfy IsLateStart().
  absl::Time start_by = absl::InfiniteFuture();
  // Optional: a cancelled task is not run.
  std::shared_ptr<const CancellationFlag> cancellation;
  // Runs exactly once on a queue thread: with OK when the task may do its
  // work, or with CANCELLED / DEADLINE_EXCEEDED when it must not (it was
  // cancelled or expired while waiting). Never called when Submit refuses.
  // The ticket holds the task's in-progress slot: keep it (move it into
  // the continuation) until the request is done, or let it go out of scope
  // to release the slot when `run` returns.
  absl::AnyInvocable<void(absl::Status, AdmissionTicket) &&> run;
};

// Thread-safe.
class AdmissionQueue {
 public:
  // INVALID_ARGUMENT naming the field for bad options; starts the threads.
  static absl::StatusOr<std::unique_ptr<AdmissionQueue>> Create(AdmissionQueueOptions options);

  // Shutdown().
  ~AdmissionQueue();
  AdmissionQueue(const AdmissionQueue&) = delete;
  AdmissionQueue& operator=(const AdmissionQueue&) = delete;

  // Never blocks on other tasks.
  //   OK: the queue owns the task (`task` is reset) and runs `run` once.
  //   Otherwise the caller keeps the task, `run` is never called:
  //     INVALID_ARGUMENT    null task or no `run`, negative bytes or units;
  //     CANCELLED           already cancelled;
  //     DEADLINE_EXCEEDED   past its deadline, or the deadline is nearer
  //                         than the expected wait plus its own run time
  //                         (carries a retry pushback);
  //     RESOURCE_EXHAUSTED  max_items or max_bytes reached (carries a retry
  //                         pushback);
  //     UNAVAILABLE         Shutdown has started.
  absl::Status Submit(std::unique_ptr<AdmissionTask>& task);

  // Stops accepting tasks, runs every queued one (a draining server still
  // answers what it accepted: expired and cancelled ones are answered as
  // such), then joins the threads. Idempotent. REQUIRES: not called from a
  // task.
  void Shutdown();

  // How long a task submitted now would wait before starting.
  absl::Duration ExpectedWait() const;
  // The current estimate of one work unit's run time.
  absl::Duration TimePerUnit() const;
  int queued_items() const;
  int64_t queued_bytes() const;
  // The weights of the tasks started whose tickets are still held.
  int in_progress() const;
  const AdmissionQueueOptions& options() const;

 private:
  explicit AdmissionQueue(AdmissionQueueOptions options);
  void WorkerLoop();

  const std::shared_ptr<internal::AdmissionCore> core_;

  std::mutex join_mu_;
  std::vector<std::thread> threads_;
};

}  // namespace affect

#endif  // AFFECT_SERVER_ENGINE_ADMISSION_QUEUE_H_

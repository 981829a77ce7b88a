// A fixed-size pool of threads for pre- and post-processing, so that that
// work stays off the inference threads (a batcher's `done` callbacks run on
// its worker threads and should only hand results over to a pool).
#ifndef AFFECT_SERVER_ENGINE_THREAD_POOL_H_
#define AFFECT_SERVER_ENGINE_THREAD_POOL_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"

namespace affect {

// Names the calling thread (shown by top -H, gdb, perf); Linux keeps the
// first 15 characters.
void SetCurrentThreadName(absl::string_view name);

// Thread-safe. Tasks run in FIFO order on `num_threads` threads.
//
// The task queue is deliberately unbounded. Work reaches the pool only after
// admission control (each model's bounded batcher queue, the RPC layer's
// limits), so its backlog is bounded by the requests already in flight. A
// bound here would force Schedule to either block (stalling the inference
// thread that completes a batch) or refuse a task whose request has already
// been computed, turning finished work into failures. pending() is exported
// for monitoring.
class ThreadPool {
 public:
  // Starts `num_threads` threads named "<name>-<i>" (Linux truncates thread
  // names to 15 characters). REQUIRES: num_threads >= 1.
  ThreadPool(absl::string_view name, int num_threads);
  // Calls Shutdown().
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `task`; never blocks on other tasks. Returns true when the task
  // will run exactly once, false (the task is destroyed without running)
  // after Shutdown has started. Tasks may call Schedule.
  [[nodiscard]] bool Schedule(absl::AnyInvocable<void() &&> task);

  // Stops accepting tasks, runs every task already queued, then joins the
  // threads. Idempotent; concurrent callers all return after the join.
  // REQUIRES: not called from one of this pool's tasks.
  void Shutdown();

  // Tasks queued and not yet started.
  int pending() const;
  int num_threads() const { return static_cast<int>(threads_.size()); }

 private:
  void WorkerLoop();

  // std primitives, not absl's: see server/common/clock.h (ThreadSanitizer).
  mutable std::mutex mu_;
  std::condition_variable work_available_;
  std::deque<absl::AnyInvocable<void() &&>> tasks_;  // guarded by mu_
  bool accepting_ = true;                            // guarded by mu_

  std::mutex join_mu_;  // serialises Shutdown's join
  std::vector<std::thread> threads_;
};

// Runs `task` on `pool`, or on the calling thread once the pool no longer
// accepts work (shutdown), so that a task that answers a caller always runs.
// The one helper for "schedule on the pool or run inline".
void RunOnPoolOrInline(ThreadPool* pool, absl::AnyInvocable<void() &&> task);

}  // namespace affect

#endif  // AFFECT_SERVER_ENGINE_THREAD_POOL_H_

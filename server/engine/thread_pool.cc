#include "server/engine/thread_pool.h"

#include <memory>

#include <pthread.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace affect {

void SetCurrentThreadName(absl::string_view name) {
  // Linux limits names to 15 characters plus the terminator.
  const std::string truncated(name.substr(0, 15));
  pthread_setname_np(pthread_self(), truncated.c_str());
}

ThreadPool::ThreadPool(absl::string_view name, int num_threads) {
  const int count = std::max(1, num_threads);
  threads_.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    threads_.emplace_back([this, thread_name = absl::StrCat(name, "-", i)] {
      SetCurrentThreadName(thread_name);
      WorkerLoop();
    });
  }
}

ThreadPool::~ThreadPool() { Shutdown(); }

void RunOnPoolOrInline(ThreadPool* pool, absl::AnyInvocable<void() &&> task) {
  // Schedule destroys a refused task, so the task is shared between the pool
  // and this thread; exactly one of them runs it.
  auto shared = std::make_shared<absl::AnyInvocable<void() &&>>(std::move(task));
  if (!pool->Schedule([shared] { std::move(*shared)(); })) std::move(*shared)();
}

bool ThreadPool::Schedule(absl::AnyInvocable<void() &&> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepting_) return false;
    tasks_.push_back(std::move(task));
  }
  work_available_.notify_one();
  return true;
}

void ThreadPool::Shutdown() {
  std::lock_guard<std::mutex> join_lock(join_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    accepting_ = false;
  }
  work_available_.notify_all();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

int ThreadPool::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(tasks_.size());
}

void ThreadPool::WorkerLoop() {
  while (true) {
    absl::AnyInvocable<void() &&> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_available_.wait(lock, [this] { return !tasks_.empty() || !accepting_; });
      // After Shutdown, keep going until the queue is empty: every accepted
      // task runs.
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    std::move(task)();
  }
}

}  // namespace affect

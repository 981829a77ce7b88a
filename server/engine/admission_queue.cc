#include "server/engine/admission_queue.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/retry_pushback.h"
#include "server/engine/thread_pool.h"

namespace affect {

const char* AdmissionOutcomeName(AdmissionObserver::Outcome outcome) {
  switch (outcome) {
    case AdmissionObserver::Outcome::kAdmitted:
      return "admitted";
    case AdmissionObserver::Outcome::kRefusedFull:
      return "refused_full";
    case AdmissionObserver::Outcome::kRefusedDeadline:
      return "refused_deadline";
    case AdmissionObserver::Outcome::kExpired:
      return "expired";
    case AdmissionObserver::Outcome::kCancelled:
      return "cancelled";
    case AdmissionObserver::Outcome::kRefusedShutdown:
      return "refused_shutdown";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<AdmissionQueue>> AdmissionQueue::Create(
    AdmissionQueueOptions options) {
  auto invalid = [&](absl::string_view field, absl::string_view rule) {
    return absl::InvalidArgumentError(
        absl::StrCat("admission queue '", options.name, "': ", field, " ", rule));
  };
  if (options.name.empty()) return invalid("name", "must not be empty");
  if (options.num_threads < 1) return invalid("num_threads", "must be >= 1");
  if (options.max_items < 1) return invalid("max_items", "must be >= 1");
  if (options.max_bytes < 1) return invalid("max_bytes", "must be >= 1");
  if (options.initial_time_per_unit < absl::ZeroDuration()) {
    return invalid("initial_time_per_unit", "must be >= 0");
  }
  if (!(options.average_weight > 0 && options.average_weight <= 1)) {
    return invalid("average_weight", "must be in (0, 1]");
  }
  return std::unique_ptr<AdmissionQueue>(new AdmissionQueue(std::move(options)));
}

AdmissionQueue::AdmissionQueue(AdmissionQueueOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()) {
  seconds_per_unit_ = absl::ToDoubleSeconds(options_.initial_time_per_unit);
  threads_.reserve(static_cast<size_t>(options_.num_threads));
  for (int i = 0; i < options_.num_threads; ++i) {
    threads_.emplace_back([this, name = absl::StrCat(options_.name, "-", i)] {
      SetCurrentThreadName(name);
      WorkerLoop();
    });
  }
}

AdmissionQueue::~AdmissionQueue() { Shutdown(); }

absl::Duration AdmissionQueue::CostLocked(int64_t work_units) const {
  if (work_units > 0) return absl::Seconds(seconds_per_unit_ * static_cast<double>(work_units));
  return absl::Seconds(seconds_per_task_);
}

absl::Duration AdmissionQueue::ExpectedWaitLocked() const {
  // Queued work divided among the threads; running tasks are ignored (their
  // remaining time is unknown and at most one task's).
  const double seconds = seconds_per_unit_ * static_cast<double>(queued_units_) +
                         seconds_per_task_ * queued_unknown_;
  return absl::Seconds(seconds / options_.num_threads);
}

absl::Duration AdmissionQueue::ExpectedWait() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ExpectedWaitLocked();
}

absl::Duration AdmissionQueue::TimePerUnit() const {
  std::lock_guard<std::mutex> lock(mu_);
  return absl::Seconds(seconds_per_unit_);
}

int AdmissionQueue::queued_items() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(queue_.size());
}

int64_t AdmissionQueue::queued_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_bytes_;
}

void AdmissionQueue::Report(AdmissionObserver::Outcome outcome) const {
  if (options_.observer != nullptr) options_.observer->OnAdmission(options_.name, outcome);
}

absl::Status AdmissionQueue::Submit(std::unique_ptr<AdmissionTask>& task) {
  if (task == nullptr || !task->run) {
    return absl::InvalidArgumentError(
        absl::StrCat("admission queue '", options_.name, "': null task or no run callback"));
  }
  if (task->bytes < 0 || task->work_units < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "admission queue '", options_.name, "': bytes and work_units must be >= 0"));
  }
  if (task->cancellation != nullptr && task->cancellation->cancelled()) {
    Report(AdmissionObserver::Outcome::kCancelled);
    return absl::CancelledError("the call was cancelled before its work started");
  }
  int items = 0;
  int64_t bytes = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepting_) {
      Report(AdmissionObserver::Outcome::kRefusedShutdown);
      return absl::UnavailableError("server is shutting down");
    }
    const absl::Duration wait = ExpectedWaitLocked();
    const bool full = static_cast<int>(queue_.size()) >= options_.max_items ||
                      queued_bytes_ + task->bytes > options_.max_bytes;
    // A task larger than the whole byte budget is refused even when the
    // queue is empty: otherwise memory has no ceiling.
    if (full || task->bytes > options_.max_bytes) {
      Report(AdmissionObserver::Outcome::kRefusedFull);
      return WithRetryPushback(
          absl::ResourceExhaustedError(absl::StrCat(
              "server busy: the ", options_.name, " queue is full (", queue_.size(), " of ",
              options_.max_items, " requests, ", queued_bytes_, " of ", options_.max_bytes,
              " bytes waiting); retry after ", absl::ToInt64Milliseconds(wait), " ms")),
          wait);
    }
    const absl::Time now = clock_->Now();
    const absl::Duration left = task->deadline - now;
    const absl::Duration needed = wait + CostLocked(task->work_units);
    if (left <= absl::ZeroDuration() || left < needed) {
      Report(AdmissionObserver::Outcome::kRefusedDeadline);
      return WithRetryPushback(
          absl::DeadlineExceededError(absl::StrCat(
              "the deadline leaves ", absl::ToInt64Milliseconds(std::max(left, absl::ZeroDuration())),
              " ms but about ", absl::ToInt64Milliseconds(needed), " ms of ", options_.name,
              " work is ahead of this request (queue and its own); send a longer deadline or "
              "retry later")),
          wait);
    }
    queued_bytes_ += task->bytes;
    if (task->work_units > 0) {
      queued_units_ += task->work_units;
    } else {
      ++queued_unknown_;
    }
    queue_.push_back(Queued{std::move(task), now});
    items = static_cast<int>(queue_.size());
    bytes = queued_bytes_;
  }
  work_available_.notify_one();
  Report(AdmissionObserver::Outcome::kAdmitted);
  if (options_.observer != nullptr) options_.observer->OnQueueSize(options_.name, items, bytes);
  return absl::OkStatus();
}

void AdmissionQueue::Shutdown() {
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

void AdmissionQueue::WorkerLoop() {
  while (true) {
    Queued next;
    int items = 0;
    int64_t bytes = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_available_.wait(lock, [this] { return !queue_.empty() || !accepting_; });
      if (queue_.empty()) return;  // shutting down and drained
      next = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= next.task->bytes;
      if (next.task->work_units > 0) {
        queued_units_ -= next.task->work_units;
      } else {
        --queued_unknown_;
      }
      ++running_;
      items = static_cast<int>(queue_.size());
      bytes = queued_bytes_;
    }
    AdmissionTask& task = *next.task;
    const absl::Time start = clock_->Now();
    if (options_.observer != nullptr) {
      options_.observer->OnQueueSize(options_.name, items, bytes);
      options_.observer->OnQueueWait(options_.name, start - next.enqueued);
    }
    if (task.cancellation != nullptr && task.cancellation->cancelled()) {
      Report(AdmissionObserver::Outcome::kCancelled);
      std::move(task.run)(absl::CancelledError("the call was cancelled while it waited"));
    } else if (start >= task.deadline) {
      Report(AdmissionObserver::Outcome::kExpired);
      std::move(task.run)(absl::DeadlineExceededError(absl::StrCat(
          "deadline exceeded after ", absl::ToInt64Milliseconds(start - next.enqueued),
          " ms waiting in the ", options_.name, " queue; the work was not started")));
    } else {
      std::move(task.run)(absl::OkStatus());
      const double seconds = absl::ToDoubleSeconds(clock_->Now() - start);
      std::lock_guard<std::mutex> lock(mu_);
      const double weight = options_.average_weight;
      if (task.work_units > 0) {
        const double per_unit = seconds / static_cast<double>(task.work_units);
        seconds_per_unit_ = (1 - weight) * seconds_per_unit_ + weight * per_unit;
      }
      seconds_per_task_ = (1 - weight) * seconds_per_task_ + weight * seconds;
    }
    next.task.reset();  // release the media before taking the next task
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
  }
}

}  // namespace affect

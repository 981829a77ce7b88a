#include "server/engine/admission_queue.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <utility>

#include "absl/strings/cord.h"
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

namespace internal {

// Everything tickets touch, shared so that a ticket may be released after
// the queue is gone.
struct AdmissionCore {
  AdmissionCore(AdmissionQueueOptions o)
      : options(std::move(o)), clock(options.clock != nullptr ? options.clock : Clock::Real()) {
    seconds_per_unit = absl::ToDoubleSeconds(options.initial_time_per_unit);
  }

  struct Queued {
    std::unique_ptr<AdmissionTask> task;
    absl::Time enqueued;
  };

  const AdmissionQueueOptions options;
  Clock* const clock;

  // std primitives (not absl's): ThreadSanitizer sees them, see clock.h.
  mutable std::mutex mu;
  // Signalled when a task is queued, a slot frees up, or Shutdown starts.
  std::condition_variable changed;
  std::deque<Queued> queue;  // guarded by mu
  int64_t queued_bytes = 0;  // guarded by mu
  // Queued cost, each task's times its weight: units of the tasks of known
  // cost, and the weights of the tasks of unknown cost.
  int64_t queued_units = 0;     // guarded by mu
  int64_t queued_unknown = 0;   // guarded by mu
  double seconds_per_unit = 0;  // guarded by mu (moving average)
  double seconds_per_task = 0;  // guarded by mu (moving average, all tasks)
  int in_progress = 0;          // guarded by mu (weights of the tickets held)
  bool accepting = true;        // guarded by mu

  int Slots() const {
    return options.max_in_progress > 0 ? options.max_in_progress : options.num_threads;
  }
  // REQUIRE mu held.
  absl::Duration CostLocked(int64_t work_units) const {
    if (work_units > 0) return absl::Seconds(seconds_per_unit * static_cast<double>(work_units));
    return absl::Seconds(seconds_per_task);
  }
  absl::Duration ExpectedWaitLocked() const {
    // Queued work divided among the slots; tasks in progress are ignored
    // (their remaining time is unknown and at most one task's each).
    const double seconds = seconds_per_unit * static_cast<double>(queued_units) +
                           seconds_per_task * static_cast<double>(queued_unknown);
    return absl::Seconds(seconds / Slots());
  }
  bool SlotFreeLocked() const {
    // While shutting down, the queued tasks run without waiting for slots:
    // draining must not depend on work elsewhere finishing first.
    if (options.max_in_progress == 0 || !accepting || in_progress == 0) return true;
    return in_progress + queue.front().task->weight <= options.max_in_progress;
  }
  void AddQueuedLocked(const AdmissionTask& task, int sign) {
    queued_bytes += sign * task.bytes;
    if (task.work_units > 0) {
      queued_units += sign * task.work_units * task.weight;
    } else {
      queued_unknown += sign * task.weight;
    }
  }
  void Release(int64_t work_units, int weight, absl::Time start, bool measure) {
    const double seconds = absl::ToDoubleSeconds(clock->Now() - start);
    {
      std::lock_guard<std::mutex> lock(mu);
      in_progress -= weight;
      if (measure) {
        const double newest = options.average_weight;
        if (work_units > 0) {
          const double per_unit = seconds / static_cast<double>(work_units);
          seconds_per_unit = (1 - newest) * seconds_per_unit + newest * per_unit;
        }
        seconds_per_task = (1 - newest) * seconds_per_task + newest * seconds;
      }
    }
    changed.notify_all();
  }
  void Report(AdmissionObserver::Outcome outcome) const {
    if (options.observer != nullptr) options.observer->OnAdmission(options.name, outcome);
  }
};

}  // namespace internal

AdmissionTicket::AdmissionTicket(std::shared_ptr<internal::AdmissionCore> core, int64_t work_units,
                                 int weight, absl::Time start, bool measure)
    : core_(std::move(core)),
      work_units_(work_units),
      weight_(weight),
      start_(start),
      measure_(measure) {}

AdmissionTicket::AdmissionTicket(AdmissionTicket&& other) noexcept
    : core_(std::move(other.core_)),
      work_units_(other.work_units_),
      weight_(other.weight_),
      start_(other.start_),
      measure_(other.measure_) {
  other.core_ = nullptr;
}

AdmissionTicket& AdmissionTicket::operator=(AdmissionTicket&& other) noexcept {
  if (this != &other) {
    Release();
    core_ = std::move(other.core_);
    other.core_ = nullptr;
    work_units_ = other.work_units_;
    weight_ = other.weight_;
    start_ = other.start_;
    measure_ = other.measure_;
  }
  return *this;
}

AdmissionTicket::~AdmissionTicket() { Release(); }

void AdmissionTicket::Release() {
  if (core_ == nullptr) return;
  std::shared_ptr<internal::AdmissionCore> core = std::move(core_);
  core_ = nullptr;
  core->Release(work_units_, weight_, start_, measure_);
}

namespace {

constexpr char kLateStartPayloadUrl[] = "type.affectserve/admission-late-start";

absl::Status LateStart(std::string message) {
  absl::Status status = absl::DeadlineExceededError(std::move(message));
  status.SetPayload(kLateStartPayloadUrl, absl::Cord("1"));
  return status;
}

}  // namespace

bool IsLateStart(const absl::Status& status) {
  return absl::IsDeadlineExceeded(status) && status.GetPayload(kLateStartPayloadUrl).has_value();
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
  if (options.max_in_progress < 0) return invalid("max_in_progress", "must be >= 0");
  if (options.initial_time_per_unit < absl::ZeroDuration()) {
    return invalid("initial_time_per_unit", "must be >= 0");
  }
  if (!(options.average_weight > 0 && options.average_weight <= 1)) {
    return invalid("average_weight", "must be in (0, 1]");
  }
  return std::unique_ptr<AdmissionQueue>(new AdmissionQueue(std::move(options)));
}

AdmissionQueue::AdmissionQueue(AdmissionQueueOptions options)
    : core_(std::make_shared<internal::AdmissionCore>(std::move(options))) {
  const int threads = core_->options.num_threads;
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, name = absl::StrCat(core_->options.name, "-", i)] {
      SetCurrentThreadName(name);
      WorkerLoop();
    });
  }
}

AdmissionQueue::~AdmissionQueue() { Shutdown(); }

const AdmissionQueueOptions& AdmissionQueue::options() const { return core_->options; }

absl::Duration AdmissionQueue::ExpectedWait() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->ExpectedWaitLocked();
}

absl::Duration AdmissionQueue::TimePerUnit() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return absl::Seconds(core_->seconds_per_unit);
}

int AdmissionQueue::queued_items() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return static_cast<int>(core_->queue.size());
}

int64_t AdmissionQueue::queued_bytes() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->queued_bytes;
}

int AdmissionQueue::in_progress() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->in_progress;
}

absl::Status AdmissionQueue::Submit(std::unique_ptr<AdmissionTask>& task) {
  internal::AdmissionCore& core = *core_;
  const std::string& name = core.options.name;
  if (task == nullptr || !task->run) {
    return absl::InvalidArgumentError(
        absl::StrCat("admission queue '", name, "': null task or no run callback"));
  }
  if (task->bytes < 0 || task->work_units < 0 || task->weight < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "admission queue '", name, "': bytes and work_units must be >= 0, weight >= 1"));
  }
  if (task->cancellation != nullptr && task->cancellation->cancelled()) {
    core.Report(AdmissionObserver::Outcome::kCancelled);
    return absl::CancelledError("the call was cancelled before its work started");
  }
  int items = 0;
  int64_t bytes = 0;
  {
    std::lock_guard<std::mutex> lock(core.mu);
    if (!core.accepting) {
      core.Report(AdmissionObserver::Outcome::kRefusedShutdown);
      return absl::UnavailableError("server is shutting down");
    }
    const absl::Duration wait = core.ExpectedWaitLocked();
    const int max_items = core.options.max_items;
    const int64_t max_bytes = core.options.max_bytes;
    const bool full = static_cast<int>(core.queue.size()) >= max_items ||
                      core.queued_bytes + task->bytes > max_bytes;
    // A task larger than the whole byte budget is refused even when the
    // queue is empty: otherwise memory has no ceiling.
    if (full || task->bytes > max_bytes) {
      core.Report(AdmissionObserver::Outcome::kRefusedFull);
      return WithRetryPushback(
          absl::ResourceExhaustedError(absl::StrCat(
              "server busy: the ", name, " queue is full (", core.queue.size(), " of ", max_items,
              " requests, ", core.queued_bytes, " of ", max_bytes, " bytes waiting); retry after ",
              absl::ToInt64Milliseconds(wait), " ms")),
          wait);
    }
    const absl::Time now = core.clock->Now();
    const absl::Duration left = task->deadline - now;
    if (now + wait > task->start_by) {
      core.Report(AdmissionObserver::Outcome::kRefusedDeadline);
      return LateStart(absl::StrCat("cannot start within its time: about ",
                                    absl::ToInt64Milliseconds(wait), " ms of ", name,
                                    " work is ahead of it"));
    }
    // Its own cost: the time one task takes, whatever its weight.
    const absl::Duration needed = wait + core.CostLocked(task->work_units);
    if (left <= absl::ZeroDuration() || left < needed) {
      core.Report(AdmissionObserver::Outcome::kRefusedDeadline);
      return WithRetryPushback(
          absl::DeadlineExceededError(
              absl::StrCat("the deadline leaves ",
                           absl::ToInt64Milliseconds(std::max(left, absl::ZeroDuration())),
                           " ms but about ", absl::ToInt64Milliseconds(needed), " ms of ", name,
                           " work is ahead of this request (queue and its own); send a "
                           "longer deadline or retry later")),
          wait);
    }
    core.AddQueuedLocked(*task, +1);
    core.queue.push_back(internal::AdmissionCore::Queued{std::move(task), now});
    items = static_cast<int>(core.queue.size());
    bytes = core.queued_bytes;
  }
  core.changed.notify_all();
  core.Report(AdmissionObserver::Outcome::kAdmitted);
  if (core.options.observer != nullptr) core.options.observer->OnQueueSize(name, items, bytes);
  return absl::OkStatus();
}

void AdmissionQueue::Shutdown() {
  std::lock_guard<std::mutex> join_lock(join_mu_);
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    core_->accepting = false;
  }
  core_->changed.notify_all();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void AdmissionQueue::WorkerLoop() {
  internal::AdmissionCore& core = *core_;
  AdmissionObserver* const observer = core.options.observer;
  while (true) {
    internal::AdmissionCore::Queued next;
    int items = 0;
    int64_t bytes = 0;
    {
      std::unique_lock<std::mutex> lock(core.mu);
      core.changed.wait(lock, [&core] {
        return (!core.queue.empty() && core.SlotFreeLocked()) ||
               (core.queue.empty() && !core.accepting);
      });
      if (core.queue.empty()) return;  // shutting down and drained
      next = std::move(core.queue.front());
      core.queue.pop_front();
      core.AddQueuedLocked(*next.task, -1);
      core.in_progress += next.task->weight;
      items = static_cast<int>(core.queue.size());
      bytes = core.queued_bytes;
    }
    AdmissionTask& task = *next.task;
    const absl::Time start = core.clock->Now();
    if (observer != nullptr) {
      observer->OnQueueSize(core.options.name, items, bytes);
      observer->OnQueueWait(core.options.name, start - next.enqueued);
    }
    // Cancelled or expired while it waited: answered, never run.
    absl::Status verdict;
    if (task.cancellation != nullptr && task.cancellation->cancelled()) {
      core.Report(AdmissionObserver::Outcome::kCancelled);
      verdict = absl::CancelledError("the call was cancelled while it waited");
    } else if (start > task.start_by) {
      core.Report(AdmissionObserver::Outcome::kExpired);
      verdict = LateStart(absl::StrCat("waited ", absl::ToInt64Milliseconds(start - next.enqueued),
                                       " ms in the ", core.options.name,
                                       " queue, past the time it had to start; not started"));
    } else if (start >= task.deadline) {
      core.Report(AdmissionObserver::Outcome::kExpired);
      verdict = absl::DeadlineExceededError(absl::StrCat(
          "deadline exceeded after ", absl::ToInt64Milliseconds(start - next.enqueued),
          " ms waiting in the ", core.options.name, " queue; the work was not started"));
    }
    // Only work that ran is measured.
    const bool measure = verdict.ok();
    std::move(task.run)(std::move(verdict),
                        AdmissionTicket(core_, task.work_units, task.weight, start, measure));
    next.task.reset();  // release the media before taking the next task
  }
}

}  // namespace affect

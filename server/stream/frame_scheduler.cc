#include "server/stream/frame_scheduler.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace affect::stream {

const char* FrameDropReasonName(FrameDropReason reason) {
  switch (reason) {
    case FrameDropReason::kPolicy:
      return "policy";
    case FrameDropReason::kTooOld:
      return "too_old";
    case FrameDropReason::kClosed:
      return "closed";
  }
  return "unknown";
}

namespace {

// Weight of the newest run time in a stream's moving average: about the
// last ten frames count.
constexpr double kRunAverageWeight = 0.1;

}  // namespace

absl::Duration StartAgeLimit(absl::Duration max_frame_age, absl::Duration expected_run) {
  if (expected_run <= absl::ZeroDuration()) return max_frame_age;
  return std::max(max_frame_age - expected_run, max_frame_age / 2);
}

// ---------------------------------------------------------------------------
// ScheduledStream: forwards to the scheduler with its slot.
// ---------------------------------------------------------------------------

ScheduledStream::~ScheduledStream() { scheduler_->Release(index_); }
void ScheduledStream::Enqueue(int64_t frame_id) { scheduler_->Enqueue(index_, frame_id); }
void ScheduledStream::FrameDone(int64_t frame_id) { scheduler_->FrameDone(index_, frame_id); }
absl::Duration ScheduledStream::start_age_limit() const {
  return scheduler_->start_age_limit(index_);
}
absl::Duration ScheduledStream::expected_run() const { return scheduler_->expected_run(index_); }
bool ScheduledStream::HasRoom() const { return scheduler_->HasRoom(index_); }
int ScheduledStream::waiting() const { return scheduler_->waiting(index_); }
int ScheduledStream::running() const { return scheduler_->running(index_); }
void ScheduledStream::Close() { scheduler_->Close(index_); }

// ---------------------------------------------------------------------------
// FrameScheduler
// ---------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<FrameScheduler>> FrameScheduler::Create(
    FrameSchedulerOptions options) {
  if (options.max_running_frames < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "frame scheduler: max_running_frames must be >= 1 (got ", options.max_running_frames, ")"));
  }
  return std::unique_ptr<FrameScheduler>(new FrameScheduler(std::move(options)));
}

FrameScheduler::FrameScheduler(FrameSchedulerOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()) {}

FrameScheduler::~FrameScheduler() = default;

absl::StatusOr<std::unique_ptr<ScheduledStream>> FrameScheduler::Open(
    const StreamScheduleOptions& options, std::shared_ptr<FrameSink> sink) {
  if (sink == nullptr) return absl::InvalidArgumentError("frame scheduler: null sink");
  if (options.max_running < 1 || options.max_in_flight < 1) {
    return absl::InvalidArgumentError(
        "frame scheduler: max_running and max_in_flight must be >= 1");
  }
  if (options.max_frame_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("frame scheduler: max_frame_age must be > 0");
  }
  std::lock_guard<std::mutex> lock(mu_);
  int index;
  if (!free_entries_.empty()) {
    index = free_entries_.back();
    free_entries_.pop_back();
  } else {
    index = static_cast<int>(entries_.size());
    entries_.emplace_back();
  }
  Entry& entry = entries_[static_cast<size_t>(index)];
  entry = Entry();
  entry.open = true;
  entry.options = options;
  entry.sink = std::move(sink);
  return std::unique_ptr<ScheduledStream>(new ScheduledStream(this, index));
}

void FrameScheduler::Dispatch(std::vector<Action>* actions) {
  for (Action& action : *actions) {
    if (action.start) {
      action.sink->StartFrame(action.frame_id);
    } else {
      action.sink->DropFrame(action.frame_id, action.reason);
    }
  }
  actions->clear();
}

void FrameScheduler::DropExpiredLocked(absl::Time now, std::vector<Action>* actions) {
  for (Entry& entry : entries_) {
    if (!entry.open || entry.options.drop_policy == v1::DROP_POLICY_BACKPRESSURE) continue;
    // Frames wait in arrival order: the oldest are at the front.
    const absl::Duration limit = StartAgeLimit(entry.options.max_frame_age, entry.expected_run);
    while (!entry.waiting.empty() && now - entry.waiting.front().arrived > limit) {
      actions->push_back({entry.sink, entry.waiting.front().id, false, FrameDropReason::kTooOld});
      entry.waiting.pop_front();
    }
  }
}

void FrameScheduler::StartFramesLocked(absl::Time now, std::vector<Action>* actions) {
  DropExpiredLocked(now, actions);
  const int count = static_cast<int>(entries_.size());
  if (count == 0) return;
  // Round robin: one frame per eligible stream per pass, starting after the
  // stream served first last time, until the budget is spent or nobody
  // waits.
  while (running_ < options_.max_running_frames) {
    bool started = false;
    for (int step = 0; step < count && running_ < options_.max_running_frames; ++step) {
      const int index = (next_ + step) % count;
      Entry& entry = entries_[static_cast<size_t>(index)];
      if (!entry.open || entry.waiting.empty() || entry.running() >= entry.options.max_running) {
        continue;
      }
      actions->push_back({entry.sink, entry.waiting.front().id, true, FrameDropReason::kPolicy});
      entry.started.push_back({entry.waiting.front().id, now});
      entry.waiting.pop_front();
      ++running_;
      started = true;
      next_ = (index + 1) % count;
    }
    if (!started) break;
  }
}

void FrameScheduler::Enqueue(int index, int64_t frame_id) {
  std::vector<Action> actions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& entry = entries_[static_cast<size_t>(index)];
    if (!entry.open) {
      actions.push_back({entry.sink, frame_id, false, FrameDropReason::kClosed});
    } else {
      const absl::Time now = clock_->Now();
      const int held = static_cast<int>(entry.waiting.size()) + entry.running();
      bool queue = true;
      if (held >= entry.options.max_in_flight) {
        switch (entry.options.drop_policy) {
          case v1::DROP_POLICY_DROP_NEWEST:
            actions.push_back({entry.sink, frame_id, false, FrameDropReason::kPolicy});
            queue = false;
            break;
          case v1::DROP_POLICY_BACKPRESSURE:
            // The reactor reads only while HasRoom(); a frame past the bound
            // (a client ignoring flow control cannot cause one) still waits.
            break;
          default:  // DROP_OLDEST
            if (!entry.waiting.empty()) {
              actions.push_back(
                  {entry.sink, entry.waiting.front().id, false, FrameDropReason::kPolicy});
              entry.waiting.pop_front();
            } else {
              // Every held frame is running: nothing older can make room.
              actions.push_back({entry.sink, frame_id, false, FrameDropReason::kPolicy});
              queue = false;
            }
        }
      }
      if (queue) entry.waiting.push_back({frame_id, now});
      StartFramesLocked(now, &actions);
    }
  }
  Dispatch(&actions);
}

void FrameScheduler::FrameDone(int index, int64_t frame_id) {
  std::vector<Action> actions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const absl::Time now = clock_->Now();
    Entry& entry = entries_[static_cast<size_t>(index)];
    const auto started = std::find_if(entry.started.begin(), entry.started.end(),
                                      [frame_id](const Started& s) { return s.id == frame_id; });
    if (started != entry.started.end()) {
      const absl::Duration run = std::max(now - started->at, absl::ZeroDuration());
      entry.expected_run =
          entry.expected_run <= absl::ZeroDuration()
              ? run
              : kRunAverageWeight * run + (1 - kRunAverageWeight) * entry.expected_run;
      entry.started.erase(started);
      --running_;
    }
    StartFramesLocked(now, &actions);
  }
  Dispatch(&actions);
}

absl::Duration FrameScheduler::start_age_limit(int index) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Entry& entry = entries_[static_cast<size_t>(index)];
  if (entry.options.drop_policy == v1::DROP_POLICY_BACKPRESSURE) return absl::InfiniteDuration();
  return StartAgeLimit(entry.options.max_frame_age, entry.expected_run);
}

absl::Duration FrameScheduler::expected_run(int index) const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_[static_cast<size_t>(index)].expected_run;
}

void FrameScheduler::DropExpired() {
  std::vector<Action> actions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    StartFramesLocked(clock_->Now(), &actions);
  }
  Dispatch(&actions);
}

bool FrameScheduler::HasRoom(int index) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Entry& entry = entries_[static_cast<size_t>(index)];
  if (entry.options.drop_policy != v1::DROP_POLICY_BACKPRESSURE) return true;
  return static_cast<int>(entry.waiting.size()) + entry.running() < entry.options.max_in_flight;
}

int FrameScheduler::waiting(int index) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(entries_[static_cast<size_t>(index)].waiting.size());
}

int FrameScheduler::running(int index) const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_[static_cast<size_t>(index)].running();
}

void FrameScheduler::Close(int index) {
  std::vector<Action> actions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& entry = entries_[static_cast<size_t>(index)];
    if (!entry.open) return;
    entry.open = false;
    for (const Waiting& frame : entry.waiting) {
      actions.push_back({entry.sink, frame.id, false, FrameDropReason::kClosed});
    }
    entry.waiting.clear();
  }
  Dispatch(&actions);
}

void FrameScheduler::Release(int index) {
  std::vector<Action> actions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& entry = entries_[static_cast<size_t>(index)];
    // Slots of starts that were decided but never reached a live stream
    // (it had ended) come back here.
    running_ -= entry.running();
    entry = Entry();
    free_entries_.push_back(index);
    StartFramesLocked(clock_->Now(), &actions);
  }
  Dispatch(&actions);
}

int FrameScheduler::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_;
}

int FrameScheduler::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  int total = 0;
  for (const Entry& entry : entries_) total += static_cast<int>(entry.waiting.size());
  return total;
}

int FrameScheduler::streams() const {
  std::lock_guard<std::mutex> lock(mu_);
  int open = 0;
  for (const Entry& entry : entries_) open += entry.open ? 1 : 0;
  return open;
}

}  // namespace affect::stream

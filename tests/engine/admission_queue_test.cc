#include "server/engine/admission_queue.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/clock.h"
#include "server/common/retry_pushback.h"
#include "tests/engine/engine_test_util.h"
#include "tests/testing/status_matchers.h"

namespace affect {
namespace {

using ::affect::testing::Event;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;
using Outcome = AdmissionObserver::Outcome;

class CountingAdmissionObserver : public AdmissionObserver {
 public:
  void OnAdmission(const std::string&, Outcome outcome) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[outcome];
  }
  void OnQueueSize(const std::string&, int items, int64_t bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    last_items_ = items;
    last_bytes_ = bytes;
  }
  void OnQueueWait(const std::string&, absl::Duration) override {}
  int count(Outcome outcome) {
    std::lock_guard<std::mutex> lock(mu_);
    return counts_[outcome];
  }
  int last_items() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_items_;
  }
  int64_t last_bytes() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_bytes_;
  }

 private:
  std::mutex mu_;
  std::map<Outcome, int> counts_;
  int last_items_ = -1;
  int64_t last_bytes_ = -1;
};

// Records what each task's `run` was called with.
class RunLog {
 public:
  absl::AnyInvocable<void(absl::Status) &&> Record(int id) {
    return [this, id](absl::Status status) {
      std::lock_guard<std::mutex> lock(mu_);
      runs_[id] = status;
      cv_.notify_all();
    };
  }
  // Waits (real time, bounded) until `id` has run; returns its status.
  absl::Status WaitFor(int id) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoNanoseconds(testing::kHangTimeout),
                 [&] { return runs_.count(id) > 0; });
    if (runs_.count(id) == 0) return absl::InternalError("task never ran");
    return runs_[id];
  }
  int size() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(runs_.size());
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, absl::Status> runs_;
};

struct QueueUnderTest {
  FakeClock clock;
  CountingAdmissionObserver observer;
  std::unique_ptr<AdmissionQueue> queue;
};

std::unique_ptr<QueueUnderTest> MakeQueue(int max_items, int64_t max_bytes,
                                          absl::Duration time_per_unit = absl::Nanoseconds(1)) {
  auto fixture = std::make_unique<QueueUnderTest>();
  AdmissionQueueOptions options;
  options.name = "decode";
  options.num_threads = 1;
  options.max_items = max_items;
  options.max_bytes = max_bytes;
  options.initial_time_per_unit = time_per_unit;
  options.clock = &fixture->clock;
  options.observer = &fixture->observer;
  auto queue = AdmissionQueue::Create(options);
  EXPECT_TRUE(queue.ok()) << queue.status();
  fixture->queue = *std::move(queue);
  return fixture;
}

std::unique_ptr<AdmissionTask> Task(absl::AnyInvocable<void(absl::Status) &&> run,
                                    int64_t bytes = 0, int64_t units = 0,
                                    absl::Time deadline = absl::InfiniteFuture()) {
  auto task = std::make_unique<AdmissionTask>();
  task->bytes = bytes;
  task->work_units = units;
  task->deadline = deadline;
  task->run = [run = std::move(run)](absl::Status status, AdmissionTicket) mutable {
    std::move(run)(status);
  };
  return task;
}

// A task that keeps its ticket in `*kept` (the request goes on elsewhere).
std::unique_ptr<AdmissionTask> KeepingTask(AdmissionTicket* kept, Event* started,
                                           int64_t units = 0) {
  auto task = std::make_unique<AdmissionTask>();
  task->work_units = units;
  task->run = [kept, started](absl::Status status, AdmissionTicket ticket) {
    EXPECT_TRUE(status.ok()) << status;
    *kept = std::move(ticket);
    started->Notify();
  };
  return task;
}

// A queue that bounds work in progress, for the ticket tests.
std::unique_ptr<AdmissionQueue> SlotQueue(int threads, int max_in_progress,
                                          FakeClock* clock = nullptr, double average_weight = 0.1) {
  AdmissionQueueOptions options;
  options.name = "decode";
  options.num_threads = threads;
  options.max_in_progress = max_in_progress;
  options.average_weight = average_weight;
  options.clock = clock;
  auto queue = AdmissionQueue::Create(options);
  EXPECT_TRUE(queue.ok()) << queue.status();
  return queue.ok() ? *std::move(queue) : nullptr;
}

// Submits a task of `weight` that keeps its ticket in `*ticket`; returns
// once it has started.
void StartHolding(AdmissionQueue& queue, AdmissionTicket* ticket, int weight = 1,
                  int64_t units = 0) {
  Event started;
  auto task = KeepingTask(ticket, &started, units);
  task->weight = weight;
  ASSERT_TRUE(queue.Submit(task).ok());
  ASSERT_TRUE(started.Wait());
}

// Occupies the queue's only thread until `release` is notified.
void BlockTheThread(AdmissionQueue& queue, Event& started, Event& release) {
  auto blocker = Task([&](absl::Status) {
    started.Notify();
    release.Wait();
  });
  ASSERT_TRUE(queue.Submit(blocker).ok()) << "the blocker is admitted";
  ASSERT_TRUE(started.Wait()) << "the blocker runs";
}

TEST(AdmissionQueueTest, RunsAdmittedTaskWithOk) {
  auto q = MakeQueue(4, 1000);
  RunLog log;
  auto task = Task(log.Record(1), 10, 100);
  ASSERT_TRUE(q->queue->Submit(task).ok());
  EXPECT_EQ(task, nullptr) << "ownership moves to the queue on success";
  EXPECT_TRUE(log.WaitFor(1).ok()) << "an admitted task runs with OK";
  EXPECT_EQ(q->observer.count(Outcome::kAdmitted), 1);
}

TEST(AdmissionQueueTest, RefusesWhenItemsAreAtTheLimitWithPushback) {
  auto q = MakeQueue(2, 1'000'000, absl::Milliseconds(1));
  Event started, release;
  BlockTheThread(*q->queue, started, release);
  RunLog log;
  for (int i = 0; i < 2; ++i) {
    auto task = Task(log.Record(i), 1, 50);
    ASSERT_TRUE(q->queue->Submit(task).ok()) << "task " << i << " fits";
  }
  auto refused = Task(log.Record(99), 1, 50);
  const absl::Status status = q->queue->Submit(refused);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("queue is full")));
  ASSERT_NE(refused, nullptr) << "the caller keeps a refused task";
  const std::optional<absl::Duration> pushback = RetryPushbackOf(status);
  ASSERT_TRUE(pushback.has_value()) << "a full queue says when to retry";
  EXPECT_EQ(*pushback, absl::Milliseconds(100)) << "two queued tasks of 50 units at 1 ms each";
  EXPECT_EQ(q->observer.count(Outcome::kRefusedFull), 1);
  release.Notify();
  EXPECT_TRUE(log.WaitFor(1).ok());
  q->queue->Shutdown();
  EXPECT_EQ(log.size(), 2) << "the refused task never ran";
}

TEST(AdmissionQueueTest, RefusesWhenBytesWouldPassTheLimit) {
  auto q = MakeQueue(100, 1000);
  Event started, release;
  BlockTheThread(*q->queue, started, release);
  RunLog log;
  auto first = Task(log.Record(1), 600);
  ASSERT_TRUE(q->queue->Submit(first).ok());
  EXPECT_EQ(q->queue->queued_bytes(), 600);
  EXPECT_EQ(q->observer.last_bytes(), 600) << "the observer sees queued bytes";
  auto second = Task(log.Record(2), 500);
  EXPECT_THAT(q->queue->Submit(second),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("1000 bytes")));
  auto small = Task(log.Record(3), 400);
  EXPECT_TRUE(q->queue->Submit(small).ok()) << "exactly at the byte limit is allowed";
  release.Notify();
  EXPECT_TRUE(log.WaitFor(3).ok());
  EXPECT_EQ(q->queue->queued_bytes(), 0) << "bytes are released when tasks start";
}

TEST(AdmissionQueueTest, RefusesATaskLargerThanTheWholeBudgetEvenWhenEmpty) {
  auto q = MakeQueue(100, 1000);
  RunLog log;
  auto huge = Task(log.Record(1), 1001);
  EXPECT_THAT(q->queue->Submit(huge), StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
}

TEST(AdmissionQueueTest, RefusesCancelledAndExpiredTasksAtOnce) {
  auto q = MakeQueue(4, 1000);
  RunLog log;
  auto cancelled = Task(log.Record(1));
  auto flag = std::make_shared<CancellationFlag>();
  flag->Cancel();
  cancelled->cancellation = flag;
  EXPECT_THAT(q->queue->Submit(cancelled), StatusIs(absl::StatusCode::kCancelled, ::testing::_));
  auto expired = Task(log.Record(2), 0, 0, q->clock.Now());
  EXPECT_THAT(q->queue->Submit(expired),
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  q->queue->Shutdown();
  EXPECT_EQ(log.size(), 0) << "refused tasks never run";
}

TEST(AdmissionQueueTest, RefusesWhenTheDeadlineIsNearerThanTheExpectedWait) {
  auto q = MakeQueue(10, 1'000'000, absl::Milliseconds(1));
  Event started, release;
  BlockTheThread(*q->queue, started, release);
  RunLog log;
  auto ahead = Task(log.Record(1), 0, 100);  // ~100 ms of work queued
  ASSERT_TRUE(q->queue->Submit(ahead).ok());
  EXPECT_EQ(q->queue->ExpectedWait(), absl::Milliseconds(100));
  auto short_deadline = Task(log.Record(2), 0, 10, q->clock.Now() + absl::Milliseconds(50));
  const absl::Status status = q->queue->Submit(short_deadline);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kDeadlineExceeded,
                               HasSubstr("110 ms of decode work is ahead")));
  EXPECT_TRUE(RetryPushbackOf(status).has_value());
  EXPECT_EQ(q->observer.count(Outcome::kRefusedDeadline), 1);
  auto long_deadline = Task(log.Record(3), 0, 10, q->clock.Now() + absl::Milliseconds(200));
  EXPECT_TRUE(q->queue->Submit(long_deadline).ok()) << "enough time left: admitted";
  release.Notify();
  EXPECT_TRUE(log.WaitFor(3).ok());
}

TEST(AdmissionQueueTest, RefusesATaskWhoseOwnCostExceedsItsDeadline) {
  // A 36-megapixel image with a 200 ms deadline on an idle queue: decoding
  // alone would outlast the deadline, so it is refused without decoding.
  auto q = MakeQueue(10, 1'000'000, absl::Nanoseconds(20));
  RunLog log;
  auto big = Task(log.Record(1), 100'000, 36'000'000, q->clock.Now() + absl::Milliseconds(200));
  EXPECT_THAT(q->queue->Submit(big), StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  auto small = Task(log.Record(2), 100'000, 2'000'000, q->clock.Now() + absl::Milliseconds(200));
  EXPECT_TRUE(q->queue->Submit(small).ok()) << "a 2-megapixel image fits in 200 ms";
  EXPECT_TRUE(log.WaitFor(2).ok());
}

TEST(AdmissionQueueTest, ExpiredWhileWaitingIsAnsweredWithoutRunning) {
  auto q = MakeQueue(10, 1000, absl::ZeroDuration());
  Event started, release;
  BlockTheThread(*q->queue, started, release);
  RunLog log;
  auto task = Task(log.Record(1), 0, 0, q->clock.Now() + absl::Milliseconds(200));
  ASSERT_TRUE(q->queue->Submit(task).ok());
  q->clock.Advance(absl::Milliseconds(300));
  release.Notify();
  EXPECT_THAT(log.WaitFor(1),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("was not started")));
  q->queue->Shutdown();
  EXPECT_EQ(q->observer.count(Outcome::kExpired), 1);
}

TEST(AdmissionQueueTest, CancelledWhileWaitingIsAnsweredWithoutRunning) {
  auto q = MakeQueue(10, 1000);
  Event started, release;
  BlockTheThread(*q->queue, started, release);
  RunLog log;
  auto flag = std::make_shared<CancellationFlag>();
  auto task = Task(log.Record(1));
  task->cancellation = flag;
  ASSERT_TRUE(q->queue->Submit(task).ok());
  flag->Cancel();
  release.Notify();
  EXPECT_THAT(log.WaitFor(1), StatusIs(absl::StatusCode::kCancelled, ::testing::_));
  q->queue->Shutdown();
  EXPECT_EQ(q->observer.count(Outcome::kCancelled), 1);
}

TEST(AdmissionQueueTest, LearnsTheRunTimePerUnit) {
  auto q = MakeQueue(10, 1000, absl::Nanoseconds(1));
  RunLog log;
  for (int i = 0; i < 50; ++i) {
    // Each task "takes" 10 ms of fake time for 1000 units: 10 us per unit.
    auto task = Task(
        [&, i](absl::Status status) {
          q->clock.Advance(absl::Milliseconds(10));
          log.Record(i)(status);
        },
        0, 1000);
    ASSERT_TRUE(q->queue->Submit(task).ok());
    ASSERT_TRUE(log.WaitFor(i).ok());
  }
  q->queue->Shutdown();
  const double per_unit_us = absl::ToDoubleMicroseconds(q->queue->TimePerUnit());
  EXPECT_NEAR(per_unit_us, 10.0, 0.1) << "the moving average converges on the measured cost";
}

TEST(AdmissionQueueTest, ShutdownRunsQueuedTasksThenRefuses) {
  auto q = MakeQueue(10, 1000);
  Event started, release;
  BlockTheThread(*q->queue, started, release);
  RunLog log;
  for (int i = 0; i < 3; ++i) {
    auto task = Task(log.Record(i));
    ASSERT_TRUE(q->queue->Submit(task).ok());
  }
  release.Notify();
  q->queue->Shutdown();
  EXPECT_EQ(log.size(), 3) << "every admitted task was answered before Shutdown returned";
  auto late = Task(log.Record(9));
  EXPECT_THAT(q->queue->Submit(late), StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  q->queue->Shutdown();  // idempotent
}

TEST(AdmissionQueueTest, RejectsBadOptionsAndTasks) {
  AdmissionQueueOptions options;
  options.name = "decode";
  options.max_items = 0;
  EXPECT_THAT(AdmissionQueue::Create(options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_items")));
  options.max_items = 1;
  options.average_weight = 0;
  EXPECT_THAT(AdmissionQueue::Create(options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("average_weight")));
  auto q = MakeQueue(1, 10);
  std::unique_ptr<AdmissionTask> null_task;
  EXPECT_THAT(q->queue->Submit(null_task),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  auto negative = Task([](absl::Status) {}, -1);
  EXPECT_THAT(q->queue->Submit(negative),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST(AdmissionQueueTest, ConcurrentSubmittersNeverExceedTheLimitsAndEveryAdmittedTaskRuns) {
  AdmissionQueueOptions options;
  options.name = "decode";
  options.num_threads = 2;
  options.max_items = 8;
  options.max_bytes = 1 << 20;
  auto queue = AdmissionQueue::Create(options);
  ASSERT_TRUE(queue.ok());
  std::atomic<int> admitted{0}, ran{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < 4; ++t) {
    submitters.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        auto task = Task([&](absl::Status status) {
          if (status.ok()) ++ran;
        });
        if ((*queue)->Submit(task).ok()) ++admitted;
        EXPECT_LE((*queue)->queued_items(), 8);
      }
    });
  }
  for (std::thread& thread : submitters) thread.join();
  (*queue)->Shutdown();
  EXPECT_EQ(ran.load(), admitted.load()) << "every admitted task ran once, no refused one did";
  EXPECT_GT(admitted.load(), 0);
}

TEST(AdmissionQueueTest, HeldTicketsKeepFurtherTasksWaitingInTheQueue) {
  FakeClock clock;
  auto queue = SlotQueue(2, 1, &clock);
  ASSERT_NE(queue, nullptr);
  AdmissionTicket first_ticket;
  StartHolding(*queue, &first_ticket);
  EXPECT_TRUE(first_ticket.held());
  EXPECT_EQ(queue->in_progress(), 1) << "the ticket outlives its run callback";

  RunLog log;
  auto second = Task(log.Record(2));
  ASSERT_TRUE(queue->Submit(second).ok());
  // A thread is free but the only slot is held: the task stays queued.
  EXPECT_EQ(queue->queued_items(), 1);
  EXPECT_EQ(log.size(), 0);

  first_ticket.Release();
  EXPECT_TRUE(log.WaitFor(2).ok()) << "a released slot starts the next task";
  EXPECT_FALSE(first_ticket.held());
  first_ticket.Release();  // idempotent
}

TEST(AdmissionQueueTest, MeasuresATaskUntilItsTicketIsReleasedAndDividesTheWaitAmongSlots) {
  FakeClock clock;
  // Weight 1: the last measurement is the estimate.
  auto queue = SlotQueue(1, 4, &clock, /*average_weight=*/1.0);
  ASSERT_NE(queue, nullptr);
  AdmissionTicket ticket;
  StartHolding(*queue, &ticket, 1, /*units=*/1000);
  // The request goes on elsewhere for 400 ms after its run returned.
  clock.Advance(absl::Milliseconds(400));
  ticket.Release();
  EXPECT_EQ(queue->in_progress(), 0);
  EXPECT_NEAR(absl::ToDoubleMicroseconds(queue->TimePerUnit()), 400.0, 1e-6);

  // Hold the slots so that queued work stays queued, then queue 2000 units:
  // 800 ms of work over 4 slots is a 200 ms wait.
  std::vector<AdmissionTicket> held(4);
  for (AdmissionTicket& slot : held) StartHolding(*queue, &slot);
  RunLog log;
  auto queued = Task(log.Record(1), 0, 2000);
  ASSERT_TRUE(queue->Submit(queued).ok());
  EXPECT_NEAR(absl::ToDoubleMilliseconds(queue->ExpectedWait()), 200.0, 1e-6);
  // A deadline shorter than the wait plus the task's own cost is refused.
  auto hurried = Task(log.Record(2), 0, 1000, clock.Now() + absl::Milliseconds(500));
  EXPECT_THAT(queue->Submit(hurried),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("ms of decode work")));
  held.clear();  // releases every slot
  EXPECT_TRUE(log.WaitFor(1).ok());
}

TEST(AdmissionQueueTest, HeavierTasksHoldMoreOfTheLimitAndATooHeavyOneRunsAlone) {
  auto queue = SlotQueue(2, 2);
  ASSERT_NE(queue, nullptr);
  AdmissionTicket heavy_ticket;
  StartHolding(*queue, &heavy_ticket, /*weight=*/2);
  EXPECT_EQ(queue->in_progress(), 2);
  RunLog log;
  auto light = Task(log.Record(1));
  ASSERT_TRUE(queue->Submit(light).ok());
  EXPECT_EQ(queue->queued_items(), 1) << "a weight-2 task fills a limit of 2";
  heavy_ticket.Release();
  EXPECT_TRUE(log.WaitFor(1).ok());

  // Heavier than the whole limit: it still runs once nothing else does.
  AdmissionTicket huge_ticket;
  StartHolding(*queue, &huge_ticket, /*weight=*/5);
  EXPECT_EQ(queue->in_progress(), 5);
  huge_ticket.Release();
  EXPECT_EQ(queue->in_progress(), 0);
  auto weightless = Task([](absl::Status) {});
  weightless->weight = 0;
  EXPECT_THAT(queue->Submit(weightless),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("weight")));
}

TEST(AdmissionQueueTest, ATaskThatCannotStartByItsTimeIsALateStartNeverRun) {
  auto q = MakeQueue(10, 1000, absl::Milliseconds(1));
  Event started, release;
  BlockTheThread(*q->queue, started, release);
  RunLog log;
  // 100 units of 1 ms queued ahead: a task that must start within 50 ms
  // is refused at once, one with 500 ms is admitted.
  auto ahead = Task(log.Record(1), 0, 100);
  ASSERT_TRUE(q->queue->Submit(ahead).ok());
  auto hurried = Task(log.Record(2));
  hurried->start_by = q->clock.Now() + absl::Milliseconds(50);
  const absl::Status refused = q->queue->Submit(hurried);
  EXPECT_TRUE(IsLateStart(refused)) << refused;
  auto patient = Task(log.Record(3));
  patient->start_by = q->clock.Now() + absl::Milliseconds(500);
  ASSERT_TRUE(q->queue->Submit(patient).ok());
  // It then waits past its time: answered as a late start, not run.
  q->clock.Advance(absl::Seconds(1));
  release.Notify();
  const absl::Status late = log.WaitFor(3);
  EXPECT_TRUE(IsLateStart(late)) << late;
  EXPECT_TRUE(log.WaitFor(1).ok()) << "a task without start_by still runs";
  // An ordinary expiry is not a late start.
  EXPECT_FALSE(IsLateStart(absl::DeadlineExceededError("deadline")));
}

TEST(AdmissionQueueTest, ShutdownDrainsQueuedTasksEvenWhileSlotsAreHeld) {
  auto queue = SlotQueue(1, 1);
  ASSERT_NE(queue, nullptr);
  AdmissionTicket ticket;
  StartHolding(*queue, &ticket);
  RunLog log;
  auto waiting = Task(log.Record(1));
  ASSERT_TRUE(queue->Submit(waiting).ok());
  // Draining must not wait for work elsewhere to give its slot back.
  queue->Shutdown();
  EXPECT_TRUE(log.WaitFor(1).ok());
  // A ticket may outlive its queue.
  queue.reset();
  ticket.Release();
  EXPECT_FALSE(ticket.held());
}

}  // namespace
}  // namespace affect

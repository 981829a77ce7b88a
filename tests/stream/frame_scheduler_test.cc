#include "server/stream/frame_scheduler.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/clock.h"

namespace affect::stream {
namespace {

using ::testing::ElementsAre;

// Records every decision, in order, across all streams (each event names its
// stream), so tests can check fairness and order.
struct Log {
  std::mutex mu;
  std::vector<std::string> events;  // "A1 start", "B2 drop:too_old"
  void Add(std::string event) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(std::move(event));
  }
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu);
    return std::exchange(events, {});
  }
};

class RecordingSink : public FrameSink {
 public:
  RecordingSink(std::string name, Log* log) : name_(std::move(name)), log_(log) {}
  void StartFrame(int64_t frame_id) override {
    log_->Add(name_ + std::to_string(frame_id) + " start");
  }
  void DropFrame(int64_t frame_id, FrameDropReason reason) override {
    log_->Add(name_ + std::to_string(frame_id) + " drop:" + FrameDropReasonName(reason));
  }

 private:
  const std::string name_;
  Log* const log_;
};

class FrameSchedulerTest : public ::testing::Test {
 protected:
  void MakeScheduler(int budget) {
    FrameSchedulerOptions options;
    options.max_running_frames = budget;
    options.clock = &clock_;
    auto scheduler = FrameScheduler::Create(options);
    ASSERT_TRUE(scheduler.ok()) << scheduler.status();
    scheduler_ = *std::move(scheduler);
  }
  std::unique_ptr<ScheduledStream> Open(const std::string& name, StreamScheduleOptions options) {
    auto stream = scheduler_->Open(options, std::make_shared<RecordingSink>(name, &log_));
    EXPECT_TRUE(stream.ok()) << stream.status();
    return stream.ok() ? *std::move(stream) : nullptr;
  }
  static StreamScheduleOptions Live(int max_running = 2, int max_in_flight = 4,
                                    v1::DropPolicy policy = v1::DROP_POLICY_DROP_OLDEST) {
    StreamScheduleOptions options;
    options.max_running = max_running;
    options.max_in_flight = max_in_flight;
    options.drop_policy = policy;
    options.max_frame_age = absl::Seconds(1);
    return options;
  }

  FakeClock clock_;
  Log log_;
  std::unique_ptr<FrameScheduler> scheduler_;
};

TEST_F(FrameSchedulerTest, StartsFramesAtOnceWhileTheBudgetAllows) {
  MakeScheduler(4);
  auto a = Open("A", Live());
  a->Enqueue(1);
  a->Enqueue(2);
  a->Enqueue(3);
  EXPECT_THAT(log_.Take(), ElementsAre("A1 start", "A2 start"))
      << "a stream runs at most max_running (2) frames; the third waits";
  EXPECT_EQ(a->waiting(), 1);
  EXPECT_EQ(scheduler_->running(), 2);
  a->FrameDone(1);
  EXPECT_THAT(log_.Take(), ElementsAre("A3 start")) << "a finished frame makes room, in order";
}

TEST_F(FrameSchedulerTest, SharesTheBudgetFairlyAcrossStreams) {
  MakeScheduler(2);
  auto a = Open("A", Live(2, 8));
  auto b = Open("B", Live(2, 8));
  for (int i = 1; i <= 5; ++i) a->Enqueue(i);  // a fast sender fills the budget
  b->Enqueue(1);
  EXPECT_THAT(log_.Take(), ElementsAre("A1 start", "A2 start"));
  a->FrameDone(1);
  EXPECT_THAT(log_.Take(), ElementsAre("B1 start"))
      << "the slow stream's frame goes before the fast stream's third";
  a->FrameDone(2);
  b->FrameDone(1);
  EXPECT_THAT(log_.Take(), ElementsAre("A3 start", "A4 start"));
}

TEST_F(FrameSchedulerTest, ServesStreamsInTurnWhenAllAreBacklogged) {
  MakeScheduler(1);
  auto a = Open("A", Live(1, 8));
  auto b = Open("B", Live(1, 8));
  auto c = Open("C", Live(1, 8));
  for (int i = 1; i <= 3; ++i) {
    a->Enqueue(i);
    b->Enqueue(i);
    c->Enqueue(i);
  }
  std::vector<std::string> starts = log_.Take();
  // Round robin: each finished frame hands the slot to the next stream.
  std::map<char, ScheduledStream*> by_name = {{'A', a.get()}, {'B', b.get()}, {'C', c.get()}};
  for (int i = 0; i < 8; ++i) {
    const std::string last = starts.back();
    by_name[last[0]]->FrameDone(last[1] - '0');
    for (std::string& event : log_.Take()) starts.push_back(event);
  }
  EXPECT_THAT(starts, ElementsAre("A1 start", "B1 start", "C1 start", "A2 start", "B2 start",
                                  "C2 start", "A3 start", "B3 start", "C3 start"));
}

TEST_F(FrameSchedulerTest, DropOldestDropsTheOldestWaitingFrame) {
  MakeScheduler(1);
  auto a = Open("A", Live(1, 3, v1::DROP_POLICY_DROP_OLDEST));
  a->Enqueue(1);  // runs
  a->Enqueue(2);
  a->Enqueue(3);  // held: 3 = max_in_flight
  a->Enqueue(4);
  EXPECT_THAT(log_.Take(), ElementsAre("A1 start", "A2 drop:policy"));
  a->FrameDone(1);
  EXPECT_THAT(log_.Take(), ElementsAre("A3 start")) << "the survivors keep their order";
}

TEST_F(FrameSchedulerTest, DropNewestDropsTheArrivingFrame) {
  MakeScheduler(1);
  auto a = Open("A", Live(1, 2, v1::DROP_POLICY_DROP_NEWEST));
  a->Enqueue(1);
  a->Enqueue(2);
  a->Enqueue(3);
  EXPECT_THAT(log_.Take(), ElementsAre("A1 start", "A3 drop:policy"));
}

TEST_F(FrameSchedulerTest, BackpressureReportsNoRoomAndNeverDropsForAge) {
  MakeScheduler(1);
  auto a = Open("A", Live(1, 2, v1::DROP_POLICY_BACKPRESSURE));
  EXPECT_TRUE(a->HasRoom());
  a->Enqueue(1);
  a->Enqueue(2);
  EXPECT_FALSE(a->HasRoom()) << "the reactor stops reading at max_in_flight";
  clock_.Advance(absl::Seconds(60));
  scheduler_->DropExpired();
  EXPECT_THAT(log_.Take(), ElementsAre("A1 start")) << "offline streams never drop for age";
  a->FrameDone(1);
  EXPECT_THAT(log_.Take(), ElementsAre("A2 start"));
  EXPECT_TRUE(a->HasRoom());
}

TEST_F(FrameSchedulerTest, DropsFramesThatCannotStartWithinTheirMaximumAge) {
  MakeScheduler(1);
  auto a = Open("A", Live(1, 8));
  a->Enqueue(1);  // runs; no frame has finished, so the whole 1 s age is the limit
  a->Enqueue(2);
  clock_.Advance(absl::Milliseconds(600));
  a->Enqueue(3);
  clock_.Advance(absl::Milliseconds(600));  // frame 2 is 1.2 s old, frame 3 0.6 s
  scheduler_->DropExpired();
  EXPECT_THAT(log_.Take(), ElementsAre("A1 start", "A2 drop:too_old"));
  EXPECT_EQ(a->start_age_limit(), absl::Seconds(1)) << "no run time known yet";
  a->FrameDone(1);  // ran 1.2 s: the limit falls to its floor, half the age
  EXPECT_EQ(a->expected_run(), absl::Milliseconds(1200));
  EXPECT_EQ(a->start_age_limit(), absl::Milliseconds(500));
  EXPECT_THAT(log_.Take(), ElementsAre("A3 drop:too_old"))
      << "0.6 s old + 1.2 s expected run cannot be answered within 1 s";
}

TEST_F(FrameSchedulerTest, LeavesRoomForTheExpectedRunWithinTheMaximumAge) {
  MakeScheduler(1);
  auto a = Open("A", Live(1, 8));
  a->Enqueue(1);
  clock_.Advance(absl::Milliseconds(200));
  a->FrameDone(1);  // a frame runs 200 ms
  EXPECT_EQ(a->start_age_limit(), absl::Milliseconds(800));
  a->Enqueue(2);  // runs at once
  a->Enqueue(3);
  a->Enqueue(4);
  clock_.Advance(absl::Milliseconds(700));
  a->Enqueue(5);
  clock_.Advance(absl::Milliseconds(150));  // 3 and 4 are 850 ms old, 5 is 150 ms
  a->FrameDone(2);                          // ran 850 ms: average 0.9 x 200 + 0.1 x 850 = 265 ms
  EXPECT_NEAR(absl::ToDoubleMilliseconds(a->expected_run()), 265.0, 1e-3);
  EXPECT_NEAR(absl::ToDoubleMilliseconds(a->start_age_limit()), 735.0, 1e-3);
  EXPECT_THAT(log_.Take(),
              ElementsAre("A1 start", "A2 start", "A3 drop:too_old", "A4 drop:too_old", "A5 start"))
      << "frames that would be answered after 1 s are dropped; a fresh one starts";
}

TEST(StartAgeLimitTest, IsTheAgeLessTheRunAtLeastHalfTheAge) {
  EXPECT_EQ(StartAgeLimit(absl::Seconds(1), absl::ZeroDuration()), absl::Seconds(1));
  EXPECT_EQ(StartAgeLimit(absl::Seconds(1), absl::Milliseconds(200)), absl::Milliseconds(800));
  EXPECT_EQ(StartAgeLimit(absl::Seconds(1), absl::Milliseconds(700)), absl::Milliseconds(500));
  EXPECT_EQ(StartAgeLimit(absl::Milliseconds(1), absl::Seconds(60)), absl::Microseconds(500));
  EXPECT_EQ(StartAgeLimit(absl::Seconds(1), absl::InfiniteDuration()), absl::Milliseconds(500));
}

TEST_F(FrameSchedulerTest, BackpressureStreamsHaveNoStartAgeLimit) {
  MakeScheduler(1);
  auto a = Open("A", Live(1, 4, v1::DROP_POLICY_BACKPRESSURE));
  EXPECT_EQ(a->start_age_limit(), absl::InfiniteDuration());
}

TEST_F(FrameSchedulerTest, AgeIsCheckedWhenASlotFreesWithoutATimer) {
  MakeScheduler(1);
  auto a = Open("A", Live(1, 8));
  a->Enqueue(1);
  a->Enqueue(2);
  clock_.Advance(absl::Seconds(2));
  a->FrameDone(1);
  EXPECT_THAT(log_.Take(), ElementsAre("A1 start", "A2 drop:too_old"))
      << "a stale frame is never started, even if nothing swept it before";
}

TEST_F(FrameSchedulerTest, CloseDropsWaitingFramesAndRunningOnesStillFreeTheirSlots) {
  MakeScheduler(1);
  auto a = Open("A", Live(1, 8));
  auto b = Open("B", Live(1, 8));
  a->Enqueue(1);
  a->Enqueue(2);
  b->Enqueue(1);
  a->Close();
  EXPECT_THAT(log_.Take(), ElementsAre("A1 start", "A2 drop:closed"));
  a->Enqueue(3);
  EXPECT_THAT(log_.Take(), ElementsAre("A3 drop:closed")) << "a closed stream takes no frame";
  a->FrameDone(1);
  EXPECT_THAT(log_.Take(), ElementsAre("B1 start"));
}

TEST_F(FrameSchedulerTest, ReleasingAHandleReturnsSlotsOfStartsThatNeverArrived) {
  MakeScheduler(1);
  auto a = Open("A", Live(1, 8));
  auto b = Open("B", Live(1, 8));
  a->Enqueue(1);
  b->Enqueue(1);
  log_.Take();
  a->Close();
  a.reset();  // A ended without reporting its frame (its session was gone)
  EXPECT_THAT(log_.Take(), ElementsAre("B1 start"));
  EXPECT_EQ(scheduler_->running(), 1);
  EXPECT_EQ(scheduler_->streams(), 1);
}

TEST_F(FrameSchedulerTest, RejectsBadOptions) {
  EXPECT_FALSE(FrameScheduler::Create({0, nullptr}).ok());
  MakeScheduler(1);
  StreamScheduleOptions bad = Live();
  bad.max_frame_age = absl::ZeroDuration();
  EXPECT_FALSE(scheduler_->Open(bad, std::make_shared<RecordingSink>("X", &log_)).ok());
  EXPECT_FALSE(scheduler_->Open(Live(), nullptr).ok());
}

// A sink that finishes every started frame on another thread, as the server
// does, and checks the budget is never exceeded.
class CompletingSink : public FrameSink {
 public:
  CompletingSink(FrameScheduler* scheduler, std::atomic<int>* decided)
      : scheduler_(scheduler), decided_(decided) {}
  void set_stream(ScheduledStream* stream) { stream_ = stream; }
  void StartFrame(int64_t frame_id) override {
    EXPECT_LE(scheduler_->running(), scheduler_->options().max_running_frames);
    ++*decided_;
    std::lock_guard<std::mutex> lock(mu_);
    started_.push_back(frame_id);
  }
  void DropFrame(int64_t, FrameDropReason) override { ++*decided_; }
  // Finishes the started frames (on the caller's thread).
  void FinishStarted() {
    std::vector<int64_t> started;
    {
      std::lock_guard<std::mutex> lock(mu_);
      started.swap(started_);
    }
    for (int64_t id : started) stream_->FrameDone(id);
  }

 private:
  FrameScheduler* const scheduler_;
  std::atomic<int>* const decided_;
  ScheduledStream* stream_ = nullptr;
  std::mutex mu_;
  std::vector<int64_t> started_;
};

TEST(FrameSchedulerConcurrencyTest, EveryFrameIsStartedOrDroppedExactlyOnce) {
  auto scheduler = FrameScheduler::Create({3, nullptr});
  ASSERT_TRUE(scheduler.ok());
  constexpr int kStreams = 6;
  constexpr int kFrames = 300;
  std::atomic<int> decided{0};
  std::vector<std::shared_ptr<CompletingSink>> sinks;
  std::vector<std::unique_ptr<ScheduledStream>> streams;
  for (int s = 0; s < kStreams; ++s) {
    sinks.push_back(std::make_shared<CompletingSink>(scheduler->get(), &decided));
    StreamScheduleOptions options;
    options.max_in_flight = 3;
    options.max_frame_age = absl::Seconds(30);
    auto stream = (*scheduler)->Open(options, sinks.back());
    ASSERT_TRUE(stream.ok());
    sinks.back()->set_stream(stream->get());
    streams.push_back(*std::move(stream));
  }
  std::vector<std::thread> threads;
  for (int s = 0; s < kStreams; ++s) {
    threads.emplace_back([&, s] {
      for (int i = 0; i < kFrames; ++i) {
        streams[s]->Enqueue(i);
        sinks[s]->FinishStarted();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  // Drain: finish whatever is still running until nothing waits.
  for (int round = 0; round < 100 && (*scheduler)->running() + (*scheduler)->waiting() > 0;
       ++round) {
    for (auto& sink : sinks) sink->FinishStarted();
  }
  EXPECT_EQ(decided.load(), kStreams * kFrames) << "each frame was decided exactly once";
  EXPECT_EQ((*scheduler)->running(), 0);
  streams.clear();
}

}  // namespace
}  // namespace affect::stream

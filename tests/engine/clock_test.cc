// server/common/clock.h, tested here beside its main user (the batcher).
#include "server/common/clock.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace affect {
namespace {

TEST(FakeClockTest, MovesOnlyWhenAdvanced) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  EXPECT_EQ(clock.Now(), start) << "a fake clock stands still";
  clock.Advance(absl::Milliseconds(250));
  EXPECT_EQ(clock.Now(), start + absl::Milliseconds(250)) << "advanced by exactly 250 ms";
  clock.Advance(absl::Milliseconds(-5));
  EXPECT_EQ(clock.Now(), start + absl::Milliseconds(250)) << "never goes back";
}

TEST(FakeClockTest, WakesAWaiterOnlyWhenItsDeadlineIsReached) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> done{false};
  bool timed_out = false;
  std::thread waiter([&] {
    std::unique_lock<std::mutex> lock(mu);
    timed_out = clock.WaitUntil(&cv, &lock, clock.Now() + absl::Milliseconds(10));
    done = true;
  });
  ASSERT_TRUE(clock.AwaitTimedWaiters(1)) << "the thread waits on the fake clock";
  clock.Advance(absl::Milliseconds(9));
  ASSERT_TRUE(clock.AwaitTimedWaiters(1)) << "not due yet: still waiting";
  EXPECT_FALSE(done) << "9 of 10 ms: not woken";
  clock.Advance(absl::Milliseconds(1));
  waiter.join();
  EXPECT_TRUE(timed_out) << "woken because the deadline passed";
}

TEST(FakeClockTest, ASignalWakesTheWaiterBeforeItsDeadline) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  bool timed_out = true;
  std::thread waiter([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (!ready) timed_out = clock.WaitUntil(&cv, &lock, clock.Now() + absl::Hours(1));
  });
  ASSERT_TRUE(clock.AwaitTimedWaiters(1)) << "waiting";
  {
    std::lock_guard<std::mutex> lock(mu);
    ready = true;
  }
  cv.notify_one();
  waiter.join();
  EXPECT_FALSE(timed_out) << "a signal is not a timeout";
}

TEST(FakeClockTest, ManyWaitersAndConcurrentAdvancesAllFinish) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  constexpr int kWaiters = 4;
  constexpr int kWaits = 200;
  std::atomic<int> finished{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&] {
      for (int n = 0; n < kWaits; ++n) {
        std::unique_lock<std::mutex> lock(mu);
        const absl::Time deadline = clock.Now() + absl::Milliseconds(1);
        while (!clock.WaitUntil(&cv, &lock, deadline)) {
        }
      }
      ++finished;
    });
  }
  // Advance concurrently with the waits (the interleavings that TSan checks)
  // until every waiter has passed all its deadlines.
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (finished < kWaiters && absl::Now() < give_up) {
    clock.Advance(absl::Milliseconds(1));
    absl::SleepFor(absl::Microseconds(50));
  }
  EXPECT_EQ(finished, kWaiters) << "every waiter woke at each of its deadlines";
  for (std::thread& waiter : waiters) waiter.join();
}

TEST(RealClockTest, WaitTimesOutAtTheDeadline) {
  Clock* clock = Clock::Real();
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  const absl::Time deadline = clock->Now() + absl::Milliseconds(10);
  bool timed_out = false;
  while (!timed_out) timed_out = clock->WaitUntil(&cv, &lock, deadline);
  EXPECT_GE(clock->Now(), deadline) << "returned at or after the deadline";
}

}  // namespace
}  // namespace affect

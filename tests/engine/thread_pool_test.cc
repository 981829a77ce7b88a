#include "server/engine/thread_pool.h"

#include <atomic>
#include <memory>

#include "gtest/gtest.h"
#include "tests/engine/engine_test_util.h"

namespace affect {
namespace {

using ::affect::testing::Event;

TEST(ThreadPoolTest, RunsEveryTaskExactlyOnce) {
  std::atomic<int> runs{0};
  {
    ThreadPool pool("test", 3);
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(pool.Schedule([&runs] { ++runs; })) << "task " << i << " accepted";
    }
  }  // the destructor runs what is queued, then joins
  EXPECT_EQ(runs, 1000) << "every accepted task ran exactly once";
}

TEST(ThreadPoolTest, RunsTasksConcurrently) {
  ThreadPool pool("test", 2);
  Event first_started, second_started, release;
  ASSERT_TRUE(pool.Schedule([&] {
    first_started.Notify();
    release.Wait();
  }));
  ASSERT_TRUE(pool.Schedule([&] {
    second_started.Notify();
    release.Wait();
  }));
  EXPECT_TRUE(first_started.Wait()) << "the first task runs";
  EXPECT_TRUE(second_started.Wait()) << "the second task runs while the first is blocked";
  release.Notify();
}

TEST(ThreadPoolTest, ShutdownRunsQueuedTasksThenRefusesNewOnes) {
  ThreadPool pool("test", 1);
  Event started, release;
  std::atomic<int> runs{0};
  ASSERT_TRUE(pool.Schedule([&] {
    started.Notify();
    release.Wait();
  }));
  ASSERT_TRUE(started.Wait()) << "the blocker runs";
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.Schedule([&runs] { ++runs; }));
  EXPECT_EQ(pool.pending(), 5) << "five tasks wait behind the blocked one";
  release.Notify();
  pool.Shutdown();
  EXPECT_EQ(runs, 5) << "Shutdown runs what was queued before joining";
  EXPECT_FALSE(pool.Schedule([&runs] { ++runs; })) << "refused after Shutdown";
  EXPECT_EQ(runs, 5) << "a refused task never runs";
  pool.Shutdown();  // idempotent
}

TEST(ThreadPoolTest, TasksMayScheduleMoreTasks) {
  std::atomic<int> runs{0};
  {
    ThreadPool pool("test", 2);
    Event done;
    ASSERT_TRUE(pool.Schedule([&] {
      ++runs;
      EXPECT_TRUE(pool.Schedule([&] {
        ++runs;
        done.Notify();
      })) << "scheduling from a task";
    }));
    EXPECT_TRUE(done.Wait()) << "the follow-up ran";
  }
  EXPECT_EQ(runs, 2) << "both tasks ran";
}

}  // namespace
}  // namespace affect

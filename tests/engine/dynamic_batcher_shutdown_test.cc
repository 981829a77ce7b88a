// DynamicBatcher shutdown: draining, failing what is left after the drain
// timeout, the destructor, idempotence, and shutdown racing with submits.
// Every accepted request must be answered exactly once and nothing may hang.
#include <atomic>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/clock.h"
#include "server/engine/dynamic_batcher.h"
#include "tests/engine/engine_test_util.h"
#include "tests/testing/status_matchers.h"

namespace affect {
namespace {

using ::affect::testing::Completion;
using ::affect::testing::FakeExecutor;
using ::affect::testing::IsOk;
using ::affect::testing::ItemDims;
using ::affect::testing::MakeBatcher;
using ::affect::testing::MakeRequest;
using ::affect::testing::StatusIs;
using ::affect::testing::ToyOptions;
using ::testing::AnyOf;
using ::testing::HasSubstr;

std::unique_ptr<Completion> SubmitOne(DynamicBatcher& batcher, float id) {
  auto completion = std::make_unique<Completion>();
  auto request = MakeRequest({id}, completion.get());
  EXPECT_THAT(batcher.Submit(request), IsOk()) << "submit " << id;
  return completion;
}

TEST(DynamicBatcherShutdownTest, SubmitAfterShutdownIsUnavailable) {
  auto batcher = MakeBatcher(ToyOptions(4), std::make_shared<FakeExecutor>());
  batcher->Shutdown(absl::Seconds(1));
  Completion completion;
  auto request = MakeRequest({1}, &completion);
  EXPECT_THAT(batcher->Submit(request),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("model 'toy' is shutting down")))
      << "no work accepted after Shutdown";
  EXPECT_NE(request, nullptr) << "the caller keeps a refused request";
  EXPECT_EQ(completion.calls(), 0) << "and its callback";
}

TEST(DynamicBatcherShutdownTest, ShutdownDrainsQueuedWorkWithoutWaitingForTheDelay) {
  auto executor = std::make_shared<FakeExecutor>();
  DynamicBatcherOptions options = ToyOptions(4);
  options.max_queue_delay = absl::Hours(1);  // real clock: only draining can close the tail
  auto batcher = MakeBatcher(options, executor);

  executor->CloseGate();
  std::vector<std::unique_ptr<Completion>> completions;
  for (int i = 0; i < 6; ++i) completions.push_back(SubmitOne(*batcher, static_cast<float>(i)));
  ASSERT_TRUE(executor->AwaitCalls(1)) << "a full batch is running";
  std::thread shutdown([&] { batcher->Shutdown(absl::Seconds(60)); });
  executor->OpenGate();
  shutdown.join();

  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(completions[i]->calls(), 1) << "answered before Shutdown returned, item " << i;
    EXPECT_THAT(completions[i]->status(), IsOk()) << "queued work is drained, item " << i;
  }
  EXPECT_EQ(executor->rows(), 6) << "the two queued items ran during the drain";
}

TEST(DynamicBatcherShutdownTest, ShutdownFailsWorkStillQueuedAfterTheDrainTimeout) {
  FakeClock clock;
  auto executor = std::make_shared<FakeExecutor>();
  auto batcher = MakeBatcher(ToyOptions(1, &clock), executor);

  executor->CloseGate();
  auto running = SubmitOne(*batcher, 1);
  ASSERT_TRUE(executor->AwaitCalls(1)) << "the first item is running";
  auto queued_a = SubmitOne(*batcher, 2);
  auto queued_b = SubmitOne(*batcher, 3);

  std::atomic<bool> returned{false};
  std::thread shutdown([&] {
    batcher->Shutdown(absl::Seconds(5));
    returned = true;
  });
  ASSERT_TRUE(clock.AwaitTimedWaiters(1)) << "Shutdown waits for the drain timeout";
  clock.Advance(absl::Seconds(5));
  ASSERT_TRUE(queued_a->Await() && queued_b->Await())
      << "queued work is failed at the drain timeout, while the batch still runs";
  EXPECT_THAT(queued_a->status(), StatusIs(absl::StatusCode::kUnavailable,
                                           HasSubstr("shut down before the request ran")))
      << "left in the queue";
  EXPECT_THAT(queued_b->status(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shut down")))
      << "left in the queue";
  EXPECT_FALSE(returned) << "Shutdown waits for the running batch";

  executor->OpenGate();
  shutdown.join();
  ASSERT_EQ(running->calls(), 1) << "the running batch was answered before Shutdown returned";
  EXPECT_THAT(running->status(), IsOk()) << "a running batch is never abandoned";
  EXPECT_EQ(executor->rows(), 1) << "the failed items never ran";
}

TEST(DynamicBatcherShutdownTest, DestructorFailsQueuedWorkAndWaitsForRunningBatches) {
  auto executor = std::make_shared<FakeExecutor>();
  auto batcher = MakeBatcher(ToyOptions(1), executor);

  executor->CloseGate();
  auto running = SubmitOne(*batcher, 1);
  ASSERT_TRUE(executor->AwaitCalls(1)) << "the first item is running";
  auto queued = SubmitOne(*batcher, 2);
  std::thread destroy([&] { batcher.reset(); });
  ASSERT_TRUE(queued->Await()) << "the destructor fails queued work at once";
  EXPECT_THAT(queued->status(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shut down")))
      << "queued at destruction";
  executor->OpenGate();
  destroy.join();
  ASSERT_EQ(running->calls(), 1) << "answered before the destructor returned";
  EXPECT_THAT(running->status(), IsOk()) << "the running batch finished";
}

TEST(DynamicBatcherShutdownTest, ShutdownIsIdempotentAndThreadSafe) {
  auto executor = std::make_shared<FakeExecutor>();
  auto batcher = MakeBatcher(ToyOptions(2), executor);
  executor->CloseGate();
  auto running = SubmitOne(*batcher, 1);
  ASSERT_TRUE(executor->AwaitCalls(1)) << "running";

  std::vector<std::thread> threads;
  std::atomic<int> returned{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      batcher->Shutdown(absl::Seconds(60));
      ++returned;
    });
  }
  executor->OpenGate();
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(returned, 4) << "every concurrent Shutdown returns";
  EXPECT_EQ(running->calls(), 1) << "answered once";
  batcher->Shutdown(absl::ZeroDuration());  // and again: a no-op
  EXPECT_EQ(running->calls(), 1) << "still answered once";
}

TEST(DynamicBatcherShutdownTest, ShutdownRacingWithSubmitsAnswersEveryAcceptedRequest) {
  constexpr int kRounds = 5;
  constexpr int kThreads = 6;
  for (int round = 0; round < kRounds; ++round) {
    auto executor = std::make_shared<FakeExecutor>([](absl::Span<const Tensor> inputs) {
      absl::SleepFor(absl::Microseconds(200));
      return testing::AffineOutputs(inputs);
    });
    DynamicBatcherOptions options = ToyOptions(4);
    options.max_queue_delay = absl::Microseconds(300);
    options.max_queue_size = 32;
    options.instance_count = 2;
    auto batcher = MakeBatcher(options, executor);

    struct Outcome {
      absl::Status submit;
      std::unique_ptr<Completion> completion = std::make_unique<Completion>();
    };
    std::vector<std::vector<Outcome>> outcomes(kThreads);
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; !stop && i < 100000; ++i) {
          Outcome outcome;
          // Some multi-item requests, so that a request can be split between
          // a running batch and the queue when shutdown strikes.
          std::vector<float> ids = {static_cast<float>(i)};
          if (i % 3 == 0) ids.push_back(static_cast<float>(i) + 0.5f);
          auto request = MakeRequest(ids, outcome.completion.get());
          outcome.submit = batcher->Submit(request);
          const bool unavailable = outcome.submit.code() == absl::StatusCode::kUnavailable;
          outcomes[t].push_back(std::move(outcome));
          if (unavailable) return;
        }
      });
    }
    absl::SleepFor(absl::Milliseconds(20));
    batcher->Shutdown(round % 2 == 0 ? absl::ZeroDuration() : absl::Milliseconds(5));
    stop = true;
    for (std::thread& thread : threads) thread.join();

    int accepted = 0;
    for (int t = 0; t < kThreads; ++t) {
      for (const Outcome& outcome : outcomes[t]) {
        if (outcome.submit.ok()) {
          ++accepted;
          ASSERT_EQ(outcome.completion->calls(), 1)
              << "round " << round << ": an accepted request is answered exactly once, before "
              << "Shutdown returns";
          EXPECT_THAT(outcome.completion->status().code(),
                      AnyOf(absl::StatusCode::kOk, absl::StatusCode::kUnavailable))
              << "round " << round << ": done, or failed by the shutdown";
        } else {
          EXPECT_THAT(outcome.submit.code(),
                      AnyOf(absl::StatusCode::kUnavailable, absl::StatusCode::kResourceExhausted))
              << "round " << round << ": refused because shut down or full";
          EXPECT_EQ(outcome.completion->calls(), 0)
              << "round " << round << ": a refused request's callback is never called";
        }
      }
    }
    EXPECT_GT(accepted, 0) << "round " << round << ": the race needs accepted work";
  }
}

}  // namespace
}  // namespace affect

// DynamicBatcher: batch formation (max size, preferred sizes, queue delay),
// results, concurrency and observer hooks. Timing behaviour runs on a
// FakeClock; the few real-time tests only bound hangs, with wide margins.
#include "server/engine/dynamic_batcher.h"

#include <memory>
#include <numeric>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/clock.h"
#include "tests/engine/engine_test_util.h"
#include "tests/testing/status_matchers.h"

namespace affect {
namespace {

using ::affect::testing::Completion;
using ::affect::testing::CountingObserver;
using ::affect::testing::FakeExecutor;
using ::affect::testing::IsOk;
using ::affect::testing::ItemDims;
using ::affect::testing::MakeBatcher;
using ::affect::testing::MakeRequest;
using ::affect::testing::StatusIs;
using ::affect::testing::ToyOptions;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Le;

// Submits one single-item request per id, each answered to its own
// Completion.
std::vector<std::unique_ptr<Completion>> SubmitEach(DynamicBatcher& batcher,
                                                    const std::vector<float>& ids) {
  std::vector<std::unique_ptr<Completion>> completions;
  for (float id : ids) {
    completions.push_back(std::make_unique<Completion>());
    auto request = MakeRequest({id}, completions.back().get());
    EXPECT_THAT(batcher.Submit(request), IsOk()) << "submitting id " << id;
  }
  return completions;
}

void ExpectAffineRow(const std::vector<Tensor>& outputs, float id) {
  ASSERT_EQ(outputs.size(), 1u) << "one output per item, for id " << id;
  EXPECT_THAT(outputs[0].shape(), ElementsAre(2)) << "output row without batch dim, id " << id;
  EXPECT_THAT(outputs[0].values(), ElementsAre(2 * id + 1, 1 - 2 * id))
      << "the row computed from id " << id << " must come back to its own caller";
}

TEST(DynamicBatcherTest, CreateRejectsInvalidOptions) {
  struct Case {
    std::string name;
    std::function<void(DynamicBatcherOptions&)> edit;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"max_batch_size 0", [](auto& o) { o.max_batch_size = 0; }, "max_batch_size must be >= 1"},
      {"preferred too big",
       [](auto& o) {
         o.preferred_batch_sizes = {2, 9};
       },
       "preferred batch size 9 must be in [1, max_batch_size = 8]"},
      {"preferred 0", [](auto& o) { o.preferred_batch_sizes = {0}; }, "preferred batch size 0"},
      {"negative delay", [](auto& o) { o.max_queue_delay = absl::Milliseconds(-1); },
       "max_queue_delay must be >= 0"},
      {"queue size 0", [](auto& o) { o.max_queue_size = 0; }, "max_queue_size must be >= 1"},
      {"instances 0", [](auto& o) { o.instance_count = 0; }, "instance_count must be >= 1"},
      {"no inputs", [](auto& o) { o.input_dims.clear(); }, "at least one input"},
      {"negative dim",
       [](auto& o) {
         o.input_dims = {{2, -1}};
       },
       "negative dimension"},
      {"no name", [](auto& o) { o.model_name.clear(); }, "model_name must not be empty"},
  };
  for (const Case& c : cases) {
    DynamicBatcherOptions options = ToyOptions(8);
    c.edit(options);
    EXPECT_THAT(DynamicBatcher::Create(options, std::make_shared<FakeExecutor>()),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.name;
  }
  EXPECT_THAT(DynamicBatcher::Create(ToyOptions(8), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("executor must not be null")))
      << "a batcher needs an executor";
}

TEST(DynamicBatcherTest, ConcurrentCallersGetTheirOwnRows) {
  auto executor = std::make_shared<FakeExecutor>();
  DynamicBatcherOptions options = ToyOptions(8);
  options.max_queue_delay = absl::Milliseconds(1);
  options.max_queue_size = 1000;
  options.instance_count = 2;
  auto batcher = MakeBatcher(options, executor);
  ASSERT_NE(batcher, nullptr) << "batcher must start";

  constexpr int kThreads = 8;
  constexpr int kRequestsPerThread = 40;
  // Request r of thread t has (r % 3) + 1 items with distinct ids.
  std::vector<std::vector<std::unique_ptr<Completion>>> completions(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRequestsPerThread; ++r) {
        std::vector<float> ids;
        for (int i = 0; i <= r % 3; ++i) ids.push_back(static_cast<float>(t * 1000 + r * 10 + i));
        completions[t].push_back(std::make_unique<Completion>());
        auto request = MakeRequest(ids, completions[t].back().get());
        EXPECT_THAT(batcher->Submit(request), IsOk()) << "thread " << t << " request " << r;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  for (int t = 0; t < kThreads; ++t) {
    for (int r = 0; r < kRequestsPerThread; ++r) {
      Completion& completion = *completions[t][r];
      ASSERT_TRUE(completion.Await()) << "thread " << t << " request " << r << " never answered";
      auto result = completion.result();
      ASSERT_THAT(result, IsOk()) << "thread " << t << " request " << r;
      ASSERT_EQ(result->outputs.size(), static_cast<size_t>(r % 3 + 1))
          << "one output list per item, thread " << t << " request " << r;
      for (int i = 0; i <= r % 3; ++i) {
        ExpectAffineRow(result->outputs[i], static_cast<float>(t * 1000 + r * 10 + i));
      }
      EXPECT_EQ(completion.calls(), 1) << "done is called exactly once";
    }
  }
  EXPECT_THAT(executor->batch_sizes(), Each(Le(8))) << "no batch above max_batch_size";
}

TEST(DynamicBatcherTest, ClosesBatchAtMaxSize) {
  FakeClock clock;
  auto executor = std::make_shared<FakeExecutor>();
  DynamicBatcherOptions options = ToyOptions(4);
  options.max_queue_delay = absl::Hours(1);  // never reached unless advanced
  options.clock = &clock;
  auto batcher = MakeBatcher(options, executor);

  auto completions = SubmitEach(*batcher, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  ASSERT_TRUE(executor->AwaitCalls(2)) << "two full batches close without waiting for the delay";
  ASSERT_TRUE(clock.AwaitTimedWaiters(1)) << "the rest waits for the queue delay";
  EXPECT_THAT(executor->batch_sizes(), ElementsAre(4, 4)) << "batches close at max_batch_size";
  EXPECT_EQ(batcher->queue_depth(), 2) << "two items wait for more company";

  clock.Advance(absl::Hours(1));
  ASSERT_TRUE(executor->AwaitCalls(3)) << "the delay closes the last batch";
  EXPECT_THAT(executor->batch_sizes(), ElementsAre(4, 4, 2)) << "batch sizes";
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(completions[i]->Await()) << "request " << i;
    ASSERT_THAT(completions[i]->result(), IsOk()) << "request " << i;
    ExpectAffineRow(completions[i]->result()->outputs[0], static_cast<float>(i));
  }
}

TEST(DynamicBatcherTest, BatchesReachMaxSizeUnderLoad) {
  // Compute takes a while, so callers pile up while the only instance is
  // busy; even with no queue delay the next batch is then full.
  auto executor = std::make_shared<FakeExecutor>([](absl::Span<const Tensor> inputs) {
    absl::SleepFor(absl::Milliseconds(2));
    return testing::AffineOutputs(inputs);
  });
  DynamicBatcherOptions options = ToyOptions(8);
  options.max_queue_size = 100;
  auto batcher = MakeBatcher(options, executor);

  constexpr int kCallers = 16;
  constexpr int kRequestsPerCaller = 15;
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int r = 0; r < kRequestsPerCaller; ++r) {
        Completion completion;
        auto request = MakeRequest({static_cast<float>(c * 100 + r)}, &completion);
        ASSERT_THAT(batcher->Submit(request), IsOk()) << "caller " << c << " request " << r;
        ASSERT_TRUE(completion.Await()) << "caller " << c << " request " << r;
        EXPECT_THAT(completion.status(), IsOk()) << "caller " << c << " request " << r;
      }
    });
  }
  for (std::thread& caller : callers) caller.join();

  const std::vector<int> sizes = executor->batch_sizes();
  EXPECT_THAT(sizes, Each(Le(8))) << "no batch above max_batch_size";
  EXPECT_EQ(*std::max_element(sizes.begin(), sizes.end()), 8)
      << "under load batches must reach max_batch_size";
  EXPECT_EQ(std::accumulate(sizes.begin(), sizes.end(), 0), kCallers * kRequestsPerCaller)
      << "every item computed once";
}

TEST(DynamicBatcherTest, IdleRequestWaitsForTheQueueDelayThenRuns) {
  FakeClock clock;
  auto executor = std::make_shared<FakeExecutor>();
  DynamicBatcherOptions options = ToyOptions(8);
  options.max_queue_delay = absl::Milliseconds(10);
  options.clock = &clock;
  auto batcher = MakeBatcher(options, executor);

  Completion completion;
  auto request = MakeRequest({7}, &completion);
  ASSERT_THAT(batcher->Submit(request), IsOk()) << "submit";
  ASSERT_TRUE(clock.AwaitTimedWaiters(1)) << "a worker waits for more items";
  clock.Advance(absl::Milliseconds(9));
  ASSERT_TRUE(clock.AwaitTimedWaiters(1)) << "still waiting before the delay is over";
  EXPECT_EQ(executor->calls(), 0) << "a lone item waits up to max_queue_delay for company";

  clock.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(completion.Await()) << "the delay is over: the item runs";
  ASSERT_THAT(completion.result(), IsOk()) << "result";
  EXPECT_EQ(completion.result()->queue_time, absl::Milliseconds(10))
      << "held exactly max_queue_delay, not longer";
  EXPECT_EQ(completion.result()->batch_size, 1) << "ran alone";
}

TEST(DynamicBatcherTest, IdleRequestIsNotHeldMuchLongerThanTheQueueDelay) {
  // Real time: only a lower bound (the delay is honoured) and a generous
  // upper bound (nothing waits for a timer that never fires).
  auto executor = std::make_shared<FakeExecutor>();
  DynamicBatcherOptions options = ToyOptions(8);
  options.max_queue_delay = absl::Milliseconds(20);
  auto batcher = MakeBatcher(options, executor);

  Completion completion;
  auto request = MakeRequest({1}, &completion);
  const absl::Time start = absl::Now();
  ASSERT_THAT(batcher->Submit(request), IsOk()) << "submit";
  ASSERT_TRUE(completion.Await()) << "a lone request must run after the delay";
  const absl::Duration latency = absl::Now() - start;
  ASSERT_THAT(completion.result(), IsOk()) << "result";
  EXPECT_GE(completion.result()->queue_time, absl::Milliseconds(20)) << "waited for company";
  EXPECT_LT(latency, absl::Seconds(2)) << "held far longer than max_queue_delay";
}

TEST(DynamicBatcherTest, ClosesBatchesAtTheLargestPreferredSize) {
  FakeClock clock;
  auto executor = std::make_shared<FakeExecutor>();
  DynamicBatcherOptions options = ToyOptions(8);
  options.preferred_batch_sizes = {4, 2};
  options.max_queue_delay = absl::Hours(1);
  options.clock = &clock;
  auto batcher = MakeBatcher(options, executor);

  auto first = SubmitEach(*batcher, {0, 1, 2, 3, 4});
  ASSERT_TRUE(executor->AwaitCalls(1)) << "reaching the largest preferred size closes a batch";
  ASSERT_TRUE(clock.AwaitTimedWaiters(1)) << "the fifth item waits";
  EXPECT_THAT(executor->batch_sizes(), ElementsAre(4)) << "closed at preferred size 4, not 8";
  clock.Advance(absl::Hours(1));
  ASSERT_TRUE(executor->AwaitCalls(2)) << "the delay sends the leftover";

  auto second = SubmitEach(*batcher, {5, 6, 7});
  ASSERT_TRUE(clock.AwaitTimedWaiters(1)) << "three items are below the largest preferred size";
  EXPECT_EQ(executor->calls(), 2) << "no batch before the delay";
  clock.Advance(absl::Hours(1));
  ASSERT_TRUE(executor->AwaitCalls(4)) << "cut to a preferred size, then the rest";
  EXPECT_THAT(executor->batch_sizes(), ElementsAre(4, 1, 2, 1))
      << "at the delay, 3 items go as preferred size 2 then 1";
  for (auto* completions : {&first, &second}) {
    for (auto& completion : *completions) {
      ASSERT_TRUE(completion->Await()) << "every request answered";
      EXPECT_THAT(completion->status(), IsOk()) << "every request succeeds";
    }
  }
}

TEST(DynamicBatcherTest, MultiItemRequestComesBackTogetherInOrder) {
  auto executor = std::make_shared<FakeExecutor>();
  auto batcher = MakeBatcher(ToyOptions(2), executor);

  Completion completion;
  auto request = MakeRequest({10, 11, 12, 13, 14}, &completion);
  ASSERT_THAT(batcher->Submit(request), IsOk()) << "submit";
  EXPECT_EQ(request, nullptr) << "ownership moves on success";
  ASSERT_TRUE(completion.Await()) << "answered";
  auto result = completion.result();
  ASSERT_THAT(result, IsOk()) << "result";
  ASSERT_EQ(result->outputs.size(), 5u) << "all five items come back in one answer";
  for (int i = 0; i < 5; ++i) ExpectAffineRow(result->outputs[i], static_cast<float>(10 + i));
  EXPECT_EQ(completion.calls(), 1) << "one callback for the whole request";
  EXPECT_EQ(result->batch_size, 2) << "largest batch any item ran in";
  EXPECT_EQ(executor->rows(), 5) << "each item computed once";
  EXPECT_GE(executor->calls(), 3) << "five items cannot fit in fewer than three batches of 2";
}

TEST(DynamicBatcherTest, ResultReportsQueueAndComputeTime) {
  FakeClock clock;
  // "Compute" takes 3 ms of fake time.
  auto executor = std::make_shared<FakeExecutor>([&clock](absl::Span<const Tensor> inputs) {
    clock.Advance(absl::Milliseconds(3));
    return testing::AffineOutputs(inputs);
  });
  DynamicBatcherOptions options = ToyOptions(2);
  options.max_queue_delay = absl::Milliseconds(5);
  options.clock = &clock;
  auto batcher = MakeBatcher(options, executor);

  Completion alone;
  auto request = MakeRequest({1}, &alone);
  ASSERT_THAT(batcher->Submit(request), IsOk()) << "submit";
  ASSERT_TRUE(clock.AwaitTimedWaiters(1)) << "waiting for the delay";
  clock.Advance(absl::Milliseconds(5));
  ASSERT_TRUE(alone.Await()) << "answered";
  ASSERT_THAT(alone.result(), IsOk()) << "result";
  EXPECT_EQ(alone.result()->queue_time, absl::Milliseconds(5)) << "queue time";
  EXPECT_EQ(alone.result()->compute_time, absl::Milliseconds(3)) << "compute time";

  Completion a, b;
  auto request_a = MakeRequest({2}, &a);
  auto request_b = MakeRequest({3}, &b);
  ASSERT_THAT(batcher->Submit(request_a), IsOk()) << "submit a";
  ASSERT_THAT(batcher->Submit(request_b), IsOk()) << "submit b";
  ASSERT_TRUE(a.Await() && b.Await()) << "a full batch runs at once";
  EXPECT_EQ(a.result()->queue_time, absl::ZeroDuration()) << "full batch: no waiting";
  EXPECT_EQ(a.result()->compute_time, absl::Microseconds(1500)) << "half of a 2-row batch";
  EXPECT_EQ(b.result()->batch_size, 2) << "batch size";
}

TEST(DynamicBatcherTest, InstanceCountRunsBatchesConcurrently) {
  auto executor = std::make_shared<FakeExecutor>();
  DynamicBatcherOptions options = ToyOptions(1);
  options.instance_count = 2;
  auto batcher = MakeBatcher(options, executor);

  executor->CloseGate();
  auto completions = SubmitEach(*batcher, {1, 2});
  EXPECT_TRUE(executor->AwaitCalls(2)) << "the second batch starts while the first is running";
  executor->OpenGate();
  for (auto& completion : completions) {
    ASSERT_TRUE(completion->Await()) << "answered";
    EXPECT_THAT(completion->status(), IsOk()) << "result";
  }
  EXPECT_EQ(executor->max_in_flight(), 2) << "two instances ran at once";
}

TEST(DynamicBatcherTest, OneInstanceRunsOneBatchAtATime) {
  auto executor = std::make_shared<FakeExecutor>();
  auto batcher = MakeBatcher(ToyOptions(1), executor);

  executor->CloseGate();
  auto completions = SubmitEach(*batcher, {1, 2});
  ASSERT_TRUE(executor->AwaitCalls(1)) << "the first batch starts";
  // A negative check in real time: it cannot pass by luck when wrong.
  EXPECT_FALSE(executor->AwaitCalls(2, absl::Milliseconds(200)))
      << "with instance_count 1 the second batch waits for the first";
  executor->OpenGate();
  for (auto& completion : completions) ASSERT_TRUE(completion->Await()) << "answered";
  EXPECT_EQ(executor->max_in_flight(), 1) << "never two at once";
}

TEST(DynamicBatcherTest, ObserverSeesBatchesDequeuesDepthAndCompletions) {
  CountingObserver observer;
  auto executor = std::make_shared<FakeExecutor>();
  DynamicBatcherOptions options = ToyOptions(2);
  options.observer = &observer;
  auto batcher = MakeBatcher(options, executor);

  Completion multi, single;
  auto request = MakeRequest({1, 2, 3}, &multi);
  auto other = MakeRequest({4}, &single);
  ASSERT_THAT(batcher->Submit(request), IsOk()) << "submit multi";
  ASSERT_THAT(batcher->Submit(other), IsOk()) << "submit single";
  ASSERT_TRUE(multi.Await() && single.Await()) << "both answered";
  batcher->Shutdown(absl::Seconds(10));

  const std::vector<int> sizes = observer.batch_sizes();
  EXPECT_EQ(std::accumulate(sizes.begin(), sizes.end(), 0), 4) << "every row in a reported batch";
  EXPECT_EQ(observer.dequeued(), 4) << "every item reported leaving the queue";
  EXPECT_EQ(observer.done(absl::StatusCode::kOk), 2) << "both requests reported done";
  ASSERT_FALSE(observer.depths().empty()) << "depth changes reported";
  EXPECT_EQ(observer.depths().back(), 0) << "the queue ends empty";
  EXPECT_EQ(observer.failed_batches(), 0) << "no failed batch";
}

TEST(DynamicBatcherTest, CallbackMaySubmitTheNextStage) {
  auto executor = std::make_shared<FakeExecutor>();
  auto batcher = MakeBatcher(ToyOptions(4), executor);

  Completion second_stage;
  Completion first_stage;
  auto request = std::make_unique<InferenceRequest>();
  request->items.push_back({testing::ItemInput(1)});
  request->done = [&](absl::StatusOr<InferenceResult> result) {
    auto next = MakeRequest({result->outputs[0][0].values()[0]}, &second_stage);
    EXPECT_THAT(batcher->Submit(next), IsOk()) << "a callback can feed the next stage";
    first_stage.Callback()(std::move(result));
  };
  ASSERT_THAT(batcher->Submit(request), IsOk()) << "submit";
  ASSERT_TRUE(second_stage.Await()) << "the second stage ran";
  ASSERT_THAT(second_stage.result(), IsOk()) << "result";
  ExpectAffineRow(second_stage.result()->outputs[0], 3);  // 2 * 1 + 1 = 3
}

}  // namespace
}  // namespace affect

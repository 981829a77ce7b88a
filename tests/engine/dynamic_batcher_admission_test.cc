// DynamicBatcher admission and failure handling: shape checks, load
// shedding, deadlines and cancellation (at submit and while queued),
// executor errors, and fairness between traffic classes.
#include <memory>
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
using ::affect::testing::ItemInput;
using ::affect::testing::MakeBatcher;
using ::affect::testing::MakeRequest;
using ::affect::testing::StatusIs;
using ::affect::testing::ToyOptions;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

// A refused request stays with the caller and its callback is not called.
void ExpectKeptByCaller(const std::unique_ptr<InferenceRequest>& request,
                        const Completion& completion) {
  EXPECT_NE(request, nullptr) << "ownership moves only on success";
  EXPECT_TRUE(request == nullptr || request->done) << "the callback stays with the caller";
  EXPECT_EQ(completion.calls(), 0) << "a refused request's callback is never called";
}

TEST(DynamicBatcherAdmissionTest, RejectsAnItemOfTheWrongShape) {
  auto batcher = MakeBatcher(ToyOptions(4), std::make_shared<FakeExecutor>());
  Completion completion;
  auto request = MakeRequest({1}, &completion);
  request->items.push_back({Tensor({3})});
  EXPECT_THAT(batcher->Submit(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("input 0 of item 1"), HasSubstr("has shape [3]"),
                             HasSubstr("expects [2]"))))
      << "the error names the input, the item and both shapes";
  ExpectKeptByCaller(request, completion);
}

TEST(DynamicBatcherAdmissionTest, RejectsAnItemWithTheWrongNumberOfInputs) {
  auto batcher = MakeBatcher(ToyOptions(4), std::make_shared<FakeExecutor>());
  Completion completion;
  auto request = MakeRequest({1}, &completion);
  request->items[0].push_back(ItemInput(2));
  EXPECT_THAT(batcher->Submit(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("item 0 of a request to model 'toy' has 2 inputs; the model "
                                 "takes 1")))
      << "input count checked";
  ExpectKeptByCaller(request, completion);
}

TEST(DynamicBatcherAdmissionTest, RejectsEmptyNullAndCallbackLessRequests) {
  auto batcher = MakeBatcher(ToyOptions(4), std::make_shared<FakeExecutor>());
  Completion completion;
  auto empty = MakeRequest({}, &completion);
  EXPECT_THAT(batcher->Submit(empty),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has no items")))
      << "a request needs at least one item";
  ExpectKeptByCaller(empty, completion);

  std::unique_ptr<InferenceRequest> null_request;
  EXPECT_THAT(batcher->Submit(null_request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("null request")))
      << "null request";

  auto no_callback = MakeRequest({1}, &completion);
  no_callback->done = nullptr;
  EXPECT_THAT(batcher->Submit(no_callback),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has no callback")))
      << "a request needs a callback";
}

TEST(DynamicBatcherAdmissionTest, FullQueueShedsWithResourceExhausted) {
  FakeClock clock;  // never advanced: nothing leaves the queue
  DynamicBatcherOptions options = ToyOptions(8, &clock);
  options.max_queue_delay = absl::Hours(1);
  options.max_queue_size = 4;
  auto executor = std::make_shared<FakeExecutor>();
  // Declared before the batcher: its destructor answers them (UNAVAILABLE).
  std::vector<std::unique_ptr<Completion>> accepted;
  auto batcher = MakeBatcher(options, executor);

  for (int i = 0; i < 3; ++i) {
    accepted.push_back(std::make_unique<Completion>());
    auto request = MakeRequest({static_cast<float>(i)}, accepted.back().get());
    ASSERT_THAT(batcher->Submit(request), IsOk()) << "room for item " << i;
  }
  Completion two_items;
  auto pair = MakeRequest({10, 11}, &two_items);
  EXPECT_THAT(batcher->Submit(pair),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("model 'toy' queue full (3 items queued, limit 4): retry later")))
      << "the limit counts items, not requests";
  ExpectKeptByCaller(pair, two_items);

  accepted.push_back(std::make_unique<Completion>());
  auto fourth = MakeRequest({3}, accepted.back().get());
  ASSERT_THAT(batcher->Submit(fourth), IsOk()) << "the fourth item fits";
  Completion shed;
  auto fifth = MakeRequest({4}, &shed);
  EXPECT_THAT(batcher->Submit(fifth), StatusIs(absl::StatusCode::kResourceExhausted,
                                               HasSubstr("queue full (4 items queued, limit 4)")))
      << "beyond max_queue_size work is refused at once";
  ExpectKeptByCaller(fifth, shed);
  EXPECT_EQ(batcher->queue_depth(), 4) << "the queue did not grow";
  EXPECT_EQ(executor->calls(), 0) << "nothing ran";
}

TEST(DynamicBatcherAdmissionTest, RejectsARequestLargerThanTheWholeQueue) {
  DynamicBatcherOptions options = ToyOptions(8);
  options.max_queue_size = 2;
  auto batcher = MakeBatcher(options, std::make_shared<FakeExecutor>());
  Completion completion;
  auto request = MakeRequest({1, 2, 3}, &completion);
  EXPECT_THAT(batcher->Submit(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("3 items, more than the queue can ever hold")))
      << "retrying could never help, so this is not RESOURCE_EXHAUSTED";
  ExpectKeptByCaller(request, completion);
}

TEST(DynamicBatcherAdmissionTest, RejectsAnExpiredDeadlineAtSubmit) {
  FakeClock clock;
  auto executor = std::make_shared<FakeExecutor>();
  auto batcher = MakeBatcher(ToyOptions(4, &clock), executor);
  Completion completion;
  auto request = MakeRequest({1}, &completion);
  request->deadline = clock.Now();
  EXPECT_THAT(batcher->Submit(request),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("past its deadline")))
      << "no point queueing work whose caller has given up";
  ExpectKeptByCaller(request, completion);
  EXPECT_EQ(executor->calls(), 0) << "nothing ran";
}

TEST(DynamicBatcherAdmissionTest, RejectsACancelledRequestAtSubmit) {
  auto batcher = MakeBatcher(ToyOptions(4), std::make_shared<FakeExecutor>());
  Completion completion;
  auto request = MakeRequest({1}, &completion);
  auto flag = std::make_shared<CancellationFlag>();
  flag->Cancel();
  request->cancellation = flag;
  EXPECT_THAT(batcher->Submit(request),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("cancelled before submit")))
      << "cancelled before submit";
  ExpectKeptByCaller(request, completion);
}

TEST(DynamicBatcherAdmissionTest, DropsItemsWhoseDeadlinePassedInTheQueue) {
  FakeClock clock;
  auto executor = std::make_shared<FakeExecutor>();
  DynamicBatcherOptions options = ToyOptions(8, &clock);
  options.max_queue_delay = absl::Milliseconds(10);
  auto batcher = MakeBatcher(options, executor);

  Completion late, patient;
  auto late_request = MakeRequest({1}, &late);
  late_request->deadline = clock.Now() + absl::Milliseconds(5);
  auto patient_request = MakeRequest({2}, &patient);
  ASSERT_THAT(batcher->Submit(late_request), IsOk()) << "submit late";
  ASSERT_THAT(batcher->Submit(patient_request), IsOk()) << "submit patient";
  ASSERT_TRUE(clock.AwaitTimedWaiters(1)) << "waiting for the delay";
  clock.Advance(absl::Milliseconds(10));

  ASSERT_TRUE(late.Await() && patient.Await()) << "both answered";
  EXPECT_THAT(late.status(), StatusIs(absl::StatusCode::kDeadlineExceeded,
                                      HasSubstr("in the queue of model 'toy'")))
      << "expired while queued";
  EXPECT_THAT(patient.status(), IsOk()) << "the other request still runs";
  EXPECT_THAT(executor->batches(), ElementsAre(ElementsAre(2)))
      << "the expired row never reaches the executor";
}

TEST(DynamicBatcherAdmissionTest, DropsCancelledItemsBeforeCompute) {
  FakeClock clock;
  auto executor = std::make_shared<FakeExecutor>();
  DynamicBatcherOptions options = ToyOptions(8, &clock);
  options.max_queue_delay = absl::Milliseconds(10);
  auto batcher = MakeBatcher(options, executor);

  Completion cancelled, kept;
  auto flag = std::make_shared<CancellationFlag>();
  auto cancelled_request = MakeRequest({1, 2, 3}, &cancelled);
  cancelled_request->cancellation = flag;
  auto kept_request = MakeRequest({4}, &kept);
  ASSERT_THAT(batcher->Submit(cancelled_request), IsOk()) << "submit";
  ASSERT_THAT(batcher->Submit(kept_request), IsOk()) << "submit";
  flag->Cancel();
  ASSERT_TRUE(clock.AwaitTimedWaiters(1)) << "waiting for the delay";
  clock.Advance(absl::Milliseconds(10));

  ASSERT_TRUE(cancelled.Await() && kept.Await()) << "both answered";
  EXPECT_THAT(cancelled.status(),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("cancelled while queued")))
      << "cancelled while queued";
  EXPECT_EQ(cancelled.calls(), 1) << "a three-item request is answered once";
  EXPECT_THAT(kept.status(), IsOk()) << "others still run";
  EXPECT_THAT(executor->batches(), ElementsAre(ElementsAre(4))) << "only the live row computed";
}

TEST(DynamicBatcherAdmissionTest, RestOfAFailedMultiItemRequestIsNotComputed) {
  auto executor = std::make_shared<FakeExecutor>();
  auto batcher = MakeBatcher(ToyOptions(2), executor);

  executor->CloseGate();
  Completion completion;
  auto flag = std::make_shared<CancellationFlag>();
  auto request = MakeRequest({1, 2, 3, 4}, &completion);
  request->cancellation = flag;
  ASSERT_THAT(batcher->Submit(request), IsOk()) << "submit";
  ASSERT_TRUE(executor->AwaitCalls(1)) << "the first two items are running";
  flag->Cancel();
  executor->OpenGate();

  ASSERT_TRUE(completion.Await()) << "answered";
  EXPECT_THAT(completion.status(), StatusIs(absl::StatusCode::kCancelled, HasSubstr("cancelled")))
      << "answered with the first failure";
  EXPECT_EQ(completion.calls(), 1) << "answered once, after every item is resolved";
  EXPECT_EQ(executor->rows(), 2) << "the two items still queued were dropped before compute";
}

TEST(DynamicBatcherAdmissionTest, ExecutorErrorFailsOnlyItsBatch) {
  FakeClock clock;
  // Fails any batch containing id 0.
  auto executor = std::make_shared<FakeExecutor>(
      [](absl::Span<const Tensor> inputs) -> absl::StatusOr<std::vector<Tensor>> {
        for (int64_t r = 0; r < inputs[0].dim(0); ++r) {
          if (inputs[0].data()[r * 2] == 0) return absl::InternalError("injected failure");
        }
        return testing::AffineOutputs(inputs);
      });
  DynamicBatcherOptions options = ToyOptions(2, &clock);
  options.max_queue_delay = absl::Hours(1);  // batches close only when full
  auto batcher = MakeBatcher(options, executor);

  Completion a, b, c, d;
  std::vector<std::unique_ptr<InferenceRequest>> requests;
  requests.push_back(MakeRequest({0}, &a));
  requests.push_back(MakeRequest({1}, &b));
  requests.push_back(MakeRequest({2}, &c));
  requests.push_back(MakeRequest({3}, &d));
  for (auto& request : requests) ASSERT_THAT(batcher->Submit(request), IsOk()) << "submit";

  ASSERT_TRUE(a.Await() && b.Await() && c.Await() && d.Await()) << "all answered";
  EXPECT_THAT(a.status(), StatusIs(absl::StatusCode::kInternal, HasSubstr("injected failure")))
      << "the failing batch's request gets the executor's error";
  EXPECT_THAT(b.status(), StatusIs(absl::StatusCode::kInternal, HasSubstr("injected failure")))
      << "so does every other request in that batch";
  EXPECT_THAT(c.status(), IsOk()) << "the next batch is unaffected";
  EXPECT_THAT(d.status(), IsOk()) << "the next batch is unaffected";
}

TEST(DynamicBatcherAdmissionTest, WrongOutputBatchSizeIsAnInternalErrorNotACrash) {
  FakeClock clock;
  // Returns one row whatever the batch; succeeds for single-row batches.
  auto executor = std::make_shared<FakeExecutor>([](absl::Span<const Tensor> inputs) {
    std::vector<Tensor> outputs;
    outputs.push_back(Tensor({1, 2}, {1, 2}));
    return absl::StatusOr<std::vector<Tensor>>(std::move(outputs));
  });
  DynamicBatcherOptions options = ToyOptions(2, &clock);
  options.max_queue_delay = absl::Hours(1);
  auto batcher = MakeBatcher(options, executor);

  Completion a, b;
  auto request_a = MakeRequest({1}, &a);
  auto request_b = MakeRequest({2}, &b);
  ASSERT_THAT(batcher->Submit(request_a), IsOk()) << "submit a";
  ASSERT_THAT(batcher->Submit(request_b), IsOk()) << "submit b";
  ASSERT_TRUE(a.Await() && b.Await()) << "answered";
  for (Completion* completion : {&a, &b}) {
    EXPECT_THAT(completion->status(),
                StatusIs(absl::StatusCode::kInternal,
                         HasSubstr("returned output 0 with shape [1,2] and 2 values for a batch "
                                   "of 2 rows")))
        << "a wrong row count is reported, not scattered";
  }

  Completion alone;
  auto request = MakeRequest({3}, &alone);
  ASSERT_THAT(batcher->Submit(request), IsOk()) << "the batcher still serves";
  ASSERT_TRUE(clock.AwaitTimedWaiters(1)) << "waiting for the delay";
  clock.Advance(absl::Hours(1));
  ASSERT_TRUE(alone.Await()) << "answered";
  EXPECT_THAT(alone.status(), IsOk()) << "a one-row batch matches the one-row output";
}

TEST(DynamicBatcherAdmissionTest, ScalarOrMissingOutputsAreInternalErrors) {
  for (const bool scalar : {true, false}) {
    auto executor = std::make_shared<FakeExecutor>([scalar](absl::Span<const Tensor>) {
      std::vector<Tensor> outputs;
      if (scalar) outputs.push_back(Tensor({}, {1}));
      return absl::StatusOr<std::vector<Tensor>>(std::move(outputs));
    });
    auto batcher = MakeBatcher(ToyOptions(2), executor);
    Completion completion;
    auto request = MakeRequest({1}, &completion);
    ASSERT_THAT(batcher->Submit(request), IsOk()) << "submit";
    ASSERT_TRUE(completion.Await()) << "answered";
    EXPECT_THAT(completion.status(),
                StatusIs(absl::StatusCode::kInternal,
                         HasSubstr(scalar ? "with shape []" : "returned no outputs")))
        << (scalar ? "scalar output" : "no outputs");
  }
}

// Holds the only instance on a first batch, queues `flood` items of one class
// and then two of the other, and returns the ids in the next batch.
std::vector<float> NextBatchAfterFlood(TrafficClass flooding, TrafficClass other) {
  auto executor = std::make_shared<FakeExecutor>();
  DynamicBatcherOptions options = ToyOptions(4);
  options.max_queue_size = 100;
  auto batcher = MakeBatcher(options, executor);
  executor->CloseGate();
  std::vector<std::unique_ptr<Completion>> completions;
  auto submit = [&](float id, TrafficClass traffic_class) {
    completions.push_back(std::make_unique<Completion>());
    auto request = MakeRequest({id}, completions.back().get(), traffic_class);
    EXPECT_THAT(batcher->Submit(request), IsOk()) << "submit " << id;
  };
  submit(999, flooding);
  EXPECT_TRUE(executor->AwaitCalls(1)) << "the first batch holds the instance";
  for (int i = 0; i < 12; ++i) submit(static_cast<float>(i), flooding);
  submit(100, other);
  submit(101, other);
  executor->OpenGate();
  for (auto& completion : completions) {
    EXPECT_TRUE(completion->Await()) << "answered";
    EXPECT_THAT(completion->status(), IsOk()) << "served";
  }
  const auto batches = executor->batches();
  return batches.size() > 1 ? batches[1] : std::vector<float>{};
}

TEST(DynamicBatcherAdmissionTest, UnaryCallsAreNotStarvedByAFloodOfStreamFrames) {
  EXPECT_THAT(NextBatchAfterFlood(TrafficClass::kStream, TrafficClass::kUnary),
              IsSupersetOf({100.0f, 101.0f}))
      << "unary items queued behind 12 stream items ride in the very next batch";
}

TEST(DynamicBatcherAdmissionTest, StreamFramesAreNotStarvedByAFloodOfUnaryCalls) {
  EXPECT_THAT(NextBatchAfterFlood(TrafficClass::kUnary, TrafficClass::kStream),
              IsSupersetOf({100.0f, 101.0f}))
      << "stream items queued behind 12 unary items ride in the very next batch";
}

TEST(DynamicBatcherAdmissionTest, ABusyClassUsesTheWholeBatchWhenTheOtherIsIdle) {
  auto executor = std::make_shared<FakeExecutor>();
  DynamicBatcherOptions options = ToyOptions(4);
  auto batcher = MakeBatcher(options, executor);
  executor->CloseGate();
  std::vector<std::unique_ptr<Completion>> completions;
  for (float id : {99.0f, 0.0f, 1.0f, 2.0f, 3.0f}) {
    completions.push_back(std::make_unique<Completion>());
    auto request = MakeRequest({id}, completions.back().get(), TrafficClass::kStream);
    ASSERT_THAT(batcher->Submit(request), IsOk()) << "submit";
    if (id == 99.0f) {
      ASSERT_TRUE(executor->AwaitCalls(1)) << "first batch running";
    }
  }
  executor->OpenGate();
  for (auto& completion : completions) ASSERT_TRUE(completion->Await()) << "answered";
  EXPECT_THAT(executor->batch_sizes(), ElementsAre(1, 4))
      << "fair sharing does not leave batch slots empty";
}

}  // namespace
}  // namespace affect

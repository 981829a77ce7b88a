// Fakes and helpers for the engine tests: a scriptable BatchExecutor that
// records the batches it sees and can be held at a gate, a completion
// recorder for `done` callbacks, an observer that counts hooks, and the
// options and factory of the toy batcher that the batcher tests share.
//
// They synchronise with std primitives, not absl::Mutex, so that
// ThreadSanitizer can check them (see server/common/clock.h).
#ifndef AFFECT_TESTS_ENGINE_ENGINE_TEST_UTIL_H_
#define AFFECT_TESTS_ENGINE_ENGINE_TEST_UTIL_H_

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"
#include "server/common/clock.h"
#include "server/engine/batch_executor.h"
#include "server/engine/dynamic_batcher.h"
#include "server/engine/engine_observer.h"
#include "server/engine/inference_request.h"
#include "server/tensor/tensor.h"

namespace affect::testing {

// Real-time bound on every wait in the tests: generous, because this machine
// is shared and noisy; only reached when something hangs.
inline constexpr absl::Duration kHangTimeout = absl::Seconds(30);

// A one-shot event (absl::Notification, on std primitives). Thread-safe.
class Event {
 public:
  // Notifies under the lock: a waiter may destroy the Event as soon as it
  // sees `notified_`.
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
    cv_.notify_all();
  }
  bool Wait(absl::Duration timeout = kHangTimeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return notified_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
};

// Items have one input of shape [2]: {id, -id}. The default executor maps
// every value x to 2x + 1, so item `id` comes back as {2id+1, 1-2id}.
inline std::vector<int64_t> ItemDims() { return {2}; }
inline Tensor ItemInput(float id) { return Tensor({2}, {id, -id}); }

// Output 0 = 2 * input 0 + 1, same shape.
inline absl::StatusOr<std::vector<Tensor>> AffineOutputs(absl::Span<const Tensor> inputs) {
  Tensor out(inputs[0].shape());
  const float* in = inputs[0].data();
  for (int64_t i = 0; i < out.num_elements(); ++i) out.data()[i] = 2.0f * in[i] + 1.0f;
  std::vector<Tensor> outputs;
  outputs.push_back(std::move(out));
  return outputs;
}

// Records every batch (the ids of its rows: the first value of each row of
// input 0), can hold calls at a gate, and tracks concurrency. Thread-safe.
class FakeExecutor : public BatchExecutor {
 public:
  using Fn = std::function<absl::StatusOr<std::vector<Tensor>>(absl::Span<const Tensor>)>;
  explicit FakeExecutor(Fn fn = AffineOutputs) : fn_(std::move(fn)) {}

  absl::StatusOr<std::vector<Tensor>> Execute(absl::Span<const Tensor> inputs) override {
    std::vector<float> ids;
    const Tensor& first = inputs[0];
    for (int64_t r = 0; r < first.dim(0); ++r)
      ids.push_back(first.data()[r * first.row_elements()]);
    {
      std::unique_lock<std::mutex> lock(mu_);
      batches_.push_back(std::move(ids));
      ++in_flight_;
      max_in_flight_ = std::max(max_in_flight_, in_flight_);
      changed_.notify_all();
      changed_.wait(lock, [this] { return gate_open_; });
    }
    absl::StatusOr<std::vector<Tensor>> result = fn_(inputs);
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
    return result;
  }

  // While closed, Execute calls block after recording their batch.
  void CloseGate() {
    std::lock_guard<std::mutex> lock(mu_);
    gate_open_ = false;
  }
  void OpenGate() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      gate_open_ = true;
    }
    changed_.notify_all();
  }
  // Waits until at least `calls` Execute calls have started.
  bool AwaitCalls(int calls, absl::Duration timeout = kHangTimeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                             [this, calls] { return static_cast<int>(batches_.size()) >= calls; });
  }

  std::vector<std::vector<float>> batches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  std::vector<int> batch_sizes() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<int> sizes;
    for (const auto& batch : batches_) sizes.push_back(static_cast<int>(batch.size()));
    return sizes;
  }
  int calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(batches_.size());
  }
  int rows() const {
    std::lock_guard<std::mutex> lock(mu_);
    int rows = 0;
    for (const auto& batch : batches_) rows += static_cast<int>(batch.size());
    return rows;
  }
  int max_in_flight() const {
    std::lock_guard<std::mutex> lock(mu_);
    return max_in_flight_;
  }

 private:
  const Fn fn_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  // Guarded by mu_:
  std::vector<std::vector<float>> batches_;
  bool gate_open_ = true;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
};

// Receives one request's answer. Thread-safe.
class Completion {
 public:
  InferenceCallback Callback() {
    // Notifies under the lock: the test may destroy the Completion as soon
    // as Await sees the call.
    return [this](absl::StatusOr<InferenceResult> result) {
      std::lock_guard<std::mutex> lock(mu_);
      result_ = std::move(result);
      ++calls_;
      called_.notify_all();
    };
  }
  // Waits for the callback; false on timeout.
  bool Await(absl::Duration timeout = kHangTimeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return called_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                            [this] { return calls_ > 0; });
  }
  int calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  // REQUIRES: Await() returned true.
  absl::StatusOr<InferenceResult> result() const {
    std::lock_guard<std::mutex> lock(mu_);
    return result_;
  }
  absl::Status status() const { return result().status(); }

 private:
  mutable std::mutex mu_;
  std::condition_variable called_;
  int calls_ = 0;                                                              // guarded by mu_
  absl::StatusOr<InferenceResult> result_ = absl::UnknownError("not called");  // guarded by mu_
};

// A request of one item per id, answered to `completion`.
inline std::unique_ptr<InferenceRequest> MakeRequest(
    std::vector<float> ids, Completion* completion,
    TrafficClass traffic_class = TrafficClass::kUnary) {
  auto request = std::make_unique<InferenceRequest>();
  for (float id : ids) request->items.push_back({ItemInput(id)});
  request->traffic_class = traffic_class;
  request->done = completion->Callback();
  return request;
}

// Options of the toy model whose items are ItemInput(id); `clock` null means
// the real clock.
inline DynamicBatcherOptions ToyOptions(int max_batch_size, Clock* clock = nullptr) {
  DynamicBatcherOptions options;
  options.model_name = "toy";
  options.input_dims = {ItemDims()};
  options.max_batch_size = max_batch_size;
  options.clock = clock;
  return options;
}

// A batcher that the test expects to be created (a failure is reported and
// gives null).
inline std::unique_ptr<DynamicBatcher> MakeBatcher(DynamicBatcherOptions options,
                                                   std::shared_ptr<BatchExecutor> executor) {
  auto batcher = DynamicBatcher::Create(std::move(options), std::move(executor));
  EXPECT_TRUE(batcher.ok()) << batcher.status();
  return batcher.ok() ? std::move(*batcher) : nullptr;
}

// Counts every hook. Thread-safe.
class CountingObserver : public EngineObserver {
 public:
  void OnBatchExecuted(const std::string& model, int batch_size, absl::Duration compute_time,
                       const absl::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    batch_sizes_.push_back(batch_size);
    if (!status.ok()) ++failed_batches_;
  }
  void OnItemDequeued(const std::string& model, absl::Duration queue_time) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++dequeued_;
  }
  void OnQueueDepth(const std::string& model, int depth) override {
    std::lock_guard<std::mutex> lock(mu_);
    depths_.push_back(depth);
  }
  void OnRequestDone(const std::string& model, const absl::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++done_[status.code()];
  }

  std::vector<int> batch_sizes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batch_sizes_;
  }
  int failed_batches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return failed_batches_;
  }
  int dequeued() const {
    std::lock_guard<std::mutex> lock(mu_);
    return dequeued_;
  }
  std::vector<int> depths() const {
    std::lock_guard<std::mutex> lock(mu_);
    return depths_;
  }
  int done(absl::StatusCode code) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = done_.find(code);
    return it == done_.end() ? 0 : it->second;
  }

 private:
  mutable std::mutex mu_;
  // Guarded by mu_:
  std::vector<int> batch_sizes_;
  int failed_batches_ = 0;
  int dequeued_ = 0;
  std::vector<int> depths_;
  std::map<absl::StatusCode, int> done_;
};

}  // namespace affect::testing

#endif  // AFFECT_TESTS_ENGINE_ENGINE_TEST_UTIL_H_

// The batcher on real (tiny, generated) TorchScript models: rows come back
// to their own callers, model failures and wrong output sizes fail only
// their batch.
#include "server/engine/torch_batch_executor.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/clock.h"
#include "server/engine/dynamic_batcher.h"
#include "server/torch/torch_module.h"
#include "tests/engine/engine_test_util.h"
#include "tests/testing/status_matchers.h"

namespace affect {
namespace {

using ::affect::testing::Completion;
using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Builds a TorchScript module from `source` into a temporary file and loads it.
std::shared_ptr<const TorchModule> ScriptedModule(const std::string& name,
                                                  const std::string& source) {
  const std::string path =
      (std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()) + ".pt"))
          .string();
  const absl::Status saved = SaveScriptedModule(source, path);
  EXPECT_TRUE(saved.ok()) << saved;
  auto module = TorchModule::Load(path, {DeviceSpec::Cpu(), false});
  std::filesystem::remove(path);
  EXPECT_TRUE(module.ok()) << module.status();
  return module.ok() ? std::shared_ptr<const TorchModule>(std::move(*module)) : nullptr;
}

// Output 0 identifies each input row: x * 2 + 1; output 1 is the row sum.
constexpr char kIdentifyingModel[] = R"(
def forward(self, x):
    return (x * 2.0 + 1.0, x.sum(dim=1, keepdim=True))
)";

DynamicBatcherOptions ThreeWideOptions(int max_batch_size) {
  DynamicBatcherOptions options;
  options.model_name = "scripted";
  options.input_dims = {{3}};
  options.max_batch_size = max_batch_size;
  return options;
}

std::unique_ptr<InferenceRequest> RowRequest(float id, Completion* completion) {
  auto request = std::make_unique<InferenceRequest>();
  request->items.push_back({Tensor({3}, {id, id + 0.25f, -id})});
  request->done = completion->Callback();
  return request;
}

TEST(TorchBatchExecutorTest, ExecutesABatchOnTheModule) {
  auto module = ScriptedModule("identify", kIdentifyingModel);
  ASSERT_NE(module, nullptr) << "model builds";
  TorchBatchExecutor executor(module);
  const Tensor batch({2, 3}, {1, 2, 3, 4, 5, 6});
  auto outputs = executor.Execute({&batch, 1});
  ASSERT_THAT(outputs, IsOk()) << "forward";
  ASSERT_EQ(outputs->size(), 2u) << "tuple outputs in order";
  EXPECT_THAT((*outputs)[0].values(), ElementsAre(3, 5, 7, 9, 11, 13)) << "x * 2 + 1";
  EXPECT_THAT((*outputs)[1].shape(), ElementsAre(2, 1)) << "row sums keep the batch dim";
}

TEST(TorchBatchExecutorTest, ConcurrentCallersGetTheirOwnRowsFromATorchModel) {
  auto module = ScriptedModule("identify", kIdentifyingModel);
  ASSERT_NE(module, nullptr) << "model builds";
  DynamicBatcherOptions options = ThreeWideOptions(8);
  options.max_queue_delay = absl::Milliseconds(1);
  options.max_queue_size = 256;
  options.instance_count = 2;
  auto batcher = DynamicBatcher::Create(options, std::make_shared<TorchBatchExecutor>(module));
  ASSERT_THAT(batcher, IsOk()) << "batcher starts";

  constexpr int kThreads = 6;
  constexpr int kRequests = 25;
  std::vector<std::vector<std::unique_ptr<Completion>>> completions(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRequests; ++r) {
        completions[t].push_back(std::make_unique<Completion>());
        auto request = RowRequest(static_cast<float>(t * 100 + r), completions[t].back().get());
        EXPECT_THAT((*batcher)->Submit(request), IsOk()) << "thread " << t << " request " << r;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int r = 0; r < kRequests; ++r) {
      const float id = static_cast<float>(t * 100 + r);
      ASSERT_TRUE(completions[t][r]->Await()) << "answered: id " << id;
      auto result = completions[t][r]->result();
      ASSERT_THAT(result, IsOk()) << "id " << id;
      ASSERT_EQ(result->outputs.size(), 1u) << "one item";
      ASSERT_EQ(result->outputs[0].size(), 2u) << "both model outputs, id " << id;
      EXPECT_THAT(result->outputs[0][0].values(),
                  ElementsAre(2 * id + 1, 2 * (id + 0.25f) + 1, 1 - 2 * id))
          << "the model's row for this caller's input, id " << id;
      EXPECT_THAT(result->outputs[0][1].shape(), ElementsAre(1)) << "row sum without batch dim";
      EXPECT_FLOAT_EQ(result->outputs[0][1].values()[0], id + 0.25f) << "row sum, id " << id;
    }
  }
}

TEST(TorchBatchExecutorTest, ModelReturningTheWrongBatchSizeFailsItsBatch) {
  // Returns only the first row: wrong for any batch above 1.
  auto module = ScriptedModule("first_row", R"(
def forward(self, x):
    return x[0:1] * 2.0
)");
  ASSERT_NE(module, nullptr) << "model builds";
  FakeClock clock;
  DynamicBatcherOptions options = ThreeWideOptions(2);
  options.max_queue_delay = absl::Hours(1);  // the pair closes by size only
  options.clock = &clock;
  auto batcher = DynamicBatcher::Create(options, std::make_shared<TorchBatchExecutor>(module));
  ASSERT_THAT(batcher, IsOk()) << "batcher starts";

  Completion a, b;
  auto request_a = RowRequest(1, &a);
  auto request_b = RowRequest(2, &b);
  ASSERT_THAT((*batcher)->Submit(request_a), IsOk()) << "submit";
  ASSERT_THAT((*batcher)->Submit(request_b), IsOk()) << "submit";
  ASSERT_TRUE(a.Await() && b.Await()) << "answered";
  EXPECT_THAT(a.status(), StatusIs(absl::StatusCode::kInternal,
                                   HasSubstr("returned output 0 with shape [1,3]")))
      << "a model that drops rows is an internal error, never a crash";
  EXPECT_THAT(b.status(), StatusIs(absl::StatusCode::kInternal, HasSubstr("for a batch of 2")))
      << "for every request in the batch";
}

TEST(TorchBatchExecutorTest, ModelErrorFailsItsBatchWithTheTorchMessage) {
  auto module = ScriptedModule("bad_matmul", R"(
def forward(self, x):
    return x.matmul(x)
)");
  ASSERT_NE(module, nullptr) << "model builds";
  auto batcher =
      DynamicBatcher::Create(ThreeWideOptions(4), std::make_shared<TorchBatchExecutor>(module));
  ASSERT_THAT(batcher, IsOk()) << "batcher starts";
  Completion completion;
  auto request = RowRequest(1, &completion);
  ASSERT_THAT((*batcher)->Submit(request), IsOk()) << "submit";
  ASSERT_TRUE(completion.Await()) << "answered";
  EXPECT_THAT(completion.status(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("PyTorch execute failure")))
      << "LibTorch's exception arrives as a status";
}

}  // namespace
}  // namespace affect

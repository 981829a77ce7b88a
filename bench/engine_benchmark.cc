// affect-engine-bench: what dynamic batching costs and what it serves.
//
//   BM_RawModule/batch:B              TorchModule::Forward on a ready
//                                     [B, ...] batch (the ceiling), items/s.
//   BM_BatcherOverheadFake/batch:B    one thread submits B single-item
//                                     requests and waits for the B answers, on
//                                     a zero-cost executor: the batcher's own
//                                     cost per item (submit, queueing,
//                                     wake-ups, stacking, scatter, callbacks).
//   BM_BatcherOverheadTorch/batch:B   the same on the real module, in windows
//                                     alternating with direct Forward calls on
//                                     the same batch; median difference/item.
//   BM_Served/batch:B/callers:N       N threads each submit one item and wait
//                                     for it, in a loop (saturation), in
//                                     windows alternating with direct Forward
//                                     at batch B, so that each pair sees the
//                                     same machine load; served/raw ratio,
//                                     also per CPU-second of the process.
//
// The model is a small conv net on 1x64x64 (about the cost of a facial
// emotion classifier), generated with SaveScriptedModule; its weights are a
// fixed pseudo-random sequence computed in forward() (TorchScript source
// cannot hold parameters), which adds the same few microseconds to every call,
// raw or served. --model=PATH --input_dims=64,64,1 runs a real TorchScript
// file instead (e.g. models/repository/emotion/1/model.pt, NHWC).
//
// Flags (besides --benchmark_*): --intra_op_threads=N (default 1),
// --instance_count=N (default 1), --tune_malloc=0|1 (default 1: keep freed
// activations in the process, see server/engine/README.md),
// --max_queue_delay_us=N (default 2000), --window_ms=N and --rounds=N
// (BM_Served alternates N raw and N served windows of that length, at least a
// dozen batches long, and reports medians; default 250 ms x 9).
// Run it with OMP_WAIT_POLICY=PASSIVE in the environment.
// Quick run: --benchmark_filter='BM_Served/batch:8/' (about 12 s).
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/common/process_tuning.h"
#include "benchmark/benchmark.h"
#include "server/common/logging.h"
#include "server/engine/batch_executor.h"
#include "server/engine/dynamic_batcher.h"
#include "server/engine/engine_observer.h"
#include "server/engine/torch_batch_executor.h"
#include "server/torch/torch_module.h"

namespace affect {
namespace {

struct Flags {
  std::string model;  // empty: generated conv net
  std::vector<int64_t> input_dims = {1, 64, 64};
  int intra_op_threads = 1;
  int instance_count = 1;
  int max_queue_delay_us = 2000;
  int window_ms = 250;
  int rounds = 9;
  int tune_malloc = 1;
};
Flags g_flags;

// Conv net on [B, 1, 64, 64] -> 7 class probabilities: three 3x3 conv + ReLU
// + 2x2 max-pool stages (16, 32, 64 channels) and a linear layer, ~20 MFLOP
// per item.
constexpr char kConvNetSource[] = R"(
def weights(self, n: int, fan_in: int, seed: float) -> Tensor:
    u = torch.frac(torch.arange(n).float() * 0.6180339887 + seed) - 0.5
    return u * (2.0 * (3.0 / fan_in) ** 0.5)

def forward(self, x):
    h = torch.relu(torch.conv2d(x, self.weights(144, 9, 0.1).reshape([16, 1, 3, 3]), None, [1, 1], [1, 1]))
    h = torch.max_pool2d(h, [2, 2])
    h = torch.relu(torch.conv2d(h, self.weights(4608, 144, 0.2).reshape([32, 16, 3, 3]), None, [1, 1], [1, 1]))
    h = torch.max_pool2d(h, [2, 2])
    h = torch.relu(torch.conv2d(h, self.weights(18432, 288, 0.3).reshape([64, 32, 3, 3]), None, [1, 1], [1, 1]))
    h = torch.max_pool2d(h, [2, 2])
    logits = torch.matmul(h.flatten(1), self.weights(28672, 4096, 0.4).reshape([4096, 7]))
    return torch.softmax(logits, 1)
)";

std::shared_ptr<const TorchModule>& Module() {
  static std::shared_ptr<const TorchModule> module;
  return module;
}

// Loads (or generates) the model once; exits on failure.
void LoadModule() {
  std::string path = g_flags.model;
  if (path.empty()) {
    path = (std::filesystem::temp_directory_path() /
            ("affect_bench_convnet_" + std::to_string(::getpid()) + ".pt"))
               .string();
    const absl::Status saved = SaveScriptedModule(kConvNetSource, path);
    if (!saved.ok()) {
      std::fprintf(stderr, "cannot build the benchmark model: %s\n", saved.ToString().c_str());
      std::exit(1);
    }
  }
  auto module = TorchModule::Load(path, {DeviceSpec::Cpu(), false});
  if (g_flags.model.empty()) std::filesystem::remove(path);
  if (!module.ok()) {
    std::fprintf(stderr, "cannot load %s: %s\n", path.c_str(), module.status().ToString().c_str());
    std::exit(1);
  }
  Module() = std::move(*module);
}

std::vector<int64_t> BatchShape(int64_t batch) {
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), g_flags.input_dims.begin(), g_flags.input_dims.end());
  return shape;
}

Tensor RandomTensor(std::vector<int64_t> shape, uint32_t seed) {
  Tensor tensor(std::move(shape));
  uint32_t state = seed * 2654435761u + 1;
  for (float& value : tensor.values()) {
    state = state * 1664525u + 1013904223u;
    value = static_cast<float>(state >> 8) / static_cast<float>(1 << 24);
  }
  return tensor;
}

// Results for the closing summary, keyed "raw:B", "fake:B", "torch:B",
// "served:B:N", "paired_raw:B:N" (items/s or us/item). The last run of a
// benchmark (the measured one) wins.
std::map<std::string, double>& Results() {
  static std::map<std::string, double> results;
  return results;
}

// Runs `fn` on one long-lived "raw" thread and waits for it. Every raw
// (direct) Forward runs there, in the same conditions as a batcher worker:
//  * off the main thread: there glibc malloc's main arena hands the large
//    activation buffers back to the kernel after each forward (heap trimming
//    / mmap threshold); the page faults that follow (1,400 per forward at
//    batch 8) made Forward about 2x slower, which would flatter the batcher;
//  * on a thread that has already run the model: the first forwards on a new
//    thread are slower (page faults in a fresh malloc arena, per-thread
//    caches), which would also flatter the batcher.
void RunOnThread(std::function<void()> fn) {
  // Leaked on purpose: the thread runs until the process exits, and
  // destroying a condition variable it waits on would hang exit().
  struct RawThread {
    std::mutex mu;
    std::condition_variable cv;
    std::function<void()>* job = nullptr;  // guarded by mu
    bool done = false;                     // guarded by mu
  };
  static RawThread* const raw = [] {
    auto* state = new RawThread;
    std::thread([state] {
      std::unique_lock<std::mutex> lock(state->mu);
      while (true) {
        state->cv.wait(lock, [state] { return state->job != nullptr && !state->done; });
        (*state->job)();
        state->done = true;
        state->cv.notify_all();
      }
    }).detach();
    return state;
  }();
  std::unique_lock<std::mutex> lock(raw->mu);
  raw->job = &fn;
  raw->done = false;
  raw->cv.notify_all();
  raw->cv.wait(lock, [] { return raw->done; });
  raw->job = nullptr;
}

// CPU time used by the whole process so far (all threads), seconds.
double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Items per wall-clock second and per CPU-second of the process. The second
// is what matters on a shared machine, where the wall-clock figure depends on
// the share of the cores the process gets.
struct Throughput {
  double per_second = 0;
  double per_cpu_second = 0;
  double page_faults_per_item = 0;
};

// Minor page faults of the process so far.
int64_t MinorFaults() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Warms the module up at `batch` on the raw thread and returns a measurement
// window that holds about a dozen batches (so that slow models are not
// measured on two or three batches per window), between `minimum` and four
// times that.
absl::Duration WarmUpAndPickWindow(const Tensor& batch, absl::Duration minimum) {
  absl::Duration fastest = absl::InfiniteDuration();
  RunOnThread([&] {
    for (int i = 0; i < 3; ++i) {
      const absl::Time start = absl::Now();
      auto outputs = Module()->Forward({&batch, 1});
      benchmark::DoNotOptimize(outputs);
      fastest = std::min(fastest, absl::Now() - start);
    }
  });
  return std::clamp(12 * fastest, minimum, 4 * minimum);
}

// Raw Forward at batch B for `window`, on the calling thread.
Throughput RawThroughput(const Tensor& batch, absl::Duration window) {
  const absl::Time start = absl::Now();
  const double cpu_start = ProcessCpuSeconds();
  const int64_t faults_start = MinorFaults();
  int64_t items = 0;
  while (absl::Now() - start < window) {
    auto outputs = Module()->Forward({&batch, 1});
    benchmark::DoNotOptimize(outputs);
    items += batch.dim(0);
  }
  const double cpu = ProcessCpuSeconds() - cpu_start;
  const double n = static_cast<double>(items);
  return {n / absl::ToDoubleSeconds(absl::Now() - start), n / cpu,
          static_cast<double>(MinorFaults() - faults_start) / n};
}

void BM_RawModule(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const Tensor input = RandomTensor(BatchShape(batch), 1);
  int64_t items = 0;
  absl::Duration elapsed;
  RunOnThread([&] {
    for (int i = 0; i < 2; ++i) {  // warm-up (TorchScript optimises on early runs)
      auto outputs = Module()->Forward({&input, 1});
      benchmark::DoNotOptimize(outputs);
    }
    const absl::Time start = absl::Now();
    for (auto _ : state) {
      auto outputs = Module()->Forward({&input, 1});
      if (!outputs.ok()) {
        state.SkipWithError(outputs.status().ToString().c_str());
        break;
      }
      benchmark::DoNotOptimize(outputs);
      items += batch;
    }
    elapsed = absl::Now() - start;
  });
  if (items == 0) return;
  const double seconds = absl::ToDoubleSeconds(elapsed);
  const double per_second = static_cast<double>(items) / seconds;
  state.counters["items_per_s"] = per_second;
  state.counters["us_per_item"] = 1e6 / per_second;
  Results()[absl::StrCat("raw:", batch)] = per_second;
}

// Returns outputs of the right shape and does nothing else.
class ZeroCostExecutor : public BatchExecutor {
 public:
  absl::StatusOr<std::vector<Tensor>> Execute(absl::Span<const Tensor> inputs) override {
    std::vector<Tensor> outputs;
    outputs.emplace_back(std::vector<int64_t>{inputs[0].dim(0), 7});
    return outputs;
  }
};

// Counts batches and rows to report the mean batch size. Thread-safe.
class BatchSizeObserver : public EngineObserver {
 public:
  void OnBatchExecuted(const std::string&, int batch_size, absl::Duration,
                       const absl::Status&) override {
    batches_.fetch_add(1, std::memory_order_relaxed);
    rows_.fetch_add(batch_size, std::memory_order_relaxed);
  }
  void OnItemDequeued(const std::string&, absl::Duration) override {}
  void OnQueueDepth(const std::string&, int) override {}
  void OnRequestDone(const std::string&, const absl::Status&) override {}
  double mean_batch_size() const {
    const int64_t batches = batches_.load();
    return batches == 0 ? 0.0 : static_cast<double>(rows_.load()) / static_cast<double>(batches);
  }
  void Reset() {
    batches_ = 0;
    rows_ = 0;
  }

 private:
  std::atomic<int64_t> batches_{0};
  std::atomic<int64_t> rows_{0};
};

std::unique_ptr<DynamicBatcher> MakeBatcher(std::shared_ptr<BatchExecutor> executor, int batch,
                                            absl::Duration delay, int queue_size,
                                            EngineObserver* observer) {
  DynamicBatcherOptions options;
  options.model_name = "bench";
  options.input_dims = {g_flags.input_dims};
  options.max_batch_size = batch;
  options.max_queue_delay = delay;
  options.max_queue_size = queue_size;
  options.instance_count = g_flags.instance_count;
  options.observer = observer;
  auto batcher = DynamicBatcher::Create(options, std::move(executor));
  if (!batcher.ok()) {
    std::fprintf(stderr, "%s\n", batcher.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*batcher);
}

// Counts answers; one waiter. Thread-safe.
class AnswerCounter {
 public:
  void Add() {
    std::lock_guard<std::mutex> lock(mu_);
    ++answered_;
    cv_.notify_one();
  }
  void WaitFor(int64_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return answered_ >= count; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t answered_ = 0;
};

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Submits one single-item request per tensor in `items` and waits for all
// the answers. With max_batch_size == items.size() and a long queue delay,
// that is exactly one batch.
bool SubmitBurstAndWait(DynamicBatcher& batcher, const std::vector<Tensor>& items,
                        AnswerCounter& answers, int64_t* submitted) {
  for (const Tensor& item : items) {
    auto request = std::make_unique<InferenceRequest>();
    request->items.push_back({item});
    request->done = [&answers](absl::StatusOr<InferenceResult> result) {
      benchmark::DoNotOptimize(result);
      answers.Add();
    };
    if (!batcher.Submit(request).ok()) return false;
    ++*submitted;
  }
  answers.WaitFor(*submitted);
  return true;
}

// The batcher's own cost: a zero-cost executor, so everything measured is
// submit, queueing, wake-ups, stacking, scatter and callbacks.
void BM_BatcherOverheadFake(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  auto batcher =
      MakeBatcher(std::make_shared<ZeroCostExecutor>(), batch, absl::Hours(1), batch, nullptr);
  const std::vector<Tensor> items(static_cast<size_t>(batch), RandomTensor(g_flags.input_dims, 7));
  AnswerCounter answers;
  int64_t submitted = 0;
  const absl::Time start = absl::Now();
  for (auto _ : state) {
    if (!SubmitBurstAndWait(*batcher, items, answers, &submitted)) {
      state.SkipWithError("submit failed");
      return;
    }
  }
  const double us_per_item = absl::ToDoubleMicroseconds(absl::Now() - start) / submitted;
  state.counters["us_per_item"] = us_per_item;
  Results()[absl::StrCat("fake:", batch)] = us_per_item;
}

// The same bursts on the real module, against Forward on the same batch
// called directly, in alternating windows (paired, so that both see the same
// machine load); reports the median difference per item.
void BM_BatcherOverheadTorch(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  auto batcher = MakeBatcher(std::make_shared<TorchBatchExecutor>(Module()), batch, absl::Hours(1),
                             batch, nullptr);
  const Tensor item = RandomTensor(g_flags.input_dims, 7);
  const std::vector<Tensor> items(static_cast<size_t>(batch), item);
  Tensor raw_batch(BatchShape(batch));
  for (int r = 0; r < batch; ++r) {
    std::copy(item.values().begin(), item.values().end(),
              raw_batch.data() + static_cast<size_t>(r) * item.values().size());
  }
  const absl::Duration window =
      WarmUpAndPickWindow(raw_batch, absl::Milliseconds(2 * g_flags.window_ms));
  AnswerCounter answers;
  int64_t submitted = 0;
  std::vector<double> raw_us, batched_us, overhead_us;
  for (auto _ : state) {
    for (int round = 0; round < g_flags.rounds; ++round) {
      Throughput direct;
      RunOnThread([&] { direct = RawThroughput(raw_batch, window); });
      const int64_t before = submitted;
      const absl::Time start = absl::Now();
      while (absl::Now() - start < window) {
        if (!SubmitBurstAndWait(*batcher, items, answers, &submitted)) {
          state.SkipWithError("submit failed");
          return;
        }
      }
      const double served =
          absl::ToDoubleMicroseconds(absl::Now() - start) / static_cast<double>(submitted - before);
      raw_us.push_back(1e6 / direct.per_second);
      batched_us.push_back(served);
      overhead_us.push_back(served - 1e6 / direct.per_second);
    }
  }
  state.counters["raw_us_per_item"] = Median(raw_us);
  state.counters["batched_us_per_item"] = Median(batched_us);
  state.counters["overhead_us_per_item"] = Median(overhead_us);
  Results()[absl::StrCat("torch:", batch)] = Median(batched_us);
  Results()[absl::StrCat("torch_raw:", batch)] = Median(raw_us);
  Results()[absl::StrCat("torch_overhead:", batch)] = Median(overhead_us);
}

// N closed-loop callers, each submitting one item and waiting for its
// answer, in a loop. They can be paused (no request in flight) so that raw
// and served windows alternate without restarting threads.
class ClosedLoopCallers {
 public:
  // Starts paused.
  ClosedLoopCallers(DynamicBatcher* batcher, int callers, const Tensor& input)
      : batcher_(batcher), input_(input) {
    for (int c = 0; c < callers; ++c) threads_.emplace_back([this] { Run(); });
  }
  ~ClosedLoopCallers() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      cv_.notify_all();
    }
    for (std::thread& thread : threads_) thread.join();
  }
  void Resume() {
    std::lock_guard<std::mutex> lock(mu_);
    paused_ = false;
    cv_.notify_all();
  }
  // Stops submitting and waits until no request is in flight.
  void Pause() {
    std::unique_lock<std::mutex> lock(mu_);
    paused_ = true;
    cv_.wait(lock, [this] { return in_flight_ == 0; });
  }
  int64_t completed() const { return completed_.load(std::memory_order_relaxed); }
  int64_t failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  void Run() {
    std::mutex answer_mu;
    std::condition_variable answer_cv;
    bool answered = false;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return !paused_ || stop_; });
        if (stop_) return;
        ++in_flight_;
      }
      auto request = std::make_unique<InferenceRequest>();
      request->items.push_back({input_});
      request->done = [&](absl::StatusOr<InferenceResult> result) {
        if (!result.ok()) failed_.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard<std::mutex> lock(answer_mu);
        answered = true;
        answer_cv.notify_one();
      };
      if (batcher_->Submit(request).ok()) {
        std::unique_lock<std::mutex> lock(answer_mu);
        answer_cv.wait(lock, [&] { return answered; });
        answered = false;
        completed_.fetch_add(1, std::memory_order_relaxed);
      } else {
        failed_.fetch_add(1, std::memory_order_relaxed);
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (--in_flight_ == 0 && paused_) cv_.notify_all();
    }
  }

  DynamicBatcher* const batcher_;
  const Tensor& input_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool paused_ = true;  // guarded by mu_
  bool stop_ = false;   // guarded by mu_
  int in_flight_ = 0;   // guarded by mu_
  std::atomic<int64_t> completed_{0};
  std::atomic<int64_t> failed_{0};
  std::vector<std::thread> threads_;
};

// Served throughput over `window` once the callers are back in steady state,
// and the mean batch size. The CPU time includes the callers' threads.
Throughput ServedThroughput(ClosedLoopCallers* callers, BatchSizeObserver* observer,
                            absl::Duration window, double* mean_batch) {
  callers->Resume();
  absl::SleepFor(window / 6);  // about two batches, to refill the pipeline
  observer->Reset();
  const int64_t before = callers->completed();
  const absl::Time start = absl::Now();
  const double cpu_start = ProcessCpuSeconds();
  const int64_t faults_start = MinorFaults();
  absl::SleepFor(window);
  const int64_t after = callers->completed();
  const double cpu = ProcessCpuSeconds() - cpu_start;
  const int64_t faults = MinorFaults() - faults_start;
  const absl::Duration elapsed = absl::Now() - start;
  *mean_batch = observer->mean_batch_size();
  callers->Pause();
  const double items = static_cast<double>(after - before);
  return {items / absl::ToDoubleSeconds(elapsed), items / cpu, static_cast<double>(faults) / items};
}

void BM_Served(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const int num_callers = static_cast<int>(state.range(1));
  BatchSizeObserver observer;
  auto batcher =
      MakeBatcher(std::make_shared<TorchBatchExecutor>(Module()), batch,
                  absl::Microseconds(g_flags.max_queue_delay_us), 2 * num_callers, &observer);
  // Raw and served compute the same rows: every caller submits `item`, and
  // the raw batch is `batch` copies of it.
  const Tensor item = RandomTensor(g_flags.input_dims, 3);
  Tensor raw_batch(BatchShape(batch));
  for (int r = 0; r < batch; ++r) {
    std::copy(item.values().begin(), item.values().end(),
              raw_batch.data() + static_cast<size_t>(r) * item.values().size());
  }
  const absl::Duration window =
      WarmUpAndPickWindow(raw_batch, absl::Milliseconds(g_flags.window_ms));
  ClosedLoopCallers callers(batcher.get(), num_callers, item);
  std::vector<double> raw, served, ratios, cpu_ratios, mean_batches, raw_faults, served_faults;
  for (auto _ : state) {
    // Alternate short raw and served windows, so that each pair sees the same
    // load from whatever else runs on the machine; report medians.
    for (int round = 0; round < g_flags.rounds; ++round) {
      Throughput direct;
      RunOnThread([&] { direct = RawThroughput(raw_batch, window); });
      double mean_batch = 0;
      const Throughput through_batcher = ServedThroughput(&callers, &observer, window, &mean_batch);
      raw.push_back(direct.per_second);
      served.push_back(through_batcher.per_second);
      ratios.push_back(through_batcher.per_second / direct.per_second);
      cpu_ratios.push_back(through_batcher.per_cpu_second / direct.per_cpu_second);
      mean_batches.push_back(mean_batch);
      raw_faults.push_back(direct.page_faults_per_item);
      served_faults.push_back(through_batcher.page_faults_per_item);
    }
  }
  const std::string key = absl::StrCat(batch, ":", num_callers);
  Results()["served:" + key] = Median(served);
  Results()["paired_raw:" + key] = Median(raw);
  Results()["ratio:" + key] = Median(ratios);
  Results()["cpu_ratio:" + key] = Median(cpu_ratios);
  Results()["mean_batch:" + key] = Median(mean_batches);
  state.counters["raw_items_per_s"] = Median(raw);
  state.counters["served_items_per_s"] = Median(served);
  state.counters["ratio"] = Median(ratios);
  state.counters["cpu_ratio"] = Median(cpu_ratios);
  state.counters["mean_batch"] = Median(mean_batches);
  state.counters["failed"] = static_cast<double>(callers.failed());
  state.counters["raw_faults_per_item"] = Median(raw_faults);
  state.counters["served_faults_per_item"] = Median(served_faults);
}

BENCHMARK(BM_RawModule)
    ->ArgName("batch")
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Arg(8)
    ->Arg(16)
    ->Arg(32)
    ->MinTime(0.5)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BatcherOverheadFake)
    ->ArgName("batch")
    ->Arg(1)
    ->Arg(8)
    ->Arg(32)
    ->MinTime(0.3)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BatcherOverheadTorch)
    ->ArgName("batch")
    ->Arg(1)
    ->Arg(8)
    ->Arg(32)
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
BENCHMARK(BM_Served)
    ->ArgNames({"batch", "callers"})
    ->Args({8, 16})
    ->Args({8, 64})
    ->Args({16, 64})
    ->Args({32, 64})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

void PrintSummary() {
  const std::map<std::string, double>& results = Results();
  auto get = [&](const std::string& key) {
    auto it = results.find(key);
    return it == results.end() ? -1.0 : it->second;
  };
  std::printf(
      "\n=== affect-engine-bench summary (model %s, intra_op_threads %d, instance_count %d,"
      " max_queue_delay_us %d) ===\n",
      g_flags.model.empty() ? "generated convnet 1x64x64" : g_flags.model.c_str(),
      g_flags.intra_op_threads, g_flags.instance_count, g_flags.max_queue_delay_us);
  double best_raw = 0;
  int best_batch = 0;
  for (int batch : {1, 2, 4, 8, 16, 32}) {
    const double raw = get(absl::StrCat("raw:", batch));
    if (raw < 0) continue;
    std::printf("raw module at batch %2d: %8.1f items/s (%7.1f us/item)\n", batch, raw, 1e6 / raw);
    if (raw > best_raw) {
      best_raw = raw;
      best_batch = batch;
    }
  }
  if (best_batch > 0) {
    std::printf("best raw throughput: %.1f items/s at batch %d\n", best_raw, best_batch);
  }
  for (int batch : {1, 8, 32}) {
    const double fake = get(absl::StrCat("fake:", batch));
    if (fake >= 0) {
      std::printf("batcher overhead, zero-cost executor, batch %2d: %6.2f us/item\n", batch, fake);
    }
    const double torch = get(absl::StrCat("torch:", batch));
    const double raw = get(absl::StrCat("torch_raw:", batch));
    if (torch >= 0 && raw > 0) {
      const double overhead = get(absl::StrCat("torch_overhead:", batch));
      std::printf(
          "batcher + model at batch %2d: %7.1f us/item vs module alone %7.1f us/item (paired):"
          " overhead %+.1f us/item (%+.1f%%)\n",
          batch, torch, raw, overhead, 100.0 * overhead / raw);
    }
  }
  for (const auto& [key, served] : results) {
    if (key.rfind("served:", 0) != 0) continue;
    const std::vector<std::string> parts = absl::StrSplit(key, ':');
    const std::string suffix = absl::StrCat(parts[1], ":", parts[2]);
    std::printf(
        "served/raw ratio at batch %s with %s callers: %.3f (served %.1f items/s, raw %.1f"
        " items/s, mean batch %.2f; per CPU-second: %.3f)\n",
        parts[1].c_str(), parts[2].c_str(), get("ratio:" + suffix), served,
        get("paired_raw:" + suffix), get("mean_batch:" + suffix), get("cpu_ratio:" + suffix));
  }
}

bool ParseIntFlag(absl::string_view arg, absl::string_view name, int* value) {
  if (!absl::ConsumePrefix(&arg, name)) return false;
  if (!absl::SimpleAtoi(arg, value)) {
    std::fprintf(stderr, "bad value in %s\n", std::string(name).c_str());
    std::exit(2);
  }
  return true;
}

// Consumes this benchmark's own flags; leaves --benchmark_* to the library.
void ParseFlags(int* argc, char** argv) {
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--model=")) {
      g_flags.model = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--input_dims=")) {
      g_flags.input_dims.clear();
      for (absl::string_view dim : absl::StrSplit(arg, ',')) {
        int64_t value = 0;
        if (!absl::SimpleAtoi(dim, &value)) {
          std::fprintf(stderr, "bad --input_dims\n");
          std::exit(2);
        }
        g_flags.input_dims.push_back(value);
      }
    } else if (ParseIntFlag(arg, "--intra_op_threads=", &g_flags.intra_op_threads) ||
               ParseIntFlag(arg, "--instance_count=", &g_flags.instance_count) ||
               ParseIntFlag(arg, "--max_queue_delay_us=", &g_flags.max_queue_delay_us) ||
               ParseIntFlag(arg, "--window_ms=", &g_flags.window_ms) ||
               ParseIntFlag(arg, "--rounds=", &g_flags.rounds) ||
               ParseIntFlag(arg, "--tune_malloc=", &g_flags.tune_malloc)) {
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
}

}  // namespace
}  // namespace affect

int main(int argc, char** argv) {
  affect::ParseFlags(&argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  affect::SetLogLevel(affect::LogLevel::kWarning);  // no per-batcher start/stop lines
  // Keep freed activation buffers in the process, as the server does.
  if (affect::g_flags.tune_malloc != 0) affect::TuneMallocForInference();
  affect::SetTorchIntraOpThreads(affect::g_flags.intra_op_threads);
  affect::LoadModule();
  const affect::TorchRuntimeInfo info = affect::GetTorchRuntimeInfo();
  std::printf("LibTorch %s, BLAS %s, intra-op threads %d, %u hardware threads\n",
              info.version.c_str(), info.blas.c_str(), info.intra_op_threads,
              std::thread::hardware_concurrency());
  std::printf("malloc tuning (M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 256 MiB): %s\n",
              affect::g_flags.tune_malloc != 0 ? "on" : "off (--tune_malloc=0)");
  for (const char* name : {"OMP_WAIT_POLICY", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"}) {
    const char* value = std::getenv(name);
    std::printf("%s=%s ", name, value == nullptr ? "(unset)" : value);
  }
  std::printf("\n");
  if (std::getenv("OMP_WAIT_POLICY") == nullptr && affect::g_flags.intra_op_threads > 1) {
    std::printf(
        "note: with OMP_WAIT_POLICY unset, libgomp threads spin; on a busy 2-core machine"
        " that made Forward 50 to 100x slower. Run with OMP_WAIT_POLICY=PASSIVE.\n");
  }
  benchmark::RunSpecifiedBenchmarks();
  affect::PrintSummary();
  benchmark::Shutdown();
  return 0;
}

#include "server/engine/dynamic_batcher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/logging.h"
#include "server/common/status_macros.h"
#include "server/engine/thread_pool.h"

namespace affect {
namespace {

std::vector<int64_t> WithBatchDim(int64_t batch, const std::vector<int64_t>& dims) {
  std::vector<int64_t> shape;
  shape.reserve(dims.size() + 1);
  shape.push_back(batch);
  shape.insert(shape.end(), dims.begin(), dims.end());
  return shape;
}

absl::Status OptionError(const DynamicBatcherOptions& options, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("dynamic batcher for model '", options.model_name, "': ", message));
}

absl::Status ValidateOptions(const DynamicBatcherOptions& options) {
  if (options.model_name.empty()) {
    return absl::InvalidArgumentError("dynamic batcher: model_name must not be empty");
  }
  if (options.input_dims.empty()) {
    return OptionError(options, "input_dims must describe at least one input");
  }
  for (size_t k = 0; k < options.input_dims.size(); ++k) {
    for (int64_t dim : options.input_dims[k]) {
      if (dim < 0) {
        return OptionError(
            options, absl::StrCat("input_dims[", k, "] = ", ShapeToString(options.input_dims[k]),
                                  " has a negative dimension"));
      }
    }
  }
  if (options.max_batch_size < 1) {
    return OptionError(
        options, absl::StrCat("max_batch_size must be >= 1 (got ", options.max_batch_size, ")"));
  }
  for (int size : options.preferred_batch_sizes) {
    if (size < 1 || size > options.max_batch_size) {
      return OptionError(
          options, absl::StrCat("preferred batch size ", size,
                                " must be in [1, max_batch_size = ", options.max_batch_size, "]"));
    }
  }
  if (options.max_queue_delay < absl::ZeroDuration()) {
    return OptionError(options, absl::StrCat("max_queue_delay must be >= 0 (got ",
                                             absl::FormatDuration(options.max_queue_delay), ")"));
  }
  if (options.max_queue_size < 1) {
    return OptionError(
        options, absl::StrCat("max_queue_size must be >= 1 (got ", options.max_queue_size, ")"));
  }
  if (options.instance_count < 1) {
    return OptionError(
        options, absl::StrCat("instance_count must be >= 1 (got ", options.instance_count, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

// Shared by the queued items of one request. Owned collectively by its
// unresolved items: whoever resolves the last one answers the request and
// deletes the state.
struct DynamicBatcher::RequestState {
  std::unique_ptr<InferenceRequest> request;
  // Set with the first failure so that the request's other queued items are
  // dropped instead of computed.
  std::atomic<bool> failed{false};

  std::mutex mu;
  // Guarded by mu:
  int unresolved = 0;
  absl::Status first_error;
  InferenceResult result;
};

struct DynamicBatcher::QueuedItem {
  RequestState* state;
  int index;  // into state->request->items
  absl::Time enqueue_time;
};

struct DynamicBatcher::DroppedItem {
  QueuedItem item;
  absl::Status status;
};

struct DynamicBatcher::Batch {
  std::vector<QueuedItem> items;     // to compute
  std::vector<DroppedItem> dropped;  // answered without computing
  absl::Time dequeue_time;
};

absl::StatusOr<std::unique_ptr<DynamicBatcher>> DynamicBatcher::Create(
    DynamicBatcherOptions options, std::shared_ptr<BatchExecutor> executor) {
  AFFECT_RETURN_IF_ERROR(ValidateOptions(options));
  if (executor == nullptr) return OptionError(options, "executor must not be null");
  std::sort(options.preferred_batch_sizes.begin(), options.preferred_batch_sizes.end());
  options.preferred_batch_sizes.erase(
      std::unique(options.preferred_batch_sizes.begin(), options.preferred_batch_sizes.end()),
      options.preferred_batch_sizes.end());
  AFFECT_LOG(INFO)
          .With("model", options.model_name)
          .With("max_batch_size", options.max_batch_size)
          .With("preferred_batch_sizes", absl::StrJoin(options.preferred_batch_sizes, ","))
          .With("max_queue_delay_us", absl::ToInt64Microseconds(options.max_queue_delay))
          .With("max_queue_size", options.max_queue_size)
          .With("instance_count", options.instance_count)
      << "dynamic batcher started";
  return std::unique_ptr<DynamicBatcher>(
      new DynamicBatcher(std::move(options), std::move(executor)));
}

DynamicBatcher::DynamicBatcher(DynamicBatcherOptions options,
                               std::shared_ptr<BatchExecutor> executor)
    : options_(std::move(options)),
      executor_(std::move(executor)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()) {
  for (const std::vector<int64_t>& dims : options_.input_dims) {
    input_row_elements_.push_back(NumElements(dims));
  }
  if (!options_.preferred_batch_sizes.empty()) {
    max_preferred_batch_size_ = options_.preferred_batch_sizes.back();
  }
  workers_.reserve(static_cast<size_t>(options_.instance_count));
  for (int i = 0; i < options_.instance_count; ++i) {
    workers_.emplace_back([this, i] { WorkerLoop(i); });
  }
}

DynamicBatcher::~DynamicBatcher() { Shutdown(absl::ZeroDuration()); }

absl::Status DynamicBatcher::Validate(const InferenceRequest& request) const {
  const std::string& model = options_.model_name;
  if (!request.done) {
    return absl::InvalidArgumentError(
        absl::StrCat("request to model '", model, "' has no callback"));
  }
  if (request.items.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("request to model '", model, "' has no items"));
  }
  const int traffic_class = static_cast<int>(request.traffic_class);
  if (traffic_class < 0 || traffic_class >= kNumTrafficClasses) {
    return absl::InvalidArgumentError(
        absl::StrCat("request to model '", model, "' has unknown traffic class ", traffic_class));
  }
  if (static_cast<int64_t>(request.items.size()) > options_.max_queue_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("request to model '", model, "' has ", request.items.size(),
                     " items, more than the queue can ever hold (max_queue_size ",
                     options_.max_queue_size, ")"));
  }
  const size_t num_inputs = options_.input_dims.size();
  for (size_t i = 0; i < request.items.size(); ++i) {
    const std::vector<Tensor>& item = request.items[i];
    if (item.size() != num_inputs) {
      return absl::InvalidArgumentError(absl::StrCat("item ", i, " of a request to model '", model,
                                                     "' has ", item.size(),
                                                     " inputs; the model takes ", num_inputs));
    }
    for (size_t k = 0; k < num_inputs; ++k) {
      const Tensor& tensor = item[k];
      if (tensor.shape() != options_.input_dims[k] ||
          tensor.num_elements() != input_row_elements_[k]) {
        return absl::InvalidArgumentError(
            absl::StrCat("input ", k, " of item ", i, " of a request to model '", model,
                         "' has shape ", ShapeToString(tensor.shape()), "; the model expects ",
                         ShapeToString(options_.input_dims[k]), " (without the batch dimension)"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status DynamicBatcher::Submit(std::unique_ptr<InferenceRequest>& request) {
  if (request == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("null request submitted to model '", options_.model_name, "'"));
  }
  AFFECT_RETURN_IF_ERROR(Validate(*request));
  if (request->cancellation != nullptr && request->cancellation->cancelled()) {
    return absl::CancelledError(
        absl::StrCat("request to model '", options_.model_name, "' was cancelled before submit"));
  }
  if (request->deadline <= clock_->Now()) {
    return absl::DeadlineExceededError(absl::StrCat("request to model '", options_.model_name,
                                                    "' was past its deadline at submit"));
  }
  const int num_items = static_cast<int>(request->items.size());
  const int traffic_class = static_cast<int>(request->traffic_class);

  // Built before taking the lock; if the request is refused it is handed
  // back to the caller untouched.
  auto state = std::make_unique<RequestState>();
  state->unresolved = num_items;  // not shared yet
  state->result.outputs.resize(static_cast<size_t>(num_items));

  bool notify = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepting_) {
      return absl::UnavailableError(
          absl::StrCat("model '", options_.model_name, "' is shutting down"));
    }
    if (queued_items_ + num_items > options_.max_queue_size) {
      return absl::ResourceExhaustedError(
          absl::StrCat("model '", options_.model_name, "' queue full (", queued_items_,
                       " items queued, limit ", options_.max_queue_size, "): retry later"));
    }
    state->request = std::move(request);
    RequestState* raw = state.release();
    // Read under the lock so that enqueue times never decrease along a
    // queue: the front is always the oldest item.
    const absl::Time now = clock_->Now();
    std::deque<QueuedItem>& queue = queues_[traffic_class];
    for (int i = 0; i < num_items; ++i) queue.push_back(QueuedItem{raw, i, now});
    const bool was_empty = queued_items_ == 0;
    SetQueueDepth(queued_items_ + num_items);
    // An idle worker needs waking when it must start timing the queue delay
    // (the queue was empty) or when a batch can close now; items in between
    // change nothing for it.
    notify = was_empty || options_.max_queue_delay == absl::ZeroDuration() || FullBatchQueued();
  }
  if (notify) work_cv_.notify_one();
  return absl::OkStatus();
}

void DynamicBatcher::SetQueueDepth(int depth) {
  queued_items_ = depth;
  queue_depth_.store(depth, std::memory_order_relaxed);
  if (options_.observer != nullptr) options_.observer->OnQueueDepth(options_.model_name, depth);
}

bool DynamicBatcher::FullBatchQueued() const {
  return queued_items_ >= options_.max_batch_size ||
         (max_preferred_batch_size_ > 0 && queued_items_ >= max_preferred_batch_size_);
}

bool DynamicBatcher::BatchReady(absl::Time now, absl::Time* wake_at) const {
  *wake_at = absl::InfiniteFuture();
  if (queued_items_ == 0) return false;
  if (draining_ || FullBatchQueued()) return true;
  absl::Time oldest = absl::InfiniteFuture();
  for (const std::deque<QueuedItem>& queue : queues_) {
    if (!queue.empty()) oldest = std::min(oldest, queue.front().enqueue_time);
  }
  const absl::Time close_at = oldest + options_.max_queue_delay;
  if (now >= close_at) return true;
  *wake_at = close_at;
  return false;
}

int DynamicBatcher::BatchSizeFor(int queued) const {
  const int size = std::min(queued, options_.max_batch_size);
  // Largest preferred size that fits, if any (sizes are sorted ascending).
  const std::vector<int>& preferred = options_.preferred_batch_sizes;
  auto it = std::upper_bound(preferred.begin(), preferred.end(), size);
  return it == preferred.begin() ? size : *(it - 1);
}

DynamicBatcher::Batch DynamicBatcher::TakeBatch(absl::Time now) {
  Batch batch;
  batch.dequeue_time = now;
  const int target = BatchSizeFor(queued_items_);
  batch.items.reserve(static_cast<size_t>(target));
  int turn = next_class_;
  next_class_ = (next_class_ + 1) % kNumTrafficClasses;
  int remaining = queued_items_;
  while (static_cast<int>(batch.items.size()) < target && remaining > 0) {
    // Next non-empty class, taking turns item by item.
    int cls = turn;
    while (queues_[cls].empty()) cls = (cls + 1) % kNumTrafficClasses;
    turn = (cls + 1) % kNumTrafficClasses;
    QueuedItem item = queues_[cls].front();
    queues_[cls].pop_front();
    --remaining;

    const InferenceRequest& request = *item.state->request;
    if (item.state->failed.load(std::memory_order_acquire)) {
      // The request's first error is already recorded; this status is not
      // used. No point computing the rest of it.
      batch.dropped.push_back({item, absl::AbortedError("another item of the request failed")});
    } else if (request.cancellation != nullptr && request.cancellation->cancelled()) {
      batch.dropped.push_back(
          {item, absl::CancelledError(absl::StrCat("request to model '", options_.model_name,
                                                   "' was cancelled while queued"))});
    } else if (request.deadline <= now) {
      batch.dropped.push_back(
          {item, absl::DeadlineExceededError(absl::StrCat(
                     "deadline passed after ", absl::FormatDuration(now - item.enqueue_time),
                     " in the queue of model '", options_.model_name, "'"))});
    } else {
      batch.items.push_back(item);
    }
  }
  SetQueueDepth(remaining);
  return batch;
}

void DynamicBatcher::WorkerLoop(int index) {
  SetCurrentThreadName(absl::StrCat("batch-", index, "-", options_.model_name));
  while (true) {
    Batch batch;
    bool more_queued = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      absl::Time now = clock_->Now();
      absl::Time wake_at;
      while (!stop_ && !BatchReady(now, &wake_at)) {
        clock_->WaitUntil(&work_cv_, &lock, wake_at);
        now = clock_->Now();
      }
      // stop_ is set only once the queue is empty.
      if (stop_) return;
      batch = TakeBatch(now);
      ++running_batches_;
      more_queued = queued_items_ > 0;
    }
    // Another idle worker may be able to close the next batch (it
    // re-checks; a spurious wake-up costs little).
    if (more_queued) work_cv_.notify_one();
    RunBatch(batch);
    bool drained = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      --running_batches_;
      drained = draining_ && running_batches_ == 0 && queued_items_ == 0;
    }
    if (drained) drained_cv_.notify_all();
  }
}

void DynamicBatcher::RunBatch(Batch& batch) {
  EngineObserver* const observer = options_.observer;
  const std::string& model = options_.model_name;
  std::vector<std::unique_ptr<RequestState>> finished;

  for (DroppedItem& dropped : batch.dropped) {
    const absl::Duration queue_time = batch.dequeue_time - dropped.item.enqueue_time;
    if (observer != nullptr) observer->OnItemDequeued(model, queue_time);
    ResolveItem(dropped.item, dropped.status, {}, queue_time, absl::ZeroDuration(), 0, &finished);
  }

  const int rows = static_cast<int>(batch.items.size());
  if (rows > 0) {
    if (observer != nullptr) {
      for (const QueuedItem& item : batch.items) {
        observer->OnItemDequeued(model, batch.dequeue_time - item.enqueue_time);
      }
    }
    // Stack: one allocation per input, then one copy per row.
    const size_t num_inputs = options_.input_dims.size();
    std::vector<Tensor> inputs;
    inputs.reserve(num_inputs);
    for (size_t k = 0; k < num_inputs; ++k) {
      const size_t row = static_cast<size_t>(input_row_elements_[k]);
      // reserve + range insert: each row is one memmove, and the buffer is
      // not zero-filled first.
      std::vector<float> values;
      values.reserve(row * static_cast<size_t>(rows));
      for (const QueuedItem& item : batch.items) {
        const Tensor& source = item.state->request->items[static_cast<size_t>(item.index)][k];
        values.insert(values.end(), source.data(), source.data() + row);
      }
      inputs.emplace_back(WithBatchDim(rows, options_.input_dims[k]), std::move(values));
    }

    const absl::Time start = clock_->Now();
    absl::StatusOr<std::vector<Tensor>> outputs = executor_->Execute(inputs);
    const absl::Duration compute_time = clock_->Now() - start;
    inputs.clear();

    absl::Status status = outputs.status();
    if (status.ok() && outputs->empty()) {
      status =
          absl::InternalError(absl::StrCat("executor for model '", model, "' returned no outputs"));
    }
    if (status.ok()) {
      for (size_t j = 0; j < outputs->size(); ++j) {
        const Tensor& output = (*outputs)[j];
        if (output.rank() < 1 || output.dim(0) != rows ||
            output.num_elements() != NumElements(output.shape())) {
          status = absl::InternalError(
              absl::StrCat("executor for model '", model, "' returned output ", j, " with shape ",
                           ShapeToString(output.shape()), " and ", output.num_elements(),
                           " values for a batch of ", rows, " rows"));
          break;
        }
      }
    }
    if (observer != nullptr) observer->OnBatchExecuted(model, rows, compute_time, status);

    // Scatter: one allocation and one copy per row and output.
    std::vector<std::vector<Tensor>> item_outputs(static_cast<size_t>(rows));
    if (status.ok()) {
      for (std::vector<Tensor>& per_item : item_outputs) per_item.reserve(outputs->size());
      for (const Tensor& output : *outputs) {
        const std::vector<int64_t> row_shape(output.shape().begin() + 1, output.shape().end());
        const size_t row = static_cast<size_t>(output.row_elements());
        const float* in = output.data();
        for (int r = 0; r < rows; ++r, in += row) {
          item_outputs[static_cast<size_t>(r)].emplace_back(row_shape,
                                                            std::vector<float>(in, in + row));
        }
      }
    }
    const absl::Duration compute_share = compute_time / rows;
    for (int r = 0; r < rows; ++r) {
      const QueuedItem& item = batch.items[static_cast<size_t>(r)];
      ResolveItem(item, status, std::move(item_outputs[static_cast<size_t>(r)]),
                  batch.dequeue_time - item.enqueue_time, compute_share, rows, &finished);
    }
  }
  for (std::unique_ptr<RequestState>& state : finished) Finish(std::move(state));
}

void DynamicBatcher::ResolveItem(const QueuedItem& item, const absl::Status& status,
                                 std::vector<Tensor> outputs, absl::Duration queue_time,
                                 absl::Duration compute_share, int batch_size,
                                 std::vector<std::unique_ptr<RequestState>>* finished) {
  RequestState* state = item.state;
  bool last = false;
  {
    std::lock_guard<std::mutex> lock(state->mu);
    InferenceResult& result = state->result;
    if (status.ok()) {
      result.outputs[static_cast<size_t>(item.index)] = std::move(outputs);
      result.compute_time += compute_share;
      result.batch_size = std::max(result.batch_size, batch_size);
    } else if (state->first_error.ok()) {
      state->first_error = status;
      state->failed.store(true, std::memory_order_release);
    }
    result.queue_time = std::max(result.queue_time, queue_time);
    last = --state->unresolved == 0;
  }
  if (last) finished->emplace_back(state);
}

void DynamicBatcher::Finish(std::unique_ptr<RequestState> state) {
  absl::StatusOr<InferenceResult> answer;
  {
    std::lock_guard<std::mutex> lock(state->mu);
    if (state->first_error.ok()) {
      answer = std::move(state->result);
    } else {
      answer = state->first_error;
    }
  }
  if (options_.observer != nullptr) {
    options_.observer->OnRequestDone(options_.model_name, answer.status());
  }
  InferenceCallback done = std::move(state->request->done);
  state.reset();  // frees the inputs before the caller's callback runs
  std::move(done)(std::move(answer));
}

void DynamicBatcher::Shutdown(absl::Duration drain_timeout) {
  std::lock_guard<std::mutex> shutdown_lock(shutdown_mu_);
  if (shut_down_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    accepting_ = false;
    draining_ = true;
  }
  // Idle workers close batches at once from now on.
  work_cv_.notify_all();

  Batch leftovers;
  {
    std::unique_lock<std::mutex> lock(mu_);
    const absl::Time drain_deadline = clock_->Now() + std::max(drain_timeout, absl::ZeroDuration());
    while (queued_items_ > 0 || running_batches_ > 0) {
      if (clock_->WaitUntil(&drained_cv_, &lock, drain_deadline)) break;
    }
    leftovers.dequeue_time = clock_->Now();
    const absl::Status unavailable = absl::UnavailableError(absl::StrCat(
        "model '", options_.model_name, "' shut down before the request ran (drain timeout ",
        absl::FormatDuration(drain_timeout), ")"));
    for (std::deque<QueuedItem>& queue : queues_) {
      for (const QueuedItem& item : queue) leftovers.dropped.push_back({item, unavailable});
      queue.clear();
    }
    if (queued_items_ > 0) SetQueueDepth(0);
    stop_ = true;
  }
  work_cv_.notify_all();
  if (!leftovers.dropped.empty()) {
    AFFECT_LOG(WARNING).With("model", options_.model_name).With("items", leftovers.dropped.size())
        << "shutdown: failing items still queued after the drain timeout";
  }
  RunBatch(leftovers);
  for (std::thread& worker : workers_) worker.join();
  shut_down_ = true;
  AFFECT_LOG(INFO).With("model", options_.model_name) << "dynamic batcher stopped";
}

}  // namespace affect

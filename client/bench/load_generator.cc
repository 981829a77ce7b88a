#include "client/bench/load_generator.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "client/bench/open_loop_schedule.h"
#include "client/cli/rpc_error.h"
#include "grpcpp/client_context.h"

namespace affect::bench {

absl::Duration RetryDelay(std::optional<absl::Duration> pushback, int consecutive_refusals,
                          absl::Duration base, absl::Duration max, double jitter) {
  absl::Duration delay = max;
  if (pushback.has_value()) {
    delay = *pushback;
  } else {
    const int doublings = std::clamp(consecutive_refusals - 1, 0, 30);
    if (doublings < 30 && base * (int64_t{1} << doublings) < max) {
      delay = base * (int64_t{1} << doublings);
    }
  }
  return delay * std::clamp(jitter, 0.5, 1.5);
}

namespace {

// A send later than its schedule by more than this counts as late.
constexpr absl::Duration kLateThreshold = absl::Milliseconds(1);

bool IsRefusal(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
         status.error_code() == grpc::StatusCode::UNAVAILABLE;
}

std::optional<absl::Duration> PushbackOf(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto found = trailers.find("grpc-retry-pushback-ms");
  if (found == trailers.end()) return std::nullopt;
  int64_t millis = 0;
  if (!absl::SimpleAtoi(absl::string_view(found->second.data(), found->second.size()), &millis) ||
      millis < 0) {
    return std::nullopt;
  }
  return absl::Milliseconds(millis);
}

// What every call and stream reports to, and what the dispatcher waits on.
// Thread-safe (std::mutex, as the engine does, so TSan sees it).
class Recorder {
 public:
  explicit Recorder(Clock* clock) : clock_(clock) {}

  void Ok(absl::Duration latency, const v1::Timings* timings = nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    result_.latency.Add(latency);
    if (timings != nullptr && timings->total_ms() > 0) {
      result_.service.Add(absl::Milliseconds(timings->total_ms() - timings->wait_ms()));
      result_.server_wait.Add(absl::Milliseconds(timings->wait_ms()));
      result_.server_total.Add(absl::Milliseconds(timings->total_ms()));
    }
    ++result_.ok;
    last_answer_ = clock_->Now();
  }
  void Error(const grpc::Status& status, int64_t count = 1) {
    std::lock_guard<std::mutex> lock(mu_);
    ErrorLocked(client::StatusCodeName(status.error_code()), status.error_message(), count);
  }
  void FrameError(const v1::StatusDetail& error) {
    std::lock_guard<std::mutex> lock(mu_);
    ErrorLocked(client::StatusCodeName(error.code()), error.message(), 1);
  }
  void Add(int64_t LoadResult::*field, int64_t count) {
    std::lock_guard<std::mutex> lock(mu_);
    result_.*field += count;
  }

  Clock* clock() const { return clock_; }
  std::mutex& mu() { return mu_; }
  std::condition_variable& changed() { return changed_; }
  LoadResult& result_locked() { return result_; }
  absl::Time last_answer_locked() const { return last_answer_; }

 private:
  void ErrorLocked(const std::string& code, const std::string& message, int64_t count) {
    result_.errors[code] += count;
    result_.error_messages.emplace(code, message);
    last_answer_ = clock_->Now();
  }

  Clock* const clock_;
  std::mutex mu_;
  std::condition_variable changed_;
  LoadResult result_;
  absl::Time last_answer_ = absl::InfinitePast();
};

absl::Status Validate(const LoadOptions& options) {
  if (options.images.empty()) return absl::InvalidArgumentError("no images to send");
  if (options.concurrency < 1) return absl::InvalidArgumentError("concurrency must be >= 1");
  if (options.requests < 0) return absl::InvalidArgumentError("requests must be >= 0");
  if (options.requests == 0 && options.duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("give a number of requests or a positive duration");
  }
  if (options.rate < 0 || options.fps < 0) {
    return absl::InvalidArgumentError("rate and fps must be >= 0");
  }
  return absl::OkStatus();
}

// Waits on the recorder's condition variable until `deadline` (on the
// injected clock) or a notification.
void WaitUntil(Recorder* recorder, std::unique_lock<std::mutex>* lock, absl::Time deadline) {
  recorder->clock()->WaitUntil(&recorder->changed(), lock, deadline);
}

// ---------------------------------------------------------------------------
// Unary
// ---------------------------------------------------------------------------

class UnaryLoad {
 public:
  UnaryLoad(const client::Connection& connection, const LoadOptions& options)
      : connection_(connection),
        options_(options),
        stub_(v1::AffectService::NewStub(connection.channel())),
        recorder_(options.clock) {
    for (const std::string& image : options.images) {
      v1::AnalyzeRequest request;
      request.mutable_image()->set_encoded(image);
      for (v1::Analysis analysis : options.analyses) request.add_analyses(analysis);
      *request.mutable_options() = options.analysis_options;
      requests_.push_back(std::move(request));
    }
  }

  LoadResult Run() {
    Clock* clock = options_.clock;
    const absl::Time start = clock->Now();
    const bool open_loop = options_.rate > 0;
    const OpenLoopSchedule schedule(start, open_loop ? options_.rate : 1.0);
    const int64_t open_loop_count =
        options_.requests > 0 ? options_.requests : schedule.CountWithin(options_.duration);
    std::unique_lock<std::mutex> lock(recorder_.mu());
    for (int64_t i = 0;; ++i) {
      absl::Time scheduled = clock->Now();
      if (open_loop) {
        if (i >= open_loop_count) break;
        scheduled = schedule.SendTime(i);
        while (clock->Now() < scheduled) WaitUntil(&recorder_, &lock, scheduled);
      } else if (options_.requests > 0 ? i >= options_.requests
                                       : clock->Now() >= start + options_.duration) {
        break;
      }
      while (true) {
        // Workers backing off after a refusal hold their slot until then.
        const absl::Time now = clock->Now();
        while (!cooldowns_.empty() && *cooldowns_.begin() <= now) cooldowns_.erase(cooldowns_.begin());
        if (in_flight_ + static_cast<int>(cooldowns_.size()) < options_.concurrency) break;
        WaitUntil(&recorder_, &lock,
                  cooldowns_.empty() ? absl::InfiniteFuture() : *cooldowns_.begin());
      }
      const absl::Time now = clock->Now();
      if (open_loop && now - scheduled > kLateThreshold) {
        ++recorder_.result_locked().late_sends;
        recorder_.result_locked().max_send_lag =
            std::max(recorder_.result_locked().max_send_lag, now - scheduled);
      }
      ++in_flight_;
      ++recorder_.result_locked().sent;
      auto* call = new Call(this, open_loop ? scheduled : now);
      live_.insert(call);
      lock.unlock();
      Issue(call, requests_[static_cast<size_t>(i) % requests_.size()]);
      lock.lock();
    }
    // Drain: answers may take a while; past the timeout, cancel the rest.
    const absl::Time give_up = clock->Now() + options_.drain_timeout;
    while (in_flight_ > 0 && clock->Now() < give_up) WaitUntil(&recorder_, &lock, give_up);
    if (in_flight_ > 0) {
      // Calls that finish from now on are parked rather than deleted, so
      // that TryCancel (made without the lock: it may run callbacks inline)
      // never touches a deleted call.
      cancelling_ = true;
      const std::vector<Call*> remaining(live_.begin(), live_.end());
      lock.unlock();
      for (Call* call : remaining) call->context.TryCancel();
      lock.lock();
      while (in_flight_ > 0) WaitUntil(&recorder_, &lock, absl::InfiniteFuture());
      parked_.clear();
    }
    LoadResult result = std::move(recorder_.result_locked());
    result.elapsed = std::max(absl::ZeroDuration(), recorder_.last_answer_locked() - start);
    return result;
  }

 private:
  struct Call {
    Call(UnaryLoad* load_in, absl::Time start_in) : load(load_in), start(start_in) {}
    UnaryLoad* load;
    // Latency is measured from here: the scheduled time (open loop) or the
    // send (closed loop).
    absl::Time start;
    grpc::ClientContext context;
    v1::AnalyzeResponse response;
  };

  void Issue(Call* call, const v1::AnalyzeRequest& request) {
    connection_.PrepareContext(&call->context, options_.deadline);
    stub_->async()->Analyze(&call->context, &request, &call->response,
                            [call](grpc::Status status) { call->load->Done(call, status); });
  }

  // The callback of every call; may run on a gRPC thread or inline.
  void Done(Call* call, const grpc::Status& status) {
    if (status.ok()) {
      recorder_.Ok(options_.clock->Now() - call->start, &call->response.timings());
    } else {
      recorder_.Error(status);
    }
    const bool back_off =
        options_.retry_backoff && options_.rate == 0 && IsRefusal(status);
    const std::optional<absl::Duration> pushback =
        back_off ? PushbackOf(call->context) : std::nullopt;
    std::lock_guard<std::mutex> lock(recorder_.mu());
    if (back_off) {
      ++consecutive_refusals_;
      const double jitter = std::uniform_real_distribution<double>(0.5, 1.5)(random_);
      const absl::Duration delay =
          RetryDelay(pushback, consecutive_refusals_, options_.retry_backoff_base,
                     options_.retry_backoff_max, jitter);
      cooldowns_.insert(options_.clock->Now() + delay);
      ++recorder_.result_locked().backoffs;
      recorder_.result_locked().backoff_time += delay;
    } else if (status.ok()) {
      consecutive_refusals_ = 0;
    }
    live_.erase(call);
    --in_flight_;
    recorder_.changed().notify_all();
    if (cancelling_) {
      parked_.emplace_back(call);
    } else {
      delete call;
    }
  }

  const client::Connection& connection_;
  const LoadOptions& options_;
  std::unique_ptr<v1::AffectService::Stub> stub_;
  std::vector<v1::AnalyzeRequest> requests_;
  Recorder recorder_;
  int in_flight_ = 0;                          // guarded by recorder_.mu()
  std::set<Call*> live_;                       // guarded by recorder_.mu()
  bool cancelling_ = false;                    // guarded by recorder_.mu()
  std::multiset<absl::Time> cooldowns_;        // guarded by recorder_.mu()
  int consecutive_refusals_ = 0;               // guarded by recorder_.mu()
  std::mt19937 random_{std::random_device{}()};  // guarded by recorder_.mu()
  std::vector<std::unique_ptr<Call>> parked_;  // guarded by recorder_.mu()
};

// ---------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------

class StreamLoad;

// One AnalyzeStream session. Writes are queued (one outstanding write at a
// time, as the API requires); Start* calls are made without holding mu_
// because gRPC may run the reaction inline.
class StreamSession final : public grpc::ClientBidiReactor<v1::StreamRequest, v1::StreamResponse> {
 public:
  StreamSession(StreamLoad* load, int index) : load_(load), index_(index) {}

  void Start(v1::AffectService::Stub* stub, const client::Connection& connection,
             const v1::StreamConfig& config);
  // Queues the next frame (image `image`), latency measured from
  // `scheduled`. False when it was not sent (client queue full, or the
  // stream is closing or over).
  bool SendFrame(const std::string& image, absl::Time scheduled, int max_queued);
  // Half-closes once every queued frame is written.
  void CloseWrites();
  void Cancel() { context_.TryCancel(); }

  void OnWriteDone(bool ok) override;
  void OnWritesDoneDone(bool) override {}
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

  int index() const { return index_; }

 private:
  StreamLoad* const load_;
  const int index_;
  grpc::ClientContext context_;
  v1::StreamResponse response_;

  std::mutex mu_;
  v1::StreamRequest current_;                      // being written
  std::deque<v1::StreamRequest> queue_;            // guarded by mu_
  std::map<uint64_t, absl::Time> pending_;         // sequence -> scheduled; guarded by mu_
  uint64_t next_sequence_ = 0;                     // guarded by mu_
  absl::Time first_frame_ = absl::InfinitePast();  // guarded by mu_
  bool writing_ = false;                           // guarded by mu_
  bool closing_ = false;                           // guarded by mu_
  bool writes_done_started_ = false;               // guarded by mu_
  bool over_ = false;                              // guarded by mu_
  int64_t last_dropped_ = 0;                       // guarded by mu_
};

class StreamLoad {
 public:
  StreamLoad(const client::Connection& connection, const LoadOptions& options)
      : connection_(connection),
        options_(options),
        stub_(v1::AffectService::NewStub(connection.channel())),
        recorder_(options.clock) {
    for (v1::Analysis analysis : options.analyses) config_.add_analyses(analysis);
    *config_.mutable_options() = options.analysis_options;
    config_.set_drop_policy(options.drop_policy);
    if (options.max_frames_in_flight > 0) {
      config_.set_max_frames_in_flight(static_cast<uint32_t>(options.max_frames_in_flight));
    }
    if (options.scene_interval_ms > 0) {
      config_.set_scene_interval_ms(static_cast<uint32_t>(options.scene_interval_ms));
    }
    if (options.attire_interval_ms > 0) {
      config_.set_attire_interval_ms(static_cast<uint32_t>(options.attire_interval_ms));
    }
  }

  LoadResult Run() {
    Clock* clock = options_.clock;
    const absl::Time start = clock->Now();
    for (int i = 0; i < options_.concurrency; ++i) {
      sessions_.push_back(std::make_unique<StreamSession>(this, i));
    }
    {
      std::lock_guard<std::mutex> lock(recorder_.mu());
      for (const auto& session : sessions_) idle_.push_back(session.get());
    }
    for (const auto& session : sessions_) {
      session->Start(stub_.get(), connection_, config_);
    }
    const bool paced = options_.fps > 0;
    const OpenLoopSchedule schedule(start, paced ? options_.fps * options_.concurrency : 1.0);
    const int64_t paced_count =
        options_.requests > 0 ? options_.requests : schedule.CountWithin(options_.duration);
    std::unique_lock<std::mutex> lock(recorder_.mu());
    for (int64_t i = 0;; ++i) {
      StreamSession* session = nullptr;
      absl::Time scheduled;
      if (paced) {
        // Frame i of the whole load goes to stream i % N: each stream sends
        // at fps, and the streams are staggered evenly.
        if (i >= paced_count) break;
        scheduled = schedule.SendTime(i);
        while (clock->Now() < scheduled) WaitUntil(&recorder_, &lock, scheduled);
        session = sessions_[static_cast<size_t>(i % options_.concurrency)].get();
      } else {
        if (options_.requests > 0 ? i >= options_.requests
                                  : clock->Now() >= start + options_.duration) {
          break;
        }
        // Closed loop: wait for a stream whose last frame was answered.
        const absl::Time end =
            options_.requests > 0 ? absl::InfiniteFuture() : start + options_.duration;
        while (idle_.empty() && done_ < options_.concurrency && clock->Now() < end) {
          WaitUntil(&recorder_, &lock, end);
        }
        if (idle_.empty()) break;
        session = idle_.front();
        idle_.pop_front();
        scheduled = clock->Now();
      }
      lock.unlock();
      const std::string& image = options_.images[static_cast<size_t>(i) % options_.images.size()];
      const bool sent = session->SendFrame(image, scheduled, options_.max_queued_frames);
      lock.lock();
      if (sent) {
        ++recorder_.result_locked().sent;
      } else {
        ++recorder_.result_locked().frames_not_sent;
      }
    }
    lock.unlock();
    for (const auto& session : sessions_) session->CloseWrites();
    lock.lock();
    const absl::Time give_up = clock->Now() + options_.drain_timeout;
    while (done_ < options_.concurrency && clock->Now() < give_up) {
      WaitUntil(&recorder_, &lock, give_up);
    }
    if (done_ < options_.concurrency) {
      lock.unlock();
      for (const auto& session : sessions_) session->Cancel();
      lock.lock();
    }
    while (done_ < options_.concurrency) WaitUntil(&recorder_, &lock, absl::InfiniteFuture());
    LoadResult result = std::move(recorder_.result_locked());
    result.elapsed = std::max(absl::ZeroDuration(), recorder_.last_answer_locked() - start);
    return result;
  }

  Recorder& recorder() { return recorder_; }
  Clock* clock() const { return options_.clock; }
  bool closed_loop() const { return options_.fps <= 0; }

  // A stream's frame was answered (closed loop: it may send again).
  void Idle(StreamSession* session) {
    std::lock_guard<std::mutex> lock(recorder_.mu());
    idle_.push_back(session);
    recorder_.changed().notify_all();
  }
  void SessionDone(const grpc::Status& status, int64_t unanswered, int64_t dropped) {
    std::lock_guard<std::mutex> lock(recorder_.mu());
    LoadResult& result = recorder_.result_locked();
    result.frames_dropped += dropped;
    if (!status.ok()) {
      ++result.streams_failed;
      const std::string code = client::StatusCodeName(status.error_code());
      // Frames lost with the stream count as errors of its code; a stream
      // that failed with nothing pending counts once.
      result.errors[code] += std::max<int64_t>(1, unanswered);
      result.error_messages.emplace(code, status.error_message());
    }
    ++done_;
    recorder_.changed().notify_all();
  }

 private:
  const client::Connection& connection_;
  const LoadOptions& options_;
  std::unique_ptr<v1::AffectService::Stub> stub_;
  v1::StreamConfig config_;
  Recorder recorder_;
  std::vector<std::unique_ptr<StreamSession>> sessions_;
  std::deque<StreamSession*> idle_;  // guarded by recorder_.mu()
  int done_ = 0;                     // guarded by recorder_.mu()
};

void StreamSession::Start(v1::AffectService::Stub* stub, const client::Connection& connection,
                          const v1::StreamConfig& config) {
  connection.PrepareContext(&context_, absl::InfiniteDuration());
  stub->async()->AnalyzeStream(&context_, this);
  {
    std::lock_guard<std::mutex> lock(mu_);
    *current_.mutable_config() = config;
    current_.mutable_config()->set_stream_id(absl::StrCat("affect-bench-", index_));
    writing_ = true;
  }
  StartWrite(&current_);
  StartRead(&response_);
  StartCall();
}

bool StreamSession::SendFrame(const std::string& image, absl::Time scheduled, int max_queued) {
  v1::StreamRequest request;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (over_ || closing_ || static_cast<int>(queue_.size()) >= max_queued) return false;
    if (first_frame_ == absl::InfinitePast()) first_frame_ = scheduled;
    const uint64_t sequence = next_sequence_++;
    pending_[sequence] = scheduled;
    v1::VideoFrame* frame = request.mutable_frame();
    frame->set_sequence(sequence);
    frame->set_timestamp_us(absl::ToInt64Microseconds(scheduled - first_frame_));
    frame->mutable_image()->set_encoded(image);
    if (writing_) {
      queue_.push_back(std::move(request));
      return true;
    }
    writing_ = true;
    current_ = std::move(request);
  }
  StartWrite(&current_);
  return true;
}

void StreamSession::CloseWrites() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    if (writing_ || writes_done_started_ || over_) return;
    writes_done_started_ = true;
  }
  StartWritesDone();
}

void StreamSession::OnWriteDone(bool ok) {
  bool write_next = false;
  bool half_close = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ok) {
      // The stream is broken; OnDone will report why.
      writing_ = false;
      over_ = true;
      queue_.clear();
      return;
    }
    if (!queue_.empty()) {
      current_ = std::move(queue_.front());
      queue_.pop_front();
      write_next = true;
    } else {
      writing_ = false;
      if (closing_ && !writes_done_started_) {
        writes_done_started_ = true;
        half_close = true;
      }
    }
  }
  if (write_next) StartWrite(&current_);
  if (half_close) StartWritesDone();
}

void StreamSession::OnReadDone(bool ok) {
  if (!ok) return;  // the server closed its side; OnDone follows
  if (!response_.has_frame()) {
    std::lock_guard<std::mutex> lock(mu_);
    last_dropped_ = static_cast<int64_t>(response_.stats().frames_dropped());
  } else {
    const v1::FrameResult& frame = response_.frame();
    std::optional<absl::Time> scheduled;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = pending_.find(frame.sequence());
      if (it != pending_.end()) scheduled = it->second;
      last_dropped_ = static_cast<int64_t>(response_.stats().frames_dropped());
      // Results come in frame order: earlier frames still pending were
      // dropped by the server.
      pending_.erase(pending_.begin(), pending_.upper_bound(frame.sequence()));
    }
    if (frame.has_error()) {
      load_->recorder().FrameError(frame.error());
    } else if (scheduled.has_value()) {
      load_->recorder().Ok(load_->clock()->Now() - *scheduled, &frame.timings());
    }
    if (load_->closed_loop()) load_->Idle(this);
  }
  StartRead(&response_);
}

void StreamSession::OnDone(const grpc::Status& status) {
  int64_t unanswered = 0;
  int64_t dropped = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    over_ = true;
    unanswered = static_cast<int64_t>(pending_.size());
    dropped = last_dropped_;
  }
  // The server's counters say how many frames it dropped; when the stream
  // failed, frames still pending are lost with it.
  load_->SessionDone(status, status.ok() ? 0 : unanswered, dropped);
}

}  // namespace

int64_t LoadResult::failed() const {
  int64_t total = 0;
  for (const auto& [code, count] : errors) total += count;
  return total;
}

double LoadResult::throughput_per_second() const {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? static_cast<double>(ok) / seconds : 0.0;
}

absl::StatusOr<LoadResult> RunLoad(const client::Connection& connection,
                                   const LoadOptions& options) {
  if (absl::Status valid = Validate(options); !valid.ok()) return valid;
  if (options.mode == LoadMode::kUnary) return UnaryLoad(connection, options).Run();
  return StreamLoad(connection, options).Run();
}

}  // namespace affect::bench

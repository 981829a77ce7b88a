#include "server/api/stream_session.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/api/grpc_status.h"
#include "server/api/response_timings.h"
#include "server/common/logging.h"
#include "server/pipeline/encoded_image_analysis.h"

namespace affect {
namespace {

v1::StatusDetail ToDetail(const absl::Status& status) {
  v1::StatusDetail detail;
  detail.set_code(static_cast<int>(status.code()));
  detail.set_message(std::string(status.message()));
  return detail;
}

// Refuses a stream before it starts.
class RefusedStream : public grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse> {
 public:
  explicit RefusedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

// The scheduler's way into a session. The scheduler may call it after the
// session has ended (a decision made just before); Detach, in the session's
// destructor, makes every later call a no-op, and a call in progress keeps
// the session alive with a reference.
class StreamSession::SchedulerSink : public stream::FrameSink {
 public:
  explicit SchedulerSink(StreamSession* session) : session_(session) {}

  void StartFrame(int64_t frame_id) override {
    if (StreamSession* session = Acquire()) {
      session->OnFrameStart(frame_id);
      session->Unref();
    }
    // Otherwise the session is gone; its handle's release returns the slot.
  }
  void DropFrame(int64_t frame_id, stream::FrameDropReason reason) override {
    if (StreamSession* session = Acquire()) {
      session->OnFrameDrop(frame_id, reason);
      session->Unref();
    }
  }
  void Detach() {
    absl::MutexLock lock(&mutex_);
    session_ = nullptr;
  }

 private:
  StreamSession* Acquire() {
    absl::MutexLock lock(&mutex_);
    if (session_ == nullptr || !session_->TryRef()) return nullptr;
    return session_;
  }

  absl::Mutex mutex_;
  StreamSession* session_ ABSL_GUARDED_BY(mutex_);
};

StreamSession::StreamSession(grpc::CallbackServerContext* context, const StreamResources& resources,
                             absl::Time start)
    : context_(context),
      deadline_(absl::FromChrono(context->deadline())),
      resources_(resources),
      options_(*resources.options),
      start_(start),
      sink_(std::make_shared<SchedulerSink>(this)),
      protocol_(ProtocolOptions()) {
  last_read_ = start;
}

stream::StreamProtocolOptions StreamSession::ProtocolOptions() {
  stream::StreamProtocolOptions protocol;
  protocol.default_max_frame_age = options_.stream_max_frame_age;
  protocol.max_running_frames = kMaxRunningFrames;
  protocol.max_buffered_audio_seconds = kMaxBufferedAudioSeconds;
  // Accept runs under mutex_ (OnReadDone), so the check may use the
  // session's guarded state.
  protocol.server_config_check = [this](const v1::StreamConfig& config) {
    return CheckConfigForServer(config);
  };
  return protocol;
}

StreamSession::~StreamSession() {
  // In this order: no scheduler call reaches the session after Detach, and
  // releasing the handle returns any slot decided for it meanwhile.
  sink_->Detach();
  scheduled_.reset();
}

grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse>* StreamSession::Start(
    grpc::CallbackServerContext* context, const grpc::Status& admitted,
    const StreamResources& resources, absl::Time start) {
  if (!admitted.ok()) return new RefusedStream(admitted);
  auto* session = new StreamSession(context, resources, start);
  if (ServerMetrics* metrics = resources.tracker->metrics(); metrics != nullptr) {
    metrics->AddActiveStreams(1);
  }
  // The registry is called without the session's lock: its housekeeping
  // calls into sessions (CheckTimeouts, Drain) under the registry's lock, so
  // registering under the session's lock would order the two locks both
  // ways. `registered_` is set before registering (nothing can end the
  // session before Start returns but the registry itself, once it has it),
  // so OnDone always unregisters a registered session.
  const bool ready = resources.pipelines.ready();
  if (ready) {
    absl::MutexLock lock(&session->mutex_);
    session->registered_ = true;
  }
  const RegisterResult registered =
      ready ? resources.registry->Register(session, context->peer()) : RegisterResult::kOk;
  {
    absl::MutexLock lock(&session->mutex_);
    const ServerOptions& options = *resources.options;
    if (registered != RegisterResult::kOk) session->registered_ = false;
    if (!ready) {
      session->Abort(absl::UnavailableError(
          "the server is starting: models are still loading; retry in a few seconds"));
    } else {
      switch (registered) {
        case RegisterResult::kOk:
          break;
        case RegisterResult::kConnectionFull:
          session->Abort(absl::ResourceExhaustedError(absl::StrCat(
              "too many streams on this connection: ", options.max_streams_per_connection,
              " are open (--max_streams_per_connection); close one or open another connection")));
          break;
        case RegisterResult::kServerFull:
          session->Abort(
              absl::ResourceExhaustedError(absl::StrCat("too many streams: ", options.max_streams,
                                                        " are open (--max_streams); retry later")));
          break;
        case RegisterResult::kDraining:
          session->Abort(absl::UnavailableError("server is shutting down"));
          break;
      }
    }
  }
  session->Pump();
  return session;
}

// ---------------------------------------------------------------------------
// References
// ---------------------------------------------------------------------------

void StreamSession::Ref() {
  absl::MutexLock lock(&mutex_);
  ++refs_;
}

bool StreamSession::TryRef() {
  absl::MutexLock lock(&mutex_);
  if (refs_ == 0) return false;
  ++refs_;
  return true;
}

void StreamSession::Unref() {
  bool last;
  {
    absl::MutexLock lock(&mutex_);
    last = --refs_ == 0;
  }
  if (last) delete this;
}

// ---------------------------------------------------------------------------
// gRPC reactions
// ---------------------------------------------------------------------------

void StreamSession::OnReadDone(bool ok) {
  std::optional<int64_t> enqueue;
  stream::ScheduledStream* scheduled = nullptr;
  bool aborted = false;
  {
    absl::MutexLock lock(&mutex_);
    reading_ = false;
    last_read_ = absl::Now();
    if (!ok) {
      read_closed_ = true;  // client half-closed (or the call broke: OnCancel says so)
    } else if (!abort_status_.has_value()) {
      absl::Status status;
      absl::StatusOr<stream::StreamStep> step = protocol_.Accept(request_);
      if (!step.ok()) {
        status = step.status();
      } else {
        switch (step->kind) {
          case stream::StreamStep::Kind::kConfigure:
            status = Configure(std::move(step->setup));
            break;
          case stream::StreamStep::Kind::kFrame:
            HoldFrame(request_.mutable_frame(), step->frame_index);
            enqueue = step->frame_index;
            break;
          case stream::StreamStep::Kind::kAudio:
            status = AddAudio(step->audio_timestamp_us, step->samples);
            break;
        }
      }
      if (!status.ok()) Abort(status);
    }
    scheduled = scheduled_view_;
    aborted = abort_status_.has_value();
  }
  // The scheduler may start or drop frames right here (its sink calls come
  // back into this session), so it is called without mutex_.
  if (enqueue.has_value() && scheduled != nullptr) scheduled->Enqueue(*enqueue);
  if (aborted) CloseScheduled();
  Pump();
}

void StreamSession::OnWriteDone(bool ok) {
  bool aborted;
  {
    absl::MutexLock lock(&mutex_);
    writing_ = false;
    if (!ok) Abort(absl::CancelledError("the client stopped reading (stream broken)"));
    aborted = abort_status_.has_value();
  }
  if (aborted) CloseScheduled();
  Pump();
}

void StreamSession::OnCancel() {
  cancellation_->Cancel();
  {
    absl::MutexLock lock(&mutex_);
    Abort(absl::CancelledError("stream cancelled by the client"));
  }
  CloseScheduled();
  Pump();
}

void StreamSession::Drain() {
  // Called by the registry under its lock: no gRPC operation here (a
  // reaction could run inline and re-enter the registry); the pump runs on a
  // worker.
  {
    absl::MutexLock lock(&mutex_);
    if (draining_) return;
    draining_ = true;
    ++refs_;
  }
  RunOnPoolOrInline(resources_.workers, [this] {
    Pump();
    Unref();
  });
}

void StreamSession::CheckTimeouts(absl::Time now) {
  // Called by the registry under its lock: decide here, act on a worker.
  {
    absl::MutexLock lock(&mutex_);
    if (finish_decided_ || abort_status_.has_value() || draining_) return;
    if (!configured_ && now - start_ > options_.stream_config_timeout) {
      Abort(absl::DeadlineExceededError(absl::StrCat(
          "no StreamConfig within ", absl::FormatDuration(options_.stream_config_timeout),
          " of opening the stream (--stream_config_timeout): send `config` first")));
    } else if (reading_ && now - last_read_ > options_.stream_idle_timeout) {
      Abort(absl::DeadlineExceededError(absl::StrCat(
          "the stream sent nothing for ", absl::FormatDuration(options_.stream_idle_timeout),
          " (--stream_idle_timeout): closed as idle")));
    } else {
      return;
    }
    ++refs_;
  }
  RunOnPoolOrInline(resources_.workers, [this] {
    CloseScheduled();
    Pump();
    Unref();
  });
}

void StreamSession::OnDone() {
  bool registered;
  grpc::Status status;
  {
    absl::MutexLock lock(&mutex_);
    registered = registered_;
    status = final_status_;
  }
  if (registered) resources_.registry->Unregister(this);
  if (ServerMetrics* metrics = resources_.tracker->metrics(); metrics != nullptr) {
    metrics->AddActiveStreams(-1);
  }
  resources_.tracker->Done(RpcMethod::kAnalyzeStream, status, start_, context_);
  Unref();
}

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

absl::StatusOr<std::string> StreamSession::CheckConfigForServer(const v1::StreamConfig& config) {
  auto id = CheckOrMakeId(config.stream_id(), "config.stream_id");
  if (!id.ok()) return id.status();
  stream_id_ = *id;
  auto plan = MakeAnalysisPlan(
      config.analyses(), config.options(), /*has_image=*/true, config.has_audio_format(),
      options_.disabled_analyses,
      [this](v1::Analysis analysis) { return resources_.pipelines.Availability(analysis); },
      "config.analyses", "config.options", &resources_.tracker->CallerOf(*context_));
  if (!plan.ok()) return plan.status();
  plan_ = *plan;
  return *id;
}

absl::Status StreamSession::Configure(stream::StreamSetup setup) {
  // Open takes the scheduler's lock but calls no sink: safe under mutex_.
  auto scheduled = resources_.scheduler->Open(setup.schedule, sink_);
  if (!scheduled.ok()) return scheduled.status();
  aggregator_ = std::move(setup.aggregator);
  audio_ = std::move(setup.audio);
  slow_refresh_ = std::make_unique<stream::SlowAnalysisRefresh>(
      setup.slow_intervals,
      stream::SlowAnalysesPlanned{plan_.scene, plan_.attire, plan_.body, plan_.attention});
  if (setup.live) live_frame_age_ = setup.schedule.max_frame_age;
  scheduled_ = *std::move(scheduled);
  scheduled_view_ = scheduled_.get();
  configured_ = true;
  AFFECT_LOG(INFO)
          .With("stream_id", stream_id_)
          .With("max_frames_in_flight", setup.schedule.max_in_flight)
          .With("drop_policy", v1::DropPolicy_Name(setup.schedule.drop_policy))
          .With("max_frame_age_ms", absl::ToInt64Milliseconds(setup.schedule.max_frame_age))
      << "stream started";
  return absl::OkStatus();
}

void StreamSession::HoldFrame(v1::VideoFrame* frame, int64_t index) {
  media_end_us_ = std::max(media_end_us_, frame->timestamp_us());
  stats_.set_frames_received(stats_.frames_received() + 1);
  if (ServerMetrics* metrics = resources_.tracker->metrics(); metrics != nullptr) {
    metrics->RecordFrames(FrameEvent::kReceived);
  }
  held_.emplace(index, HeldFrame{std::move(*frame), absl::Now()});
}

absl::Status StreamSession::AddAudio(int64_t timestamp_us, const std::vector<float>& samples) {
  stats_.set_audio_chunks_received(stats_.audio_chunks_received() + 1);
  stats_.set_audio_seconds_received(stats_.audio_seconds_received() +
                                    static_cast<double>(samples.size()) /
                                        protocol_.audio_format()->sample_rate_hz());
  if (!plan_.voice) return absl::OkStatus();  // counted, not analysed
  int64_t dropped_us = 0;
  if (absl::Status status = audio_->Add(timestamp_us, samples, &dropped_us); !status.ok()) {
    return status;
  }
  if (dropped_us > 0) {
    AFFECT_LOG(WARNING).With("stream_id", stream_id_).With("dropped_ms", dropped_us / 1000)
        << "voice analysis behind: audio dropped";
  }
  media_end_us_ = std::max(media_end_us_, audio_->end_us());
  return absl::OkStatus();
}

void StreamSession::Abort(const absl::Status& status) {
  if (abort_status_.has_value()) return;
  abort_status_ = status;
  cancellation_->Cancel();
  // Queued work is dropped at once (the scheduler's waiting frames with
  // CloseScheduled, right after); running frames finish quickly (their
  // queued model work is dropped by the cancellation flag).
  completed_.clear();
  outgoing_.clear();
  if (!stream_id_.empty() || status.code() != absl::StatusCode::kCancelled) {
    AFFECT_LOG(INFO)
            .With("stream_id", stream_id_)
            .With("code", absl::StatusCodeToString(status.code()))
        << "stream ended: " << status.message();
  }
}

void StreamSession::CloseScheduled() {
  stream::ScheduledStream* scheduled;
  {
    absl::MutexLock lock(&mutex_);
    scheduled = scheduled_view_;
  }
  if (scheduled != nullptr) scheduled->Close();
}

// ---------------------------------------------------------------------------
// The scheduler's decisions
// ---------------------------------------------------------------------------

void StreamSession::OnFrameStart(int64_t index) {
  std::optional<HeldFrame> frame;
  stream::ScheduledStream* scheduled;
  {
    absl::MutexLock lock(&mutex_);
    scheduled = scheduled_view_;
    auto held = held_.find(index);
    if (!abort_status_.has_value() && held != held_.end()) {
      frame = std::move(held->second);
      ++running_;
      ++refs_;
    }
    if (held != held_.end()) held_.erase(held);
  }
  if (!frame.has_value()) {
    // The stream has ended: hand the slot straight back.
    if (scheduled != nullptr) scheduled->FrameDone(index);
    return;
  }
  // On the pool: a refused frame finishes at once and frees its slot, which
  // may start the next frame; inline, that would recurse through the
  // scheduler.
  RunOnPoolOrInline(resources_.workers, [this, frame = std::move(*frame), index]() mutable {
    ProcessFrame(std::move(frame), index);
  });
}

void StreamSession::OnFrameDrop(int64_t index, stream::FrameDropReason reason) {
  {
    absl::MutexLock lock(&mutex_);
    held_.erase(index);
    if (!abort_status_.has_value()) CountDropped(index, reason);
  }
  Pump();  // a dropped frame may have been what the next result waited for
}

void StreamSession::CountDropped(int64_t index, stream::FrameDropReason reason) {
  FrameOutcome skipped;
  skipped.dropped = true;
  completed_[index] = std::move(skipped);
  stats_.set_frames_dropped(stats_.frames_dropped() + 1);
  const bool too_old = reason == stream::FrameDropReason::kTooOld;
  if (too_old) stats_.set_frames_too_old(stats_.frames_too_old() + 1);
  if (ServerMetrics* metrics = resources_.tracker->metrics(); metrics != nullptr) {
    metrics->RecordFrames(FrameEvent::kDropped);
    if (too_old) metrics->RecordFrames(FrameEvent::kTooOld);
  }
}

// ---------------------------------------------------------------------------
// The pump
// ---------------------------------------------------------------------------

void StreamSession::QueueResponse(v1::StreamResponse response) {
  response.set_stream_id(stream_id_);
  *response.mutable_stats() = stats_;
  outgoing_.push_back(std::move(response));
}

void StreamSession::QueueAggregates(std::vector<v1::StreamAggregate>* aggregates) {
  for (v1::StreamAggregate& aggregate : *aggregates) {
    v1::StreamResponse response;
    *response.mutable_aggregate() = std::move(aggregate);
    QueueResponse(std::move(response));
  }
  aggregates->clear();
}

void StreamSession::EmitCompleted() {
  std::vector<v1::StreamAggregate> aggregates;
  while (true) {
    auto next = completed_.find(next_emit_index_);
    if (next == completed_.end()) break;
    FrameOutcome& outcome = next->second;
    if (outcome.dropped) {
      completed_.erase(next);
      ++next_emit_index_;
      continue;
    }
    if (outcome.ok) {
      const int64_t timestamp = outcome.result.timestamp_us();
      // Voice must reach the aggregator before a frame closes its window:
      // hold the frame while a piece of that window is being analysed or is
      // ready to be (Pump starts it right after this).
      const int64_t window_end = aggregator_->open_window_end_us();
      if (timestamp >= window_end) {
        std::optional<int64_t> piece_start;
        if (voice_in_flight_.has_value()) {
          piece_start = voice_in_flight_->start_us;
        } else if (plan_.voice && audio_ != nullptr) {
          if (auto ready = audio_->Peek(false)) piece_start = ready->start_us;
        }
        if (piece_start.has_value() && *piece_start < window_end) {
          break;  // resumes when the voice piece is done
        }
      }
      const absl::Status status =
          aggregator_->AddFrame(timestamp, outcome.result.mutable_analysis(), &aggregates);
      if (!status.ok()) {
        AFFECT_LOG(WARNING).With("stream_id", stream_id_) << "aggregator: " << status.message();
      }
    }
    // After AddFrame: carried attire follows the track ids it assigned.
    slow_refresh_->Complete(outcome.slow, &outcome.result);
    v1::StreamResponse response;
    *response.mutable_frame() = std::move(outcome.result);
    completed_.erase(next);
    ++next_emit_index_;
    QueueResponse(std::move(response));
    QueueAggregates(&aggregates);
  }
}

void StreamSession::Pump() {
  if (!TryRef()) return;
  std::optional<stream::AudioPiece> voice_to_start;
  {
    absl::MutexLock lock(&mutex_);
    if (finish_decided_) {
      // Nothing more to decide; issue what was decided.
    } else if (abort_status_.has_value()) {
      // Nothing new starts; finish once running work has come back.
      if (running_ == 0 && !voice_in_flight_.has_value() && !writing_) {
        finish_decided_ = true;
        final_status_ = ToGrpcStatus(*abort_status_);
        grpc_ops_.push_back(GrpcOp::kFinish);
      }
    } else {
      const bool room_for_responses = outgoing_.size() < kMaxQueuedResponses;
      if (configured_) {
        EmitCompleted();
        // Voice: one piece at a time (the stream baseline is sequential),
        // and none while responses pile up unread (audio then waits in the
        // piecer's bounded buffer).
        const bool input_over = read_closed_ || draining_;
        if (input_over && audio_ != nullptr) audio_->Finish();
        if (plan_.voice && audio_ != nullptr && !voice_in_flight_.has_value() &&
            room_for_responses) {
          const bool final = input_over && held_.empty() && running_ == 0;
          if (auto piece = audio_->Take(final)) {
            voice_in_flight_ = stream::AudioPiece{piece->start_us, piece->end_us, nullptr};
            voice_to_start = std::move(piece);
            ++refs_;
          }
        }
        // End of input and everything answered: last aggregate and summary.
        if (input_over && !flushed_ && held_.empty() && running_ == 0 && completed_.empty() &&
            !voice_in_flight_.has_value()) {
          std::vector<v1::StreamAggregate> aggregates;
          aggregator_->Finish(std::max(media_end_us_, aggregator_->stream_time_us()), &aggregates);
          QueueAggregates(&aggregates);
          v1::StreamResponse summary;
          *summary.mutable_summary()->mutable_stats() = stats_;
          summary.mutable_summary()->set_reason(read_closed_ ? "client finished"
                                                             : "server shutting down");
          QueueResponse(std::move(summary));
          flushed_ = true;
          AFFECT_LOG(INFO)
                  .With("stream_id", stream_id_)
                  .With("frames_received", stats_.frames_received())
                  .With("frames_analysed", stats_.frames_analysed())
                  .With("frames_dropped", stats_.frames_dropped())
                  .With("frames_too_old", stats_.frames_too_old())
              << "stream finished";
        }
      } else if (draining_) {
        // Draining before the config arrived: nothing to flush.
        flushed_ = true;
      }
      // Read more unless the input is over, back-pressure applies, or the
      // client is not reading what it was sent.
      const bool room =
          room_for_responses && (scheduled_view_ == nullptr || scheduled_view_->HasRoom());
      if (!reading_ && !read_closed_ && !draining_ && room) {
        reading_ = true;
        last_read_ = absl::Now();
        grpc_ops_.push_back(GrpcOp::kRead);
      }
      if (!writing_ && !outgoing_.empty()) {
        writing_ = true;
        writing_response_ = std::move(outgoing_.front());
        outgoing_.pop_front();
        grpc_ops_.push_back(GrpcOp::kWrite);
      }
      if (flushed_ && !writing_ && outgoing_.empty()) {
        finish_decided_ = true;
        final_status_ = grpc::Status::OK;
        grpc_ops_.push_back(GrpcOp::kFinish);
      }
    }
  }
  if (voice_to_start.has_value()) {
    RunOnPoolOrInline(resources_.workers, [this, piece = std::move(*voice_to_start)]() mutable {
      ProcessVoice(std::move(piece));
    });
  }
  RunGrpcOps();
  Unref();
}

void StreamSession::RunGrpcOps() {
  {
    absl::MutexLock lock(&mutex_);
    if (issuing_ops_) return;  // the thread issuing ops will issue ours too, in order
    issuing_ops_ = true;
  }
  while (true) {
    GrpcOp op;
    grpc::Status status;
    {
      absl::MutexLock lock(&mutex_);
      if (grpc_ops_.empty()) {
        issuing_ops_ = false;
        return;
      }
      op = grpc_ops_.front();
      grpc_ops_.pop_front();
      status = final_status_;
    }
    switch (op) {
      case GrpcOp::kRead:
        StartRead(&request_);
        break;
      case GrpcOp::kWrite:
        StartWrite(&writing_response_);
        break;
      case GrpcOp::kFinish:
        Finish(status);
        break;
    }
  }
}

// ---------------------------------------------------------------------------
// Work on the pool
// ---------------------------------------------------------------------------

void StreamSession::ProcessFrame(HeldFrame held, int64_t index) {
  auto frame = std::make_shared<HeldFrame>(std::move(held));
  FrameOutcome outcome;
  outcome.result.set_sequence(frame->frame.sequence());
  outcome.result.set_timestamp_us(frame->frame.timestamp_us());
  AnalysisPlan plan;
  absl::Time start_by = absl::InfiniteFuture();
  bool live = false;
  stream::ScheduledStream* scheduled = nullptr;
  {
    absl::MutexLock lock(&mutex_);
    plan = plan_;
    live = live_frame_age_.has_value();
    scheduled = scheduled_view_;
    // Frames start in stream order, so the refresh sees them in order.
    outcome.slow = slow_refresh_->DueAt(frame->frame.timestamp_us());
  }
  // The scheduler is called without mutex_. Its start age limit leaves room
  // for the frame's expected run time within the maximum frame age.
  if (live && scheduled != nullptr) start_by = frame->received + scheduled->start_age_limit();
  ImageJob job;
  job.emotion = plan.emotion;
  job.attire = outcome.slow.attire;
  job.scene = outcome.slow.scene;
  job.body = outcome.slow.body;
  job.attention = outcome.slow.attention;
  job.overrides = plan.overrides;
  job.deadline = deadline_;
  job.cancellation = cancellation_;
  job.traffic_class = TrafficClass::kStream;
  // The frame (and its image) lives in `frame` until the callback has run.
  const absl::Status admitted = AnalyzeEncodedImage(
      resources_.pipelines.image.get(), resources_.decode_queue, &frame->frame.image(),
      std::move(job), {options_.max_image_pixels},
      [this, index, frame, outcome](absl::StatusOr<EncodedImageOutcome> analysed) mutable {
        v1::FrameResult& result = outcome.result;
        if (analysed.ok()) {
          *result.mutable_analysis() = std::move(analysed->analysis.analysis);
          result.mutable_timings()->set_decode_ms(
              absl::ToDoubleMilliseconds(analysed->decode_time));
          if (ServerMetrics* metrics = resources_.tracker->metrics(); metrics != nullptr) {
            metrics->RecordStage(Stage::kDecode, analysed->decode_time);
          }
          ReportPipelineTimings(analysed->analysis.timings, absl::Now() - frame->received,
                                result.mutable_timings(), resources_.tracker->metrics());
          result.mutable_timings()->set_wait_ms(
              absl::ToDoubleMilliseconds(analysed->decode_start - frame->received));
          outcome.ok = true;
        } else if (IsLateStart(analysed.status())) {
          outcome.too_old = true;
        } else {
          *result.mutable_error() = ToDetail(analysed.status());
        }
        FrameDone(index, std::move(outcome));
      },
      start_by);
  if (!admitted.ok()) {
    if (IsLateStart(admitted)) {
      outcome.too_old = true;
    } else {
      *outcome.result.mutable_error() = ToDetail(admitted);
    }
    FrameDone(index, std::move(outcome));
  }
}

void StreamSession::FrameDone(int64_t index, FrameOutcome outcome) {
  stream::ScheduledStream* scheduled;
  {
    absl::MutexLock lock(&mutex_);
    --running_;
    scheduled = scheduled_view_;
    ServerMetrics* metrics = resources_.tracker->metrics();
    if (outcome.too_old) {
      if (!abort_status_.has_value()) {
        slow_refresh_->Abandon(outcome.slow);
        CountDropped(index, stream::FrameDropReason::kTooOld);
      }
    } else {
      if (outcome.ok) {
        stats_.set_frames_analysed(stats_.frames_analysed() + 1);
        if (metrics != nullptr) metrics->RecordFrames(FrameEvent::kAnalysed);
      } else {
        stats_.set_frames_failed(stats_.frames_failed() + 1);
        if (metrics != nullptr) metrics->RecordFrames(FrameEvent::kFailed);
      }
      if (!abort_status_.has_value()) completed_[index] = std::move(outcome);
    }
  }
  // Frees the slot: may start a frame of this or another stream.
  scheduled->FrameDone(index);
  Pump();
  Unref();
}

void StreamSession::ProcessVoice(stream::AudioPiece piece) {
  ModelCallContext context;
  context.deadline = deadline_;
  context.cancellation = cancellation_;
  context.traffic_class = TrafficClass::kStream;
  std::shared_ptr<const std::vector<float>> samples = std::move(piece.samples);
  resources_.pipelines.voice->AnalyzeStreamWindow(
      std::move(samples), &voice_state_, context,
      [this, piece](absl::StatusOr<VoiceResult> result) { VoiceDone(piece, std::move(result)); });
}

void StreamSession::VoiceDone(stream::AudioPiece piece, absl::StatusOr<VoiceResult> result) {
  {
    absl::MutexLock lock(&mutex_);
    voice_in_flight_.reset();
    if (!abort_status_.has_value()) {
      if (!result.ok()) {
        AFFECT_LOG(WARNING).With("stream_id", stream_id_)
            << "voice piece not analysed: " << result.status().message();
      } else {
        const absl::Status status = aggregator_->AddVoice(piece.start_us, result->voice);
        if (!status.ok()) {
          AFFECT_LOG(WARNING).With("stream_id", stream_id_) << "aggregator: " << status.message();
        }
        if (stats_.frames_received() == 0) {
          // Audio-only stream: audio moves stream time on.
          std::vector<v1::StreamAggregate> aggregates;
          aggregator_->AdvanceTo(piece.end_us, &aggregates);
          QueueAggregates(&aggregates);
        }
      }
    }
  }
  Pump();
  Unref();
}

}  // namespace affect

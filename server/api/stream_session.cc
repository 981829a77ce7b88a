#include "server/api/stream_session.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/api/grpc_status.h"
#include "server/api/response_timings.h"
#include "server/common/logging.h"
#include "server/media/audio_decoder.h"
#include "server/media/image_decoder.h"

namespace affect {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
// Audio pieces shorter than this at the end of a stream are not analysed:
// too short for a pitch or a voice-activity decision.
constexpr int64_t kMinFinalPieceUs = 100'000;

int64_t SamplesToMicros(size_t samples) {
  return static_cast<int64_t>(samples) * kMicrosPerSecond / kAnalysisSampleRateHz;
}
size_t MicrosToSamples(int64_t micros) {
  return static_cast<size_t>(micros * kAnalysisSampleRateHz / kMicrosPerSecond);
}

v1::StatusDetail ToDetail(const absl::Status& status) {
  v1::StatusDetail detail;
  detail.set_code(static_cast<int>(status.code()));
  detail.set_message(std::string(status.message()));
  return detail;
}

// Runs `task` on the pool, or inline once the pool has shut down.
void Post(ThreadPool* workers, absl::AnyInvocable<void() &&> task) {
  auto shared = std::make_shared<absl::AnyInvocable<void() &&>>(std::move(task));
  if (!workers->Schedule([shared] { std::move(*shared)(); })) std::move(*shared)();
}

// Refuses a stream before it starts.
class RefusedStream : public grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse> {
 public:
  explicit RefusedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

StreamSession::StreamSession(grpc::CallbackServerContext* context, const ServerOptions& options,
                             const Pipelines& pipelines, ThreadPool* workers,
                             CallTracker* tracker, StreamRegistry* registry, absl::Time start)
    : context_(context),
      options_(options),
      pipelines_(pipelines),
      workers_(workers),
      tracker_(tracker),
      registry_(registry),
      start_(start) {}

grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse>* StreamSession::Start(
    grpc::CallbackServerContext* context, const grpc::Status& admitted,
    const ServerOptions& options, const Pipelines& pipelines, ThreadPool* workers,
    CallTracker* tracker, StreamRegistry* registry, absl::Time start) {
  if (!admitted.ok()) return new RefusedStream(admitted);
  auto* session =
      new StreamSession(context, options, pipelines, workers, tracker, registry, start);
  if (ServerMetrics* metrics = tracker->metrics(); metrics != nullptr) {
    metrics->AddActiveStreams(1);
  }
  {
    absl::MutexLock lock(&session->mutex_);
    if (!pipelines.ready()) {
      session->Abort(absl::UnavailableError(
          "the server is starting: models are still loading; retry in a few seconds"));
    } else if (!registry->Register(session)) {
      session->Abort(absl::ResourceExhaustedError(absl::StrCat(
          "too many streams: ", options.max_streams, " are open (--max_streams); retry later")));
    } else {
      session->registered_ = true;
    }
  }
  session->Pump();
  return session;
}

// ---------------------------------------------------------------------------
// gRPC reactions
// ---------------------------------------------------------------------------

void StreamSession::OnReadDone(bool ok) {
  {
    absl::MutexLock lock(&mutex_);
    reading_ = false;
    if (!ok) {
      read_closed_ = true;  // client half-closed (or the call broke: OnCancel says so)
    } else if (!abort_status_.has_value()) {
      absl::Status status;
      if (!configured_) {
        status = request_.has_config()
                     ? HandleConfig(request_.config())
                     : absl::InvalidArgumentError(
                           "the first message of a stream must be `config` (StreamConfig)");
      } else if (request_.has_config()) {
        status = absl::InvalidArgumentError("`config` may only be sent once, as the first message");
      } else if (request_.has_frame()) {
        status = HandleFrame(request_.mutable_frame());
      } else if (request_.has_audio()) {
        status = HandleAudio(request_.audio());
      } else {
        status = absl::InvalidArgumentError("empty StreamRequest: set config, frame or audio");
      }
      if (!status.ok()) Abort(status);
    }
  }
  Pump();
}

void StreamSession::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mutex_);
    writing_ = false;
    if (!ok) Abort(absl::CancelledError("the client stopped reading (stream broken)"));
  }
  Pump();
}

void StreamSession::OnCancel() {
  cancellation_->Cancel();
  {
    absl::MutexLock lock(&mutex_);
    Abort(absl::CancelledError("stream cancelled by the client"));
  }
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
  Post(workers_, [this] {
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
  if (registered) registry_->Unregister(this);
  if (ServerMetrics* metrics = tracker_->metrics(); metrics != nullptr) {
    metrics->AddActiveStreams(-1);
  }
  tracker_->Done(RpcMethod::kAnalyzeStream, status, start_);
  Unref();
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
// Messages
// ---------------------------------------------------------------------------

absl::Status StreamSession::HandleConfig(const v1::StreamConfig& config) {
  auto id = CheckOrMakeId(config.stream_id(), "config.stream_id");
  if (!id.ok()) return id.status();
  stream_id_ = *id;
  if (config.has_audio_format()) {
    if (absl::Status status = ValidateAudioFormat(config.audio_format(), "config.audio_format");
        !status.ok()) {
      return status;
    }
    audio_format_ = config.audio_format();
    resampler_ = std::make_unique<StreamingResampler>(config.audio_format().sample_rate_hz(),
                                                      kAnalysisSampleRateHz);
  }
  auto plan = MakeAnalysisPlan(
      config.analyses(), config.options(), /*has_image=*/true, audio_format_.has_value(),
      options_.disabled_analyses,
      [this](v1::Analysis analysis) { return pipelines_.Availability(analysis); },
      "config.analyses", "config.options");
  if (!plan.ok()) return plan.status();
  plan_ = *plan;
  policy_ = config.drop_policy() == v1::DROP_POLICY_UNSPECIFIED ? v1::DROP_POLICY_DROP_OLDEST
                                                                 : config.drop_policy();
  if (!v1::DropPolicy_IsValid(policy_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("config.drop_policy: ", static_cast<int>(policy_), " is not a drop policy"));
  }
  if (config.has_max_frames_in_flight()) {
    if (config.max_frames_in_flight() < 1 || config.max_frames_in_flight() > 64) {
      return absl::InvalidArgumentError(absl::StrCat("config.max_frames_in_flight: ",
                                                     config.max_frames_in_flight(),
                                                     " is outside [1, 64]"));
    }
    max_in_flight_ = static_cast<int>(config.max_frames_in_flight());
  }
  auto aggregator_options = stream::StreamAggregatorOptionsFromConfig(config);
  if (!aggregator_options.ok()) return aggregator_options.status();
  aggregator_options->stream_id = stream_id_;
  auto aggregator = stream::StreamAggregator::Create(*aggregator_options);
  if (!aggregator.ok()) return aggregator.status();
  aggregator_ = *std::move(aggregator);
  configured_ = true;
  AFFECT_LOG(INFO).With("stream_id", stream_id_).With("max_frames_in_flight", max_in_flight_)
          .With("drop_policy", v1::DropPolicy_Name(policy_))
      << "stream started";
  return absl::OkStatus();
}

absl::Status StreamSession::HandleFrame(v1::VideoFrame* frame) {
  if (last_sequence_.has_value() && frame->sequence() <= *last_sequence_) {
    return absl::InvalidArgumentError(absl::StrCat("frame.sequence ", frame->sequence(),
                                                   " does not increase (previous ",
                                                   *last_sequence_, ")"));
  }
  if (frame->timestamp_us() < 0 ||
      (last_timestamp_us_.has_value() && frame->timestamp_us() < *last_timestamp_us_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame.timestamp_us ", frame->timestamp_us(),
                     " is negative or earlier than the previous frame's"));
  }
  last_sequence_ = frame->sequence();
  last_timestamp_us_ = frame->timestamp_us();
  media_end_us_ = std::max(media_end_us_, frame->timestamp_us());
  stats_.set_frames_received(stats_.frames_received() + 1);
  ServerMetrics* metrics = tracker_->metrics();
  if (metrics != nullptr) metrics->RecordFrames(FrameEvent::kReceived);

  if (static_cast<int>(waiting_.size()) + running_ >= max_in_flight_) {
    // Full (BACKPRESSURE never gets here: it stops reading instead).
    const bool drop_waiting = policy_ == v1::DROP_POLICY_DROP_OLDEST && !waiting_.empty();
    if (drop_waiting) waiting_.pop_front();
    stats_.set_frames_dropped(stats_.frames_dropped() + 1);
    if (metrics != nullptr) metrics->RecordFrames(FrameEvent::kDropped);
    if (!drop_waiting) return absl::OkStatus();  // the new frame is the one dropped
  }
  waiting_.push_back(WaitingFrame{std::move(*frame), absl::Now()});
  return absl::OkStatus();
}

absl::Status StreamSession::HandleAudio(const v1::AudioChunk& chunk) {
  if (!audio_format_.has_value()) {
    return absl::InvalidArgumentError(
        "audio chunk received but config.audio_format was not set: say what the samples are");
  }
  auto samples = DecodePcmChunk(chunk.data(), *audio_format_, "audio.data");
  if (!samples.ok()) return samples.status();
  stats_.set_audio_chunks_received(stats_.audio_chunks_received() + 1);
  stats_.set_audio_seconds_received(stats_.audio_seconds_received() +
                                    static_cast<double>(samples->size()) /
                                        audio_format_->sample_rate_hz());
  if (!plan_.voice) return absl::OkStatus();  // counted, not analysed
  if (!audio_started_) {
    if (chunk.timestamp_us() < 0) {
      return absl::InvalidArgumentError("audio.timestamp_us must not be negative");
    }
    audio_started_ = true;
    audio_start_us_ = chunk.timestamp_us();
  }
  resampler_->Process(*samples, &audio_);
  const int64_t buffered_us = SamplesToMicros(audio_.size());
  if (buffered_us > static_cast<int64_t>(kMaxBufferedAudioSeconds * kMicrosPerSecond)) {
    // Voice analysis fell far behind: drop the oldest audio, keep memory
    // bounded.
    const size_t excess = audio_.size() - MicrosToSamples(static_cast<int64_t>(
                                              kMaxBufferedAudioSeconds * kMicrosPerSecond));
    audio_.erase(audio_.begin(), audio_.begin() + static_cast<long>(excess));
    audio_start_us_ += SamplesToMicros(excess);
    AFFECT_LOG(WARNING).With("stream_id", stream_id_) << "voice analysis behind: audio dropped";
  }
  media_end_us_ = std::max(media_end_us_, audio_start_us_ + SamplesToMicros(audio_.size()));
  return absl::OkStatus();
}

void StreamSession::Abort(const absl::Status& status) {
  if (abort_status_.has_value()) return;
  abort_status_ = status;
  cancellation_->Cancel();
  // Queued work is dropped at once; running frames finish quickly (their
  // queued model work is dropped by the cancellation flag).
  stats_.set_frames_dropped(stats_.frames_dropped() + waiting_.size());
  waiting_.clear();
  audio_.clear();
  completed_.clear();
  outgoing_.clear();
  if (!stream_id_.empty() || status.code() != absl::StatusCode::kCancelled) {
    AFFECT_LOG(INFO).With("stream_id", stream_id_)
            .With("code", absl::StatusCodeToString(status.code()))
        << "stream ended: " << status.message();
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

int64_t StreamSession::PieceEnd(int64_t from_us) const {
  // Pieces of at most a second that never straddle an aggregate window:
  // each window is cut into n equal pieces.
  const int64_t interval = aggregator_->options().aggregate_interval_us;
  const int64_t n = (interval + kMicrosPerSecond - 1) / kMicrosPerSecond;
  const int64_t window = from_us / interval;
  for (int64_t k = 1; k <= n; ++k) {
    const int64_t boundary = window * interval + k * interval / n;
    if (boundary > from_us) return boundary;
  }
  return (window + 1) * interval;
}

std::optional<StreamSession::VoicePiece> StreamSession::NextVoicePiece(bool final) {
  if (!plan_.voice || !audio_started_ || audio_.empty()) return std::nullopt;
  const int64_t buffered_end = audio_start_us_ + SamplesToMicros(audio_.size());
  const int64_t end = PieceEnd(audio_start_us_);
  if (end <= buffered_end) return VoicePiece{audio_start_us_, end};
  if (final && buffered_end - audio_start_us_ >= kMinFinalPieceUs) {
    return VoicePiece{audio_start_us_, buffered_end};
  }
  return std::nullopt;
}

void StreamSession::EmitCompleted() {
  std::vector<v1::StreamAggregate> aggregates;
  while (true) {
    auto next = completed_.find(next_emit_index_);
    if (next == completed_.end()) break;
    FrameOutcome& outcome = next->second;
    if (outcome.ok) {
      const int64_t timestamp = outcome.result.timestamp_us();
      // Voice must reach the aggregator before a frame closes its window:
      // hold the frame while a piece of that window is being analysed or is
      // ready to be (Pump starts it right after this).
      const int64_t window_end = aggregator_->open_window_end_us();
      if (timestamp >= window_end) {
        const std::optional<VoicePiece> ready_piece =
            voice_in_flight_.has_value() ? voice_in_flight_ : NextVoicePiece(false);
        if (ready_piece.has_value() && ready_piece->start_us < window_end) {
          break;  // resumes when the voice piece is done
        }
      }
      const absl::Status status =
          aggregator_->AddFrame(timestamp, outcome.result.mutable_analysis(), &aggregates);
      if (!status.ok()) {
        AFFECT_LOG(WARNING).With("stream_id", stream_id_) << "aggregator: " << status.message();
      }
    }
    v1::StreamResponse response;
    *response.mutable_frame() = std::move(outcome.result);
    completed_.erase(next);
    ++next_emit_index_;
    QueueResponse(std::move(response));
    QueueAggregates(&aggregates);
  }
}

void StreamSession::Pump() {
  bool start_read = false;
  bool start_write = false;
  bool finish = false;
  grpc::Status finish_status;
  std::vector<std::pair<WaitingFrame, int64_t>> frames_to_start;
  std::optional<std::pair<VoicePiece, std::shared_ptr<const std::vector<float>>>> voice_to_start;
  {
    absl::MutexLock lock(&mutex_);
    if (finish_called_) return;
    if (abort_status_.has_value()) {
      // Nothing new starts; finish once running work has come back.
      if (running_ == 0 && !voice_in_flight_.has_value() && !writing_) {
        finish_called_ = true;
        finish = true;
        finish_status = ToGrpcStatus(*abort_status_);
        final_status_ = finish_status;
      }
    } else {
      if (configured_) {
        EmitCompleted();
        // Frames: start in arrival order while there is room.
        // Results held for ordering or waiting to be written count against
        // the same bound, so a stalled reader or voice piece stops new frames
        // instead of growing memory.
        while (!waiting_.empty() && running_ < kMaxRunningFrames &&
               outgoing_.size() + completed_.size() < kMaxQueuedResponses) {
          frames_to_start.emplace_back(std::move(waiting_.front()), next_index_++);
          waiting_.pop_front();
          ++running_;
          ++refs_;
        }
        // Voice: one piece at a time (the stream baseline is sequential).
        const bool input_over = read_closed_ || draining_;
        if (input_over && resampler_ != nullptr && !resampler_flushed_ && audio_started_) {
          resampler_->Flush(&audio_);
          resampler_flushed_ = true;
        }
        if (!voice_in_flight_.has_value()) {
          if (auto piece = NextVoicePiece(input_over && waiting_.empty() && running_ == 0)) {
            const size_t count =
                std::min(audio_.size(), MicrosToSamples(piece->end_us - piece->start_us));
            auto samples =
                std::make_shared<const std::vector<float>>(audio_.begin(), audio_.begin() + static_cast<long>(count));
            audio_.erase(audio_.begin(), audio_.begin() + static_cast<long>(count));
            audio_start_us_ = piece->end_us;
            voice_in_flight_ = *piece;
            voice_to_start.emplace(*piece, std::move(samples));
            ++refs_;
          }
        }
        // End of input and everything answered: last aggregate and summary.
        if (input_over && !flushed_ && waiting_.empty() && running_ == 0 && completed_.empty() &&
            !voice_in_flight_.has_value() && !voice_to_start.has_value()) {
          std::vector<v1::StreamAggregate> aggregates;
          aggregator_->Finish(std::max(media_end_us_, aggregator_->stream_time_us()), &aggregates);
          QueueAggregates(&aggregates);
          v1::StreamResponse summary;
          *summary.mutable_summary()->mutable_stats() = stats_;
          summary.mutable_summary()->set_reason(read_closed_ ? "client finished"
                                                             : "server shutting down");
          QueueResponse(std::move(summary));
          flushed_ = true;
          AFFECT_LOG(INFO).With("stream_id", stream_id_)
                  .With("frames_received", stats_.frames_received())
                  .With("frames_analysed", stats_.frames_analysed())
                  .With("frames_dropped", stats_.frames_dropped())
              << "stream finished";
        }
      } else if (draining_) {
        // Draining before the config arrived: nothing to flush.
        flushed_ = true;
      }
      // Read more unless the input is over or back-pressure applies.
      const bool room = policy_ != v1::DROP_POLICY_BACKPRESSURE ||
                        static_cast<int>(waiting_.size()) + running_ < max_in_flight_;
      if (!reading_ && !read_closed_ && !draining_ && room) {
        reading_ = true;
        start_read = true;
      }
      if (!writing_ && !outgoing_.empty()) {
        writing_ = true;
        writing_response_ = std::move(outgoing_.front());
        outgoing_.pop_front();
        start_write = true;
      }
      if (flushed_ && !writing_ && outgoing_.empty()) {
        finish_called_ = true;
        finish = true;
        final_status_ = grpc::Status::OK;
        finish_status = final_status_;
      }
    }
  }
  // gRPC operations and worker hand-offs, outside the lock.
  for (auto& [frame, index] : frames_to_start) {
    Post(workers_, [this, frame = std::move(frame), index = index]() mutable {
      ProcessFrame(std::move(frame), index);
    });
  }
  if (voice_to_start.has_value()) {
    Post(workers_, [this, piece = voice_to_start->first,
                    samples = std::move(voice_to_start->second)]() mutable {
      ProcessVoice(piece, std::move(samples));
    });
  }
  if (start_write) StartWrite(&writing_response_);
  if (start_read) StartRead(&request_);
  if (finish) Finish(finish_status);
}

// ---------------------------------------------------------------------------
// Work on the pool
// ---------------------------------------------------------------------------

void StreamSession::ProcessFrame(WaitingFrame waiting, int64_t index) {
  FrameOutcome outcome;
  v1::FrameResult& result = outcome.result;
  result.set_sequence(waiting.frame.sequence());
  result.set_timestamp_us(waiting.frame.timestamp_us());
  const absl::Time decode_start = absl::Now();
  AnalysisPlan plan;
  {
    absl::MutexLock lock(&mutex_);
    plan = plan_;
  }
  // Shed before decoding when the models are saturated (see CheckCapacity).
  if (absl::Status capacity = pipelines_.image->CheckCapacity(plan.emotion, plan.attire, plan.scene);
      !capacity.ok()) {
    *result.mutable_error() = ToDetail(capacity);
    return FrameDone(index, std::move(outcome));
  }
  auto rgb = DecodeImage(waiting.frame.image(), {options_.max_image_pixels});
  if (!rgb.ok()) {
    *result.mutable_error() = ToDetail(rgb.status());
    return FrameDone(index, std::move(outcome));
  }
  const absl::Duration decode_time = absl::Now() - decode_start;
  result.mutable_timings()->set_decode_ms(absl::ToDoubleMilliseconds(decode_time));
  if (ServerMetrics* metrics = tracker_->metrics(); metrics != nullptr) {
    metrics->RecordStage(Stage::kDecode, decode_time);
  }
  ImageJob job;
  job.rgb = std::make_shared<const cv::Mat>(*std::move(rgb));
  job.emotion = plan.emotion;
  job.attire = plan.attire;
  job.scene = plan.scene;
  job.overrides = plan.overrides;
  job.deadline = absl::FromChrono(context_->deadline());
  job.cancellation = cancellation_;
  job.traffic_class = TrafficClass::kStream;
  const absl::Time received = waiting.received;
  pipelines_.image->Analyze(
      std::move(job), [this, index, received, outcome = std::move(outcome)](
                          absl::StatusOr<ImageJobResult> analysed) mutable {
        v1::FrameResult& frame_result = outcome.result;
        if (analysed.ok()) {
          *frame_result.mutable_analysis() = std::move(analysed->analysis);
          ReportPipelineTimings(analysed->timings, absl::Now() - received,
                                frame_result.mutable_timings(), tracker_->metrics());
          outcome.ok = true;
        } else {
          *frame_result.mutable_error() = ToDetail(analysed.status());
        }
        FrameDone(index, std::move(outcome));
      });
}

void StreamSession::FrameDone(int64_t index, FrameOutcome outcome) {
  {
    absl::MutexLock lock(&mutex_);
    --running_;
    ServerMetrics* metrics = tracker_->metrics();
    if (outcome.ok) {
      stats_.set_frames_analysed(stats_.frames_analysed() + 1);
      if (metrics != nullptr) metrics->RecordFrames(FrameEvent::kAnalysed);
    } else {
      stats_.set_frames_failed(stats_.frames_failed() + 1);
      if (metrics != nullptr) metrics->RecordFrames(FrameEvent::kFailed);
    }
    if (!abort_status_.has_value()) completed_[index] = std::move(outcome);
  }
  Pump();
  Unref();
}

void StreamSession::ProcessVoice(VoicePiece piece,
                                 std::shared_ptr<const std::vector<float>> samples) {
  ModelCallContext context;
  context.deadline = absl::FromChrono(context_->deadline());
  context.cancellation = cancellation_;
  context.traffic_class = TrafficClass::kStream;
  pipelines_.voice->AnalyzeStreamWindow(
      std::move(samples), &voice_state_, context,
      [this, piece](absl::StatusOr<VoiceResult> result) { VoiceDone(piece, std::move(result)); });
}

void StreamSession::VoiceDone(VoicePiece piece, absl::StatusOr<VoiceResult> result) {
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

// libFuzzer target: the AnalyzeStream protocol and the stream logic behind
// it, without gRPC. The input is a script of records, each
//   [action byte][payload length, 2 bytes LE][payload]
// and the harness plays the session's part (server/api/stream_session.cc):
//   kMessage   payload parsed as a StreamRequest -> StreamProtocol::Accept,
//              then the real FrameScheduler (fake clock), AudioPiecer and
//              StreamAggregator, as the session would;
//   kFinish    a running frame finishes (payload: which, how, its faces):
//              synthetic FrameResult, FrameDone, results emitted in order;
//   kClock     the fake clock moves on (payload: milliseconds), DropExpired;
//   kVoice     a voice piece is taken from the piecer, or the one in flight
//              is analysed (synthetic Voice) and added to the aggregator;
//   kHalfClose the client half-closes: everything drains, last aggregate.
// Invariants (abort on violation): refusals are INVALID_ARGUMENT; the
// scheduler accepts every schedule the protocol accepted; a stream holds at
// most max_frames_in_flight frames and runs at most max_running; a
// backpressure stream is not read while it has no room; started and dropped
// frames were waiting; results come out in frame order with non-decreasing
// timestamps; aggregates come in increasing, aligned windows with bounded
// tracks; buffered audio stays within its bound; after a half-close every
// frame is answered or dropped.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "affect/v1/affect_service.pb.h"
#include "server/analysis/face/expression_reader.h"
#include "server/common/clock.h"
#include "server/stream/audio_piecer.h"
#include "server/stream/frame_scheduler.h"
#include "server/stream/slow_analysis_refresh.h"
#include "server/stream/stream_aggregator.h"
#include "server/stream/stream_protocol.h"

namespace {

namespace stream = affect::stream;
namespace v1 = affect::v1;

void Check(bool condition) {
  if (!condition) std::abort();
}

enum Action : uint8_t { kMessage = 0, kFinish = 1, kClock = 2, kVoice = 3, kHalfClose = 4 };
constexpr int kActions = 5;
constexpr int kMaxRecords = 400;
constexpr int kMaxRunningFrames = 2;  // as StreamSession::kMaxRunningFrames

// Bytes of a payload, 0 once exhausted.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t Next() { return pos_ < size_ ? data_[pos_++] : 0; }
  float Unit() { return static_cast<float>(Next()) / 255.0f; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

class Harness;

// The scheduler's calls, recorded by the harness (single-threaded here).
class Sink : public stream::FrameSink {
 public:
  explicit Sink(Harness* harness) : harness_(harness) {}
  void StartFrame(int64_t frame_id) override;
  void DropFrame(int64_t frame_id, stream::FrameDropReason reason) override;

 private:
  Harness* harness_;
};

class Harness {
 public:
  Harness() {
    stream::FrameSchedulerOptions options;
    options.max_running_frames = 3;
    options.clock = &clock_;
    auto scheduler = stream::FrameScheduler::Create(options);
    Check(scheduler.ok());
    scheduler_ = *std::move(scheduler);
    stream::StreamProtocolOptions protocol;
    protocol.default_max_frame_age = absl::Seconds(1);
    protocol.max_running_frames = kMaxRunningFrames;
    protocol.max_buffered_audio_seconds = 2.0;  // small, so the bound is reached
    protocol_.emplace(protocol);
  }

  ~Harness() {
    if (scheduled_ != nullptr) scheduled_->Close();
    // Started frames still hand their slots back, as the session's do.
    for (const auto& [index, frame] : running_) scheduled_->FrameDone(index);
    scheduled_.reset();
  }

  // False when the stream has ended.
  bool Step(Action action, Bytes payload, const uint8_t* raw, size_t raw_size) {
    switch (action) {
      case kMessage:
        return Message(raw, raw_size);
      case kFinish:
        FinishFrame(payload);
        break;
      case kClock:
        clock_.Advance(absl::Milliseconds(payload.Next() * 20));
        scheduler_->DropExpired();
        break;
      case kVoice:
        Voice(payload);
        break;
      case kHalfClose:
        HalfClose();
        return false;
    }
    Emit();
    CheckBounds();
    return true;
  }

  void OnStart(int64_t index) {
    auto held = held_.find(index);
    Check(held != held_.end());    // only waiting frames start
    Check(index > last_started_);  // in arrival order (dropped ones skipped)
    last_started_ = index;
    Running frame;
    frame.timestamp_us = held->second;
    frame.slow = slow_refresh_->DueAt(frame.timestamp_us);
    running_.emplace(index, frame);
    held_.erase(held);
    Check(static_cast<int>(running_.size()) <= kMaxRunningFrames);
  }

  void OnDrop(int64_t index, stream::FrameDropReason reason) {
    Check(held_.erase(index) == 1);  // only waiting frames drop
    if (reason == stream::FrameDropReason::kTooOld) Check(live_);
    completed_[index] = Outcome{};
  }

 private:
  struct Running {
    int64_t timestamp_us = 0;
    stream::SlowAnalysesDue slow;
  };
  struct Outcome {
    bool dropped = true;
    bool ok = false;
    v1::FrameResult result;
    stream::SlowAnalysesDue slow;
  };

  bool Message(const uint8_t* raw, size_t size) {
    v1::StreamRequest request;
    if (!request.ParseFromArray(raw, static_cast<int>(size))) return true;
    // A backpressure stream is not read while it has no room.
    if (scheduled_ != nullptr && !scheduled_->HasRoom()) return true;
    absl::StatusOr<stream::StreamStep> step = protocol_->Accept(request);
    if (!step.ok()) {
      Check(step.status().code() == absl::StatusCode::kInvalidArgument);
      Check(!step.status().message().empty());
      Abort();
      return false;
    }
    switch (step->kind) {
      case stream::StreamStep::Kind::kConfigure:
        Configure(std::move(step->setup), request.config());
        break;
      case stream::StreamStep::Kind::kFrame: {
        const int64_t timestamp = request.frame().timestamp_us();
        Check(timestamp >= 0 && timestamp <= stream::kMaxStreamTimeUs);
        Check(step->frame_index == frames_received_);
        ++frames_received_;
        held_.emplace(step->frame_index, timestamp);
        scheduled_->Enqueue(step->frame_index);
        break;
      }
      case stream::StreamStep::Kind::kAudio:
        Check(audio_ != nullptr);
        if (!voice_) break;  // counted, not analysed
        if (absl::Status status = audio_->Add(step->audio_timestamp_us, step->samples);
            !status.ok()) {
          Check(status.code() == absl::StatusCode::kInvalidArgument);
          Abort();
          return false;
        }
        Check(audio_->buffered_samples() <= audio_->max_buffered_samples());
        break;
    }
    Emit();
    CheckBounds();
    return true;
  }

  void Configure(stream::StreamSetup setup, const v1::StreamConfig& config) {
    // The protocol checked every range the scheduler and the piecer need.
    auto scheduled = scheduler_->Open(setup.schedule, std::make_shared<Sink>(this));
    Check(scheduled.ok());
    Check(setup.aggregator != nullptr);
    Check(setup.audio_format.has_value() == (setup.audio != nullptr));
    schedule_ = setup.schedule;
    live_ = setup.live;
    aggregator_ = std::move(setup.aggregator);
    audio_ = std::move(setup.audio);
    // The analyses are the server's business; let the config's stream id
    // decide which the harness plays.
    const size_t salt = config.stream_id().size();
    voice_ = audio_ != nullptr && salt % 2 == 0;
    stream::SlowAnalysesPlanned planned;
    planned.scene = salt % 3 != 1;
    planned.attire = salt % 5 != 1;
    planned.body = salt % 7 != 1;
    planned.attention = salt % 11 != 1;
    slow_refresh_ = std::make_unique<stream::SlowAnalysisRefresh>(setup.slow_intervals, planned);
    scheduled_ = *std::move(scheduled);
  }

  void FinishFrame(Bytes payload) {
    if (running_.empty()) return;
    auto frame = running_.begin();
    std::advance(frame, payload.Next() % running_.size());
    const int64_t index = frame->first;
    const Running started = frame->second;
    running_.erase(frame);
    const uint8_t how = payload.Next() % 4;
    if (how == 3) {
      // Could not start decoding in time: too old.
      slow_refresh_->Abandon(started.slow);
      completed_[index] = Outcome{};
    } else {
      Outcome outcome;
      outcome.dropped = false;
      outcome.ok = how != 2;
      outcome.slow = started.slow;
      outcome.result.set_timestamp_us(started.timestamp_us);
      if (outcome.ok) {
        const int faces = payload.Next() % 6;
        for (int i = 0; i < faces; ++i) {
          v1::Face* face = outcome.result.mutable_analysis()->add_faces();
          face->mutable_box()->set_x(payload.Unit());
          face->mutable_box()->set_y(payload.Unit());
          face->mutable_box()->set_width(0.01f + payload.Unit() / 2);
          face->mutable_box()->set_height(0.01f + payload.Unit() / 2);
          if (payload.Next() % 2 == 0) {
            affect::analysis::ExpressionScores scores{};
            scores[payload.Next() % scores.size()] = 1.0f;
            *face->mutable_expression() = affect::analysis::MakeExpressionResult(scores, {});
          }
        }
      } else {
        outcome.result.mutable_error()->set_code(3);
        outcome.result.mutable_error()->set_message("corrupt image");
      }
      completed_[index] = std::move(outcome);
    }
    scheduled_->FrameDone(index);
  }

  void Voice(Bytes payload) {
    if (!voice_ || audio_ == nullptr) return;
    if (!voice_in_flight_.has_value()) {
      voice_in_flight_ = audio_->Take(/*final=*/input_over_);
      if (voice_in_flight_.has_value()) {
        Check(voice_in_flight_->end_us > voice_in_flight_->start_us);
        Check(voice_in_flight_->end_us - voice_in_flight_->start_us <= 1'000'000);
        Check(voice_in_flight_->samples != nullptr);
      }
      return;
    }
    const stream::AudioPiece piece = *std::move(voice_in_flight_);
    voice_in_flight_.reset();
    if (payload.Next() % 4 == 0) return;  // the voice analysis failed
    v1::Voice voice;
    voice.set_duration_seconds(static_cast<float>(piece.end_us - piece.start_us) / 1e6f);
    voice.set_speech_present(payload.Next() % 2 == 0);
    voice.set_active_share(payload.Unit());
    voice.set_loudness_dbfs(-60.0f * payload.Unit());
    voice.set_arousal(2.0f * payload.Unit() - 1.0f);
    // Speech segments, stray ones too: before the piece, past its end,
    // reversed, not finite.
    const int segments = payload.Next() % 4;
    for (int i = 0; i < segments; ++i) {
      v1::SpeechSegment* segment = voice.add_speech_segments();
      const auto edge = [&]() {
        const uint8_t kind = payload.Next();
        if (kind == 255) return std::numeric_limits<float>::quiet_NaN();
        if (kind == 254) return std::numeric_limits<float>::infinity();
        return (static_cast<float>(kind) / 100.0f - 0.5f) * voice.duration_seconds();
      };
      segment->set_start_seconds(edge());
      segment->set_end_seconds(edge());
    }
    const absl::Status status = aggregator_->AddVoice(piece.start_us, voice);
    // Voice far ahead of the frames is refused (the session logs it).
    if (!status.ok()) Check(status.code() == absl::StatusCode::kInvalidArgument);
    if (frames_received_ == 0) {
      std::vector<v1::StreamAggregate> aggregates;
      aggregator_->AdvanceTo(piece.end_us, &aggregates);
      audio_moved_time_ = true;
      CheckAggregates(aggregates);
    }
  }

  void Emit() {
    if (aggregator_ == nullptr) return;
    std::vector<v1::StreamAggregate> aggregates;
    for (auto next = completed_.find(next_emit_); next != completed_.end();
         next = completed_.find(next_emit_)) {
      Outcome& outcome = next->second;
      if (!outcome.dropped) {
        const int64_t timestamp = outcome.result.timestamp_us();
        Check(timestamp >= last_emitted_us_);  // frame order, in time order
        last_emitted_us_ = timestamp;
        if (outcome.ok) {
          const absl::Status status =
              aggregator_->AddFrame(timestamp, outcome.result.mutable_analysis(), &aggregates);
          // Only an audio-only start can have moved stream time past a frame.
          if (!status.ok()) {
            Check(status.code() == absl::StatusCode::kInvalidArgument && audio_moved_time_);
          }
          for (const v1::Face& face : outcome.result.analysis().faces()) {
            if (status.ok()) Check(face.track_id() != 0);
          }
        }
        slow_refresh_->Complete(outcome.slow, &outcome.result);
      }
      completed_.erase(next);
      ++next_emit_;
    }
    CheckAggregates(aggregates);
  }

  void CheckAggregates(const std::vector<v1::StreamAggregate>& aggregates) {
    const int64_t interval = aggregator_->options().aggregate_interval_us;
    for (const v1::StreamAggregate& aggregate : aggregates) {
      Check(aggregate.window_start_us() >= next_window_us_);
      Check(aggregate.window_start_us() % interval == 0);
      Check(aggregate.window_end_us() > aggregate.window_start_us());
      Check(aggregate.window_end_us() - aggregate.window_start_us() <= interval);
      Check(aggregate.tracks_size() <= aggregator_->options().max_tracks_per_aggregate);
      // The window's speech: ordered, inside the window (>=: microseconds
      // apart can round to one float).
      const double length = static_cast<double>(aggregate.window_end_us() -
                                                aggregate.window_start_us()) / 1e6;
      float previous_end = -1.0f;
      for (const v1::SpeechSegment& segment : aggregate.voice().speech_segments()) {
        Check(segment.start_seconds() >= 0.0f && segment.start_seconds() >= previous_end);
        Check(segment.end_seconds() >= segment.start_seconds());
        Check(segment.end_seconds() <= length + 1e-6);
        previous_end = segment.end_seconds();
      }
      next_window_us_ = aggregate.window_start_us() + interval;
    }
  }

  void CheckBounds() {
    if (scheduled_ == nullptr) return;
    const int in_flight = static_cast<int>(held_.size() + running_.size());
    Check(in_flight <= schedule_.max_in_flight);
    Check(scheduled_->waiting() == static_cast<int>(held_.size()));
    Check(scheduled_->running() == static_cast<int>(running_.size()));
    const stream::StreamAggregatorOptions& options = aggregator_->options();
    Check(aggregator_->track_states() <=
          static_cast<size_t>(options.tracker.max_live_tracks + options.max_tracks_per_aggregate));
  }

  // A protocol error ends the stream: waiting frames are dropped.
  void Abort() {
    if (scheduled_ == nullptr) return;
    scheduled_->Close();
    Check(held_.empty());
    Check(scheduled_->waiting() == 0);
  }

  // The client half-closed: every frame finishes, the voice drains, the
  // last window is emitted.
  void HalfClose() {
    input_over_ = true;
    if (scheduled_ == nullptr) return;
    if (audio_ != nullptr) audio_->Finish();
    // Waiting frames start as running ones finish (one stream: nothing else
    // holds the budget), so finishing the running frames drains the stream.
    while (!running_.empty()) {
      const uint8_t finish_first[] = {0, 0, 0};
      FinishFrame(Bytes(finish_first, sizeof finish_first));
      Emit();
      CheckBounds();
    }
    Check(running_.empty() && held_.empty());
    Emit();
    Check(completed_.empty());  // every frame answered or dropped
    Check(next_emit_ == frames_received_);
    for (int guard = 0; guard < 10'000 && voice_ && audio_ != nullptr; ++guard) {
      const uint8_t analysed[] = {1, 0, 128, 128, 128};
      Voice(Bytes(analysed, sizeof analysed));
      if (!voice_in_flight_.has_value() && !audio_->Peek(true).has_value()) break;
    }
    std::vector<v1::StreamAggregate> aggregates;
    aggregator_->Finish(aggregator_->stream_time_us(), &aggregates);
    CheckAggregates(aggregates);
    Check(aggregator_->finished());
  }

  affect::FakeClock clock_;
  std::unique_ptr<stream::FrameScheduler> scheduler_;
  std::optional<stream::StreamProtocol> protocol_;
  std::unique_ptr<stream::ScheduledStream> scheduled_;
  stream::StreamScheduleOptions schedule_;
  bool live_ = true;
  bool voice_ = false;
  std::unique_ptr<stream::StreamAggregator> aggregator_;
  std::unique_ptr<stream::AudioPiecer> audio_;
  std::unique_ptr<stream::SlowAnalysisRefresh> slow_refresh_;
  std::optional<stream::AudioPiece> voice_in_flight_;

  std::map<int64_t, int64_t> held_;  // waiting frames: index -> timestamp
  std::map<int64_t, Running> running_;
  std::map<int64_t, Outcome> completed_;
  int64_t frames_received_ = 0;
  int64_t last_started_ = -1;
  int64_t next_emit_ = 0;
  int64_t last_emitted_us_ = 0;
  int64_t next_window_us_ = 0;
  bool audio_moved_time_ = false;
  bool input_over_ = false;
};

void Sink::StartFrame(int64_t frame_id) { harness_->OnStart(frame_id); }
void Sink::DropFrame(int64_t frame_id, stream::FrameDropReason reason) {
  harness_->OnDrop(frame_id, reason);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Harness harness;
  size_t pos = 0;
  for (int records = 0; records < kMaxRecords && pos < size; ++records) {
    const auto action = static_cast<Action>(data[pos] % kActions);
    size_t length = 0;
    if (pos + 1 < size) length = data[pos + 1];
    if (pos + 2 < size) length |= static_cast<size_t>(data[pos + 2]) << 8;
    pos = std::min(size, pos + 3);
    length = std::min(length, size - pos);
    const uint8_t* payload = data + pos;
    pos += length;
    if (!harness.Step(action, Bytes(payload, length), payload, length)) break;
  }
  return 0;
}

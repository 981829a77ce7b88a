// One AnalyzeStream session (gRPC callback bidi reactor).
//
// Reads the config, then frames and audio chunks in any interleaving.
// Frames are analysed through the image pipeline, at most two at a time,
// with up to `max_frames_in_flight` accepted-and-unanswered frames; beyond
// that the drop policy applies (drop oldest waiting, drop newest, or stop
// reading: gRPC flow control then pushes back on the client). Results go out
// in frame order, followed by the aggregates the stream's StreamAggregator
// emits. Audio is resampled to 16 kHz and analysed in pieces of at most one
// second aligned to the aggregate windows, one piece at a time.
//
// Memory per session is bounded: waiting frames (max_frames_in_flight),
// running frames (2), queued responses (kMaxQueuedResponses: frames stop
// starting beyond it), buffered audio (kMaxBufferedAudioSeconds: oldest
// dropped beyond it), and the aggregator's own bounds.
//
// Ends: client half-close -> remaining work finishes, last aggregate,
// summary, OK. Server drain -> the same, without reading further, summary
// reason "server shutting down". Cancel or broken stream -> queued work is
// dropped at once, CANCELLED. A protocol error (no config first, a second
// config, decreasing sequence or timestamp, bad audio) -> INVALID_ARGUMENT.
// A bad frame (corrupt image) only fails that frame (FrameResult.error).
//
// Lifetime: deleted when gRPC is done with it (OnDone) AND no pipeline
// callback still refers to it.
#ifndef AFFECT_SERVER_API_STREAM_SESSION_H_
#define AFFECT_SERVER_API_STREAM_SESSION_H_

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "affect/v1/affect_service.pb.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/analysis/voice/voice_analyzer.h"
#include "server/api/analysis_plan.h"
#include "server/api/call_tracker.h"
#include "server/api/pipelines.h"
#include "server/api/server_options.h"
#include "server/api/stream_registry.h"
#include "server/engine/thread_pool.h"
#include "server/media/audio_resampler.h"
#include "server/stream/stream_aggregator.h"

namespace affect {

class StreamSession : public grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse>,
                      public DrainableStream {
 public:
  // Frames analysed concurrently per stream.
  static constexpr int kMaxRunningFrames = 2;
  // Responses waiting for the client to read; no new frame starts beyond it.
  static constexpr size_t kMaxQueuedResponses = 32;
  static constexpr double kMaxBufferedAudioSeconds = 30.0;

  // `admitted`: the CallTracker's verdict; not OK refuses the stream with it.
  static grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse>* Start(
      grpc::CallbackServerContext* context, const grpc::Status& admitted,
      const ServerOptions& options, const Pipelines& pipelines, ThreadPool* workers,
      CallTracker* tracker, StreamRegistry* registry, absl::Time start);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;
  void Drain() override;

 private:
  struct WaitingFrame {
    v1::VideoFrame frame;
    absl::Time received;
  };
  struct FrameOutcome {
    v1::FrameResult result;
    bool ok = false;
  };
  struct VoicePiece {
    int64_t start_us = 0;
    int64_t end_us = 0;
  };

  StreamSession(grpc::CallbackServerContext* context, const ServerOptions& options,
                const Pipelines& pipelines, ThreadPool* workers, CallTracker* tracker,
                StreamRegistry* registry, absl::Time start);

  // Message handling (mutex_ held).
  absl::Status HandleConfig(const v1::StreamConfig& config) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Status HandleFrame(v1::VideoFrame* frame) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Status HandleAudio(const v1::AudioChunk& chunk) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Stops the session with `status` (protocol error, cancel, broken write).
  void Abort(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // Decides and performs whatever can happen next: emit results, start
  // frames and voice, read, write, finish. Called after every event; safe
  // from any thread. gRPC operations are issued outside the lock.
  void Pump();
  void EmitCompleted() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  std::optional<VoicePiece> NextVoicePiece(bool final) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  int64_t PieceEnd(int64_t from_us) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void QueueResponse(v1::StreamResponse response) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void QueueAggregates(std::vector<v1::StreamAggregate>* aggregates)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // Worker-side work.
  void ProcessFrame(WaitingFrame frame, int64_t index);
  void FrameDone(int64_t index, FrameOutcome outcome);
  void ProcessVoice(VoicePiece piece, std::shared_ptr<const std::vector<float>> samples);
  void VoiceDone(VoicePiece piece, absl::StatusOr<VoiceResult> result);

  // Drops one reference (gRPC's, or a pending callback's); the last deletes.
  void Unref();

  grpc::CallbackServerContext* const context_;
  const ServerOptions& options_;
  const Pipelines pipelines_;
  ThreadPool* const workers_;
  CallTracker* const tracker_;
  StreamRegistry* const registry_;
  const absl::Time start_;
  const std::shared_ptr<CancellationFlag> cancellation_ = std::make_shared<CancellationFlag>();
  v1::StreamRequest request_;  // the read buffer (one read outstanding at most)
  v1::StreamResponse writing_response_;  // the write buffer (one write at most)

  absl::Mutex mutex_;
  int refs_ ABSL_GUARDED_BY(mutex_) = 1;  // gRPC's, released in OnDone
  bool registered_ ABSL_GUARDED_BY(mutex_) = false;
  bool configured_ ABSL_GUARDED_BY(mutex_) = false;
  bool reading_ ABSL_GUARDED_BY(mutex_) = false;
  bool read_closed_ ABSL_GUARDED_BY(mutex_) = false;
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  bool flushed_ ABSL_GUARDED_BY(mutex_) = false;  // summary queued
  bool finish_called_ ABSL_GUARDED_BY(mutex_) = false;
  std::optional<absl::Status> abort_status_ ABSL_GUARDED_BY(mutex_);
  grpc::Status final_status_ ABSL_GUARDED_BY(mutex_);

  std::string stream_id_ ABSL_GUARDED_BY(mutex_);
  AnalysisPlan plan_ ABSL_GUARDED_BY(mutex_);
  v1::DropPolicy policy_ ABSL_GUARDED_BY(mutex_) = v1::DROP_POLICY_DROP_OLDEST;
  int max_in_flight_ ABSL_GUARDED_BY(mutex_) = 4;
  std::unique_ptr<stream::StreamAggregator> aggregator_ ABSL_GUARDED_BY(mutex_);
  v1::StreamStats stats_ ABSL_GUARDED_BY(mutex_);

  // Frames.
  std::deque<WaitingFrame> waiting_ ABSL_GUARDED_BY(mutex_);
  int running_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t next_index_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t next_emit_index_ ABSL_GUARDED_BY(mutex_) = 0;
  std::map<int64_t, FrameOutcome> completed_ ABSL_GUARDED_BY(mutex_);
  std::optional<uint64_t> last_sequence_ ABSL_GUARDED_BY(mutex_);
  std::optional<int64_t> last_timestamp_us_ ABSL_GUARDED_BY(mutex_);
  int64_t media_end_us_ ABSL_GUARDED_BY(mutex_) = 0;

  // Audio (16 kHz mono) buffered from audio_start_us_ onwards.
  std::optional<v1::AudioFormat> audio_format_ ABSL_GUARDED_BY(mutex_);
  std::unique_ptr<StreamingResampler> resampler_ ABSL_GUARDED_BY(mutex_);
  std::vector<float> audio_ ABSL_GUARDED_BY(mutex_);
  int64_t audio_start_us_ ABSL_GUARDED_BY(mutex_) = 0;
  bool audio_started_ ABSL_GUARDED_BY(mutex_) = false;
  bool resampler_flushed_ ABSL_GUARDED_BY(mutex_) = false;
  std::optional<VoicePiece> voice_in_flight_ ABSL_GUARDED_BY(mutex_);
  VoiceStreamState voice_state_;  // touched only by the one voice piece in flight

  // Responses waiting to be written.
  std::deque<v1::StreamResponse> outgoing_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace affect

#endif  // AFFECT_SERVER_API_STREAM_SESSION_H_

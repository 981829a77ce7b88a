// One AnalyzeStream session (gRPC callback bidi reactor): reads, writes and
// finishes; the decisions live in plain classes under server/stream/.
//
// Reads the config, then frames and audio chunks in any interleaving; what
// each message means and whether it is allowed is decided by StreamProtocol
// (stream/stream_protocol.h).
//   Frames go to the server-wide FrameScheduler (stream/frame_scheduler.h),
//   which decides when each starts (a fair share of one frame budget, in
//   order), and which are dropped (drop policy, maximum frame age). A started
//   frame passes admission and is decoded and analysed through the shared
//   "encoded image" use case (pipeline/encoded_image_analysis.h).
//   Audio goes to an AudioPiecer (stream/audio_piecer.h); its pieces are
//   analysed one at a time.
// Results go out in frame order (dropped frames are skipped), followed by the
// aggregates of the stream's StreamAggregator.
//
// Memory per session is bounded: frames held by the scheduler
// (max_frames_in_flight), queued responses (kMaxQueuedResponses: neither
// frames, voice pieces nor reads start beyond it), buffered audio
// (kMaxBufferedAudioSeconds), and the aggregator's own bounds.
//
// Ends: client half-close -> remaining work finishes, last aggregate,
// summary, OK. Server drain -> the same, without reading further, summary
// reason "server shutting down". Cancel or broken stream -> queued work is
// dropped at once, CANCELLED. No config within --stream_config_timeout, or
// nothing read for --stream_idle_timeout -> DEADLINE_EXCEEDED. A protocol
// error (no config first, a second config, decreasing sequence or
// timestamp, a timestamp out of range, bad audio) -> INVALID_ARGUMENT. A bad
// frame (corrupt image) only fails that frame (FrameResult.error).
//
// gRPC operations (StartRead, StartWrite, Finish) are decided under the lock
// and issued afterwards by one thread at a time, in the order decided, so a
// read decided before Finish is never issued after it.
//
// Lifetime: deleted when gRPC is done with it (OnDone) AND no callback
// (pipeline, scheduler, worker) still refers to it.
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
#include "server/engine/admission_queue.h"
#include "server/engine/thread_pool.h"
#include "server/stream/audio_piecer.h"
#include "server/stream/frame_scheduler.h"
#include "server/stream/slow_analysis_refresh.h"
#include "server/stream/stream_aggregator.h"
#include "server/stream/stream_protocol.h"

namespace affect {

// What a stream session needs from the server. All outlive every session.
struct StreamResources {
  const ServerOptions* options = nullptr;
  Pipelines pipelines;
  ThreadPool* workers = nullptr;
  AdmissionQueue* decode_queue = nullptr;
  stream::FrameScheduler* scheduler = nullptr;
  CallTracker* tracker = nullptr;
  StreamRegistry* registry = nullptr;
};

class StreamSession : public grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse>,
                      public DrainableStream {
 public:
  // Frames analysed concurrently per stream (the scheduler's per-stream cap).
  static constexpr int kMaxRunningFrames = 2;
  // Responses waiting for the client to read; nothing new starts beyond it.
  static constexpr size_t kMaxQueuedResponses = 32;
  static constexpr double kMaxBufferedAudioSeconds = 30.0;

  // `admitted`: the CallTracker's verdict; not OK refuses the stream with it.
  static grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse>* Start(
      grpc::CallbackServerContext* context, const grpc::Status& admitted,
      const StreamResources& resources, absl::Time start);

  ~StreamSession() override;

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;
  void Drain() override;
  void CheckTimeouts(absl::Time now) override;

 private:
  class SchedulerSink;
  struct HeldFrame {
    v1::VideoFrame frame;
    absl::Time received;
  };
  struct FrameOutcome {
    v1::FrameResult result;
    bool ok = false;
    bool dropped = false;          // never answered: skipped when emitting in order
    stream::SlowAnalysesDue slow;  // scene/attire computed on this frame
    // Could not start decoding within the frame's maximum age: dropped and
    // counted as too old, never answered.
    bool too_old = false;
  };
  enum class GrpcOp { kRead, kWrite, kFinish };

  StreamSession(grpc::CallbackServerContext* context, const StreamResources& resources,
                absl::Time start);

  // Message handling (mutex_ held); the protocol (stream/stream_protocol.h)
  // has checked the message. The scheduler is called without mutex_, so a
  // held frame is enqueued by the caller afterwards.
  stream::StreamProtocolOptions ProtocolOptions();
  // The stream id and the analyses (caller policy, loaded models).
  absl::StatusOr<std::string> CheckConfigForServer(const v1::StreamConfig& config)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Status Configure(stream::StreamSetup setup) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void HoldFrame(v1::VideoFrame* frame, int64_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Status AddAudio(int64_t timestamp_us, const std::vector<float>& samples)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Stops the session with `status` (protocol error, cancel, broken write,
  // timeout). The caller then calls CloseScheduled() without the lock.
  void Abort(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void CloseScheduled();

  // Decides whatever can happen next (emit results, start voice, read,
  // write, finish) under the lock, then issues the gRPC operations. Safe
  // from any thread; called after every event.
  void Pump();
  void RunGrpcOps();
  void EmitCompleted() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void QueueResponse(v1::StreamResponse response) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void QueueAggregates(std::vector<v1::StreamAggregate>* aggregates)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void CountDropped(int64_t index, stream::FrameDropReason reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // The scheduler's decisions (through SchedulerSink).
  void OnFrameStart(int64_t index);
  void OnFrameDrop(int64_t index, stream::FrameDropReason reason);

  // Worker-side work.
  void ProcessFrame(HeldFrame frame, int64_t index);
  void FrameDone(int64_t index, FrameOutcome outcome);
  void ProcessVoice(stream::AudioPiece piece);
  void VoiceDone(stream::AudioPiece piece, absl::StatusOr<VoiceResult> result);

  // References: gRPC's (released in OnDone) and one per pending callback.
  void Ref();
  // False when the last reference is already gone (the session is being
  // deleted): the caller must not touch it.
  bool TryRef();
  void Unref();

  grpc::CallbackServerContext* const context_;
  // The call's deadline, read once at the start: gRPC frees the context after
  // OnDone, while a frame or voice piece started by the scheduler or a worker
  // may still be on its way to the pipeline (ASan: heap-use-after-free when
  // SIGTERM drained a stream with a frame start queued).
  const absl::Time deadline_;
  const StreamResources resources_;
  const ServerOptions& options_;
  const absl::Time start_;
  const std::shared_ptr<CancellationFlag> cancellation_ = std::make_shared<CancellationFlag>();
  std::shared_ptr<SchedulerSink> sink_;
  v1::StreamRequest request_;            // the read buffer (one read outstanding at most)
  v1::StreamResponse writing_response_;  // the write buffer (one write at most)

  absl::Mutex mutex_;
  // Which messages are allowed and what they mean (order, ranges, formats).
  stream::StreamProtocol protocol_ ABSL_GUARDED_BY(mutex_);
  int refs_ ABSL_GUARDED_BY(mutex_) = 1;  // gRPC's, released in OnDone
  bool registered_ ABSL_GUARDED_BY(mutex_) = false;
  bool configured_ ABSL_GUARDED_BY(mutex_) = false;
  bool reading_ ABSL_GUARDED_BY(mutex_) = false;
  bool read_closed_ ABSL_GUARDED_BY(mutex_) = false;
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  bool flushed_ ABSL_GUARDED_BY(mutex_) = false;  // summary queued
  bool finish_decided_ ABSL_GUARDED_BY(mutex_) = false;
  std::optional<absl::Status> abort_status_ ABSL_GUARDED_BY(mutex_);
  grpc::Status final_status_ ABSL_GUARDED_BY(mutex_);
  absl::Time last_read_ ABSL_GUARDED_BY(mutex_);  // when a read last completed or began

  // gRPC operations decided and not yet issued, in order.
  std::deque<GrpcOp> grpc_ops_ ABSL_GUARDED_BY(mutex_);
  bool issuing_ops_ ABSL_GUARDED_BY(mutex_) = false;

  std::string stream_id_ ABSL_GUARDED_BY(mutex_);
  AnalysisPlan plan_ ABSL_GUARDED_BY(mutex_);
  std::unique_ptr<stream::StreamAggregator> aggregator_ ABSL_GUARDED_BY(mutex_);
  std::unique_ptr<stream::SlowAnalysisRefresh> slow_refresh_ ABSL_GUARDED_BY(mutex_);
  // Live policies: how long a frame may wait before its decoding starts
  // (the scheduler's start and the decode queue's both count).
  std::optional<absl::Duration> live_frame_age_ ABSL_GUARDED_BY(mutex_);
  v1::StreamStats stats_ ABSL_GUARDED_BY(mutex_);
  // Set once with the config; used without the lock after that (the
  // scheduler calls back into this session and must not meet mutex_ held).
  std::unique_ptr<stream::ScheduledStream> scheduled_;
  stream::ScheduledStream* scheduled_view_ ABSL_GUARDED_BY(mutex_) = nullptr;

  // Frames: held until the scheduler starts or drops them, by arrival index.
  std::map<int64_t, HeldFrame> held_ ABSL_GUARDED_BY(mutex_);
  int running_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t next_emit_index_ ABSL_GUARDED_BY(mutex_) = 0;
  std::map<int64_t, FrameOutcome> completed_ ABSL_GUARDED_BY(mutex_);
  int64_t media_end_us_ ABSL_GUARDED_BY(mutex_) = 0;

  // Audio.
  std::unique_ptr<stream::AudioPiecer> audio_ ABSL_GUARDED_BY(mutex_);
  std::optional<stream::AudioPiece> voice_in_flight_ ABSL_GUARDED_BY(mutex_);
  VoiceStreamState voice_state_;  // touched only by the one voice piece in flight

  // Responses waiting to be written.
  std::deque<v1::StreamResponse> outgoing_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace affect

#endif  // AFFECT_SERVER_API_STREAM_SESSION_H_

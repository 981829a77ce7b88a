// The AnalyzeStream protocol without gRPC: what each StreamRequest of one
// stream means, whether it is allowed, and what the session does with it.
//
//   * The first message is `config`, and only the first. It is checked
//     (first the server's own checks, see ServerConfigCheck; then drop
//     policy, frames in flight, frame age, slow-analysis intervals,
//     smoothing and aggregate window, audio format), and the per-stream
//     objects it asks for are built: the aggregator, the audio piecer.
//   * A frame's sequence increases strictly and its timestamp never
//     decreases and lies in [0, kMaxStreamTimeUs]; frames are numbered
//     0, 1, 2 ... in arrival order (the scheduler's frame ids).
//   * An audio chunk needs `config.audio_format`; its bytes are decoded to
//     samples here (whole frames, at least one).
//   * Any violation is INVALID_ARGUMENT with a message that names the field
//     and says what to send instead; the stream ends with it. Nothing is
//     changed by a refused message.
//
// Every client number is range-checked before it is used in arithmetic
// (issue 16: an int64-max timestamp once made a stream spin), so nothing
// here or downstream can overflow.
//
// The session (server/api/stream_session.cc) reads a message, calls Accept,
// and acts on the step; fuzz/stream_protocol_fuzzer.cc drives the same
// class with arbitrary messages. Thread-compatible: the owner serialises
// calls.
#ifndef AFFECT_SERVER_STREAM_STREAM_PROTOCOL_H_
#define AFFECT_SERVER_STREAM_STREAM_PROTOCOL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "affect/v1/affect_service.pb.h"
#include "server/stream/audio_piecer.h"
#include "server/stream/frame_scheduler.h"
#include "server/stream/slow_analysis_refresh.h"
#include "server/stream/stream_aggregator.h"

namespace affect::stream {

// The server's checks of a config that come before the protocol's own: the
// stream id and the analyses (they depend on the caller's token and on which
// models loaded). Returns the stream id to use, or the error that refuses
// the stream.
using ServerConfigCheck = std::function<absl::StatusOr<std::string>(const v1::StreamConfig&)>;

struct StreamProtocolOptions {
  // Frame age when the config does not set max_frame_age_ms
  // (--stream_max_frame_age). > 0.
  absl::Duration default_max_frame_age = absl::Seconds(1);
  // Frames one stream may run at once (the scheduler's per-stream cap). >= 1.
  int max_running_frames = 2;
  // Audio the piecer may hold while voice analysis is behind. > 0.
  double max_buffered_audio_seconds = 30.0;
  // Null = the config's stream_id as given (no checks): for tests and fuzzing.
  ServerConfigCheck server_config_check;
};

// What a valid config sets up.
struct StreamSetup {
  std::string stream_id;
  StreamScheduleOptions schedule;
  // DROP_OLDEST / DROP_NEWEST: frames older than schedule.max_frame_age are
  // dropped. BACKPRESSURE streams never drop.
  bool live = true;
  SlowAnalysisIntervals slow_intervals;
  std::unique_ptr<StreamAggregator> aggregator;
  // Set when the config has audio_format; then audio is non-null.
  std::optional<v1::AudioFormat> audio_format;
  std::unique_ptr<AudioPiecer> audio;
};

// What to do with one accepted message.
struct StreamStep {
  enum class Kind {
    kConfigure,  // install `setup`
    kFrame,      // hand request.frame() to the scheduler as `frame_index`
    kAudio,      // `samples` (at the stream's rate) arrived at `audio_timestamp_us`
  };
  Kind kind = Kind::kConfigure;
  StreamSetup setup;
  int64_t frame_index = 0;
  std::vector<float> samples;
  // As the client sent it: AudioPiecer::Add range-checks it (only when the
  // voice is analysed, so a stream that only counts audio accepts any).
  int64_t audio_timestamp_us = 0;
};

class StreamProtocol {
 public:
  explicit StreamProtocol(StreamProtocolOptions options);

  // One message, in arrival order. INVALID_ARGUMENT (or the server check's
  // error) refuses it; the stream must then end.
  absl::StatusOr<StreamStep> Accept(const v1::StreamRequest& request);

  bool configured() const { return configured_; }
  // Frames accepted so far (the next frame's index).
  int64_t frames_accepted() const { return next_frame_index_; }
  // Timestamp of the latest accepted frame.
  std::optional<int64_t> last_frame_timestamp_us() const { return last_timestamp_us_; }
  const std::optional<v1::AudioFormat>& audio_format() const { return audio_format_; }

 private:
  absl::StatusOr<StreamStep> AcceptConfig(const v1::StreamConfig& config);
  absl::StatusOr<StreamStep> AcceptFrame(const v1::VideoFrame& frame);
  absl::StatusOr<StreamStep> AcceptAudio(const v1::AudioChunk& chunk);

  const StreamProtocolOptions options_;
  bool configured_ = false;
  std::optional<uint64_t> last_sequence_;
  std::optional<int64_t> last_timestamp_us_;
  int64_t next_frame_index_ = 0;
  std::optional<v1::AudioFormat> audio_format_;
};

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_STREAM_PROTOCOL_H_

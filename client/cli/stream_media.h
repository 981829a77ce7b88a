// The media side of `affect-client stream`: video frames from a file or a
// camera, sampled to a frame rate, and WAV audio cut into timestamped PCM
// chunks to interleave with them.
#ifndef AFFECT_CLIENT_CLI_STREAM_MEDIA_H_
#define AFFECT_CLIENT_CLI_STREAM_MEDIA_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "affect/v1/affect_service.pb.h"
#include "opencv2/core.hpp"
#include "opencv2/videoio.hpp"

namespace affect::client {

// Picks frames from a source so that at most `fps` per second of stream time
// are kept. Pure; not thread-safe.
class FrameSampler {
 public:
  // fps <= 0 keeps every frame.
  explicit FrameSampler(double fps);
  // Whether the frame at `timestamp_us` is kept. REQUIRES: timestamps do
  // not decrease.
  bool Take(int64_t timestamp_us);

 private:
  int64_t period_us_ = 0;
  std::optional<int64_t> next_due_us_;
};

// Mono float audio cut into chunks of `chunk_us` as AudioChunk messages
// (F32LE), handed out in timestamp order. Not thread-safe.
class AudioChunker {
 public:
  AudioChunker(std::vector<float> samples, uint32_t sample_rate_hz, int64_t chunk_us);

  // The stream's audio_format for these chunks.
  v1::AudioFormat format() const;
  // Chunks whose first sample is at or before `timestamp_us`, not yet taken.
  std::vector<v1::AudioChunk> TakeUntil(int64_t timestamp_us);
  // Every chunk not yet taken.
  std::vector<v1::AudioChunk> TakeRest();
  double duration_seconds() const;

 private:
  int64_t ChunkStartUs(size_t chunk) const;

  std::vector<float> samples_;
  uint32_t sample_rate_hz_;
  size_t samples_per_chunk_;
  size_t next_chunk_ = 0;
};

// Reads a WAV file for streaming: DecodeWav (server/media) to mono float at
// the file's own rate. INVALID_ARGUMENT/NOT_FOUND name --audio.
absl::StatusOr<AudioChunker> LoadWavForStreaming(const std::string& path, int64_t chunk_us);

// One frame to send.
struct SourceFrame {
  int64_t timestamp_us = 0;
  // BGR, as OpenCV decodes.
  cv::Mat bgr;
};

// A video file or a camera. Not thread-safe.
class VideoSource {
 public:
  // `spec`: a camera index ("0", "1", ...) or a file path. `fps` > 0 samples
  // the source down to that rate; 0 keeps every frame.
  // INVALID_ARGUMENT when OpenCV cannot open it.
  static absl::StatusOr<std::unique_ptr<VideoSource>> Open(const std::string& spec, double fps);

  // The next kept frame, or nullopt at the end (or when a camera stops).
  // Timestamps: a file's frame index over its frame rate; a camera's time
  // since Open.
  std::optional<SourceFrame> Next();

  bool is_camera() const { return camera_; }
  // Frames Next() will return for a file, estimated from its frame count;
  // -1 when unknown (cameras, some containers).
  int64_t estimated_frames() const { return estimated_frames_; }
  // Rate of the frames Next() returns (for the annotated video).
  double output_fps() const { return output_fps_; }

 private:
  VideoSource() = default;

  cv::VideoCapture capture_;
  bool camera_ = false;
  double source_fps_ = 0;
  double output_fps_ = 0;
  int64_t estimated_frames_ = -1;
  int64_t source_index_ = 0;
  FrameSampler sampler_{0};
  std::chrono::steady_clock::time_point opened_at_;
};

}  // namespace affect::client

#endif  // AFFECT_CLIENT_CLI_STREAM_MEDIA_H_

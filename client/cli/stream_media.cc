#include "client/cli/stream_media.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli/connection.h"
#include "server/media/audio_decoder.h"

namespace affect::client {
namespace {

// Rounding slack when comparing frame timestamps to the sampling grid.
constexpr int64_t kSamplingSlackUs = 1000;
// A file longer than a day of audio is not something to stream from a CLI.
constexpr double kMaxStreamAudioSeconds = 24 * 3600.0;

}  // namespace

FrameSampler::FrameSampler(double fps)
    : period_us_(fps > 0 ? static_cast<int64_t>(std::llround(1e6 / fps)) : 0) {}

bool FrameSampler::Take(int64_t timestamp_us) {
  if (period_us_ == 0) return true;
  if (next_due_us_.has_value() && timestamp_us + kSamplingSlackUs < *next_due_us_) return false;
  // On the grid when keeping up; re-anchored after a gap longer than a
  // period (so a gap does not cause a burst of catch-up frames).
  next_due_us_ = next_due_us_.has_value() && *next_due_us_ + period_us_ > timestamp_us
                     ? *next_due_us_ + period_us_
                     : timestamp_us + period_us_;
  return true;
}

AudioChunker::AudioChunker(std::vector<float> samples, uint32_t sample_rate_hz, int64_t chunk_us)
    : samples_(std::move(samples)),
      sample_rate_hz_(sample_rate_hz),
      samples_per_chunk_(std::max<size_t>(
          1, static_cast<size_t>(static_cast<double>(sample_rate_hz) * chunk_us / 1e6))) {}

v1::AudioFormat AudioChunker::format() const {
  v1::AudioFormat format;
  format.set_format(v1::SAMPLE_FORMAT_F32LE);
  format.set_sample_rate_hz(sample_rate_hz_);
  format.set_channels(1);
  return format;
}

int64_t AudioChunker::ChunkStartUs(size_t chunk) const {
  return static_cast<int64_t>(static_cast<double>(chunk * samples_per_chunk_) * 1e6 /
                              sample_rate_hz_);
}

std::vector<v1::AudioChunk> AudioChunker::TakeUntil(int64_t timestamp_us) {
  std::vector<v1::AudioChunk> chunks;
  while (next_chunk_ * samples_per_chunk_ < samples_.size() &&
         ChunkStartUs(next_chunk_) <= timestamp_us) {
    const size_t begin = next_chunk_ * samples_per_chunk_;
    const size_t end = std::min(samples_.size(), begin + samples_per_chunk_);
    v1::AudioChunk chunk;
    chunk.set_timestamp_us(ChunkStartUs(next_chunk_));
    // F32LE: this client only builds on little-endian hosts (x86-64, ARM64).
    std::string* data = chunk.mutable_data();
    data->resize((end - begin) * sizeof(float));
    std::memcpy(data->data(), samples_.data() + begin, data->size());
    chunks.push_back(std::move(chunk));
    ++next_chunk_;
  }
  return chunks;
}

std::vector<v1::AudioChunk> AudioChunker::TakeRest() {
  return TakeUntil(std::numeric_limits<int64_t>::max());
}

double AudioChunker::duration_seconds() const {
  return sample_rate_hz_ == 0 ? 0.0 : static_cast<double>(samples_.size()) / sample_rate_hz_;
}

absl::StatusOr<AudioChunker> LoadWavForStreaming(const std::string& path, int64_t chunk_us) {
  auto bytes = ReadFileToString(path, "--audio");
  if (!bytes.ok()) return bytes.status();
  AudioDecodeOptions options;
  options.max_seconds = kMaxStreamAudioSeconds;
  auto decoded = DecodeWav(*bytes, options, absl::StrCat("--audio ", path));
  if (!decoded.ok()) return decoded.status();
  return AudioChunker(std::move(decoded->samples), decoded->sample_rate_hz, chunk_us);
}

absl::StatusOr<std::unique_ptr<VideoSource>> VideoSource::Open(const std::string& spec,
                                                               double fps) {
  std::unique_ptr<VideoSource> source(new VideoSource());
  int camera_index = 0;
  source->camera_ = absl::SimpleAtoi(spec, &camera_index);
  if (!source->camera_) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(spec, error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot open video '", spec, "': no such file"));
    }
  }
  bool opened = false;
  try {
    opened = source->camera_ ? source->capture_.open(camera_index) : source->capture_.open(spec);
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("cannot open '", spec, "': ", e.what()));
  }
  if (!opened) {
    return absl::InvalidArgumentError(
        source->camera_ ? absl::StrCat("cannot open camera ", camera_index, " (is one connected?)")
                        : absl::StrCat("cannot open video '", spec,
                                       "' (missing, or a format this OpenCV build cannot decode)"));
  }
  source->source_fps_ = source->capture_.get(cv::CAP_PROP_FPS);
  if (!(source->source_fps_ > 0 && source->source_fps_ < 1000)) source->source_fps_ = 0;
  source->sampler_ = FrameSampler(fps);
  const double base_fps = source->source_fps_ > 0 ? source->source_fps_ : 30.0;
  source->output_fps_ = fps > 0 ? std::min(fps, base_fps) : base_fps;
  if (!source->camera_) {
    const double count = source->capture_.get(cv::CAP_PROP_FRAME_COUNT);
    if (count > 0) {
      source->estimated_frames_ = static_cast<int64_t>(
          fps > 0 && source->source_fps_ > fps ? std::ceil(count * fps / source->source_fps_)
                                               : count);
    }
  }
  source->opened_at_ = std::chrono::steady_clock::now();
  return source;
}

std::optional<SourceFrame> VideoSource::Next() {
  while (true) {
    SourceFrame frame;
    bool read = false;
    try {
      read = capture_.read(frame.bgr);
    } catch (const cv::Exception&) {
      read = false;
    }
    if (!read || frame.bgr.empty()) return std::nullopt;
    if (camera_) {
      frame.timestamp_us = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::steady_clock::now() - opened_at_)
                               .count();
    } else if (source_fps_ > 0) {
      frame.timestamp_us = static_cast<int64_t>(std::llround(source_index_ * 1e6 / source_fps_));
    } else {
      frame.timestamp_us = static_cast<int64_t>(capture_.get(cv::CAP_PROP_POS_MSEC) * 1000.0);
    }
    ++source_index_;
    if (sampler_.Take(frame.timestamp_us)) return frame;
  }
}

}  // namespace affect::client

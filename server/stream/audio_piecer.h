// A stream's audio, from chunks to the pieces voice analysis runs on: the
// audio piecing of a stream, without gRPC.
//
// Chunks (decoded PCM at the stream's rate) are resampled to 16 kHz and
// buffered from the first chunk's timestamp on (later chunks are taken as
// contiguous). Pieces are at most one second long and never straddle an
// aggregate window (each window is cut into n equal pieces), so every piece
// belongs to exactly one window. At most `max_buffered_seconds` are kept: when
// analysis falls that far behind, the oldest audio is dropped.
//
// Times are microseconds of stream time. Client timestamps are checked
// (0 <= t <= kMaxStreamTimeUs) before any arithmetic, and every sum below
// stays far from overflow within that range.
//
// Thread-compatible: the owner serialises calls.
#ifndef AFFECT_SERVER_STREAM_AUDIO_PIECER_H_
#define AFFECT_SERVER_STREAM_AUDIO_PIECER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "server/media/audio_resampler.h"

namespace affect::stream {

// The largest stream time accepted from a client: about 31 years. Anything
// larger is a hostile or broken client, and refusing it keeps all time
// arithmetic far from int64 overflow.
inline constexpr int64_t kMaxStreamTimeUs = 1'000'000'000'000'000;

struct AudioPiece {
  int64_t start_us = 0;
  int64_t end_us = 0;
  std::shared_ptr<const std::vector<float>> samples;  // 16 kHz mono
};

class AudioPiecer {
 public:
  // REQUIRES: input_rate_hz > 0, aggregate_interval_us > 0,
  // max_buffered_seconds > 0.
  AudioPiecer(uint32_t input_rate_hz, int64_t aggregate_interval_us, double max_buffered_seconds);

  // Appends one chunk. The first chunk's `timestamp_us` starts the stream's
  // audio. INVALID_ARGUMENT for a timestamp outside [0, kMaxStreamTimeUs].
  // `*dropped_us` (optional) receives how much old audio was dropped to stay
  // within the buffer bound.
  absl::Status Add(int64_t timestamp_us, const std::vector<float>& samples,
                   int64_t* dropped_us = nullptr);

  // The input is over: the resampler's tail joins the buffer. Idempotent.
  void Finish();

  // Where the next piece would start and end, if one is ready: a full piece,
  // or with `final` the tail when it is at least kMinFinalPieceUs long.
  std::optional<AudioPiece> Peek(bool final) const;
  // Takes that piece out of the buffer (with its samples).
  std::optional<AudioPiece> Take(bool final);

  bool started() const { return started_; }
  // 16 kHz samples held: at most max_buffered_seconds' worth after Add
  // (Finish adds the resampler's short tail).
  size_t buffered_samples() const { return buffer_.size(); }
  size_t max_buffered_samples() const { return max_buffered_samples_; }
  // End of the buffered audio in stream time (start before any audio).
  int64_t end_us() const;

  // Audio pieces shorter than this at the end of a stream are not analysed:
  // too short for a pitch or a voice-activity decision.
  static constexpr int64_t kMinFinalPieceUs = 100'000;

 private:
  int64_t PieceEnd(int64_t from_us) const;

  const int64_t interval_us_;
  const size_t max_buffered_samples_;
  StreamingResampler resampler_;
  std::vector<float> buffer_;
  int64_t start_us_ = 0;  // stream time of buffer_[0]
  bool started_ = false;
  bool finished_ = false;
};

int64_t SamplesToMicros(size_t samples);
size_t MicrosToSamples(int64_t micros);

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_AUDIO_PIECER_H_

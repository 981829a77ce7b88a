#include "server/stream/audio_piecer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace affect::stream {
namespace {
constexpr int64_t kMicrosPerSecond = 1'000'000;
}  // namespace

int64_t SamplesToMicros(size_t samples) {
  return static_cast<int64_t>(samples) * kMicrosPerSecond / kAnalysisSampleRateHz;
}
size_t MicrosToSamples(int64_t micros) {
  return static_cast<size_t>(std::max<int64_t>(micros, 0) * kAnalysisSampleRateHz /
                             kMicrosPerSecond);
}

AudioPiecer::AudioPiecer(uint32_t input_rate_hz, int64_t aggregate_interval_us,
                         double max_buffered_seconds)
    : interval_us_(aggregate_interval_us),
      max_buffered_samples_(static_cast<size_t>(max_buffered_seconds * kAnalysisSampleRateHz)),
      resampler_(input_rate_hz, kAnalysisSampleRateHz) {}

absl::Status AudioPiecer::Add(int64_t timestamp_us, const std::vector<float>& samples,
                              int64_t* dropped_us) {
  if (dropped_us != nullptr) *dropped_us = 0;
  if (timestamp_us < 0 || timestamp_us > kMaxStreamTimeUs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "audio.timestamp_us must be in [0, ", kMaxStreamTimeUs, "] (got ", timestamp_us, ")"));
  }
  if (!started_) {
    started_ = true;
    start_us_ = timestamp_us;
  }
  resampler_.Process(samples, &buffer_);
  if (buffer_.size() > max_buffered_samples_) {
    // Voice analysis fell far behind: drop the oldest audio, keep memory
    // bounded.
    const size_t excess = buffer_.size() - max_buffered_samples_;
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(excess));
    start_us_ += SamplesToMicros(excess);
    if (dropped_us != nullptr) *dropped_us = SamplesToMicros(excess);
  }
  return absl::OkStatus();
}

void AudioPiecer::Finish() {
  if (finished_ || !started_) return;
  resampler_.Flush(&buffer_);
  finished_ = true;
}

int64_t AudioPiecer::end_us() const { return start_us_ + SamplesToMicros(buffer_.size()); }

int64_t AudioPiecer::PieceEnd(int64_t from_us) const {
  const int64_t n = (interval_us_ + kMicrosPerSecond - 1) / kMicrosPerSecond;
  const int64_t window = from_us / interval_us_;
  for (int64_t k = 1; k <= n; ++k) {
    const int64_t boundary = window * interval_us_ + k * interval_us_ / n;
    if (boundary > from_us) return boundary;
  }
  return (window + 1) * interval_us_;
}

std::optional<AudioPiece> AudioPiecer::Peek(bool final) const {
  if (!started_ || buffer_.empty()) return std::nullopt;
  const int64_t buffered_end = end_us();
  const int64_t end = PieceEnd(start_us_);
  if (end <= buffered_end) return AudioPiece{start_us_, end, nullptr};
  if (final && buffered_end - start_us_ >= kMinFinalPieceUs) {
    return AudioPiece{start_us_, buffered_end, nullptr};
  }
  return std::nullopt;
}

std::optional<AudioPiece> AudioPiecer::Take(bool final) {
  std::optional<AudioPiece> piece = Peek(final);
  if (!piece.has_value()) return std::nullopt;
  const size_t count = std::min(buffer_.size(), MicrosToSamples(piece->end_us - piece->start_us));
  piece->samples = std::make_shared<const std::vector<float>>(
      buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(count));
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(count));
  start_us_ = piece->end_us;
  return piece;
}

}  // namespace affect::stream

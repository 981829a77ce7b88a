// libFuzzer target: WAV and raw PCM parsing, stream chunks, and resampling
// (server/media/audio_decoder.h, audio_resampler.h) on arbitrary bytes.
//
// The first byte picks the path (WAV, raw PCM, stream chunk); for raw and
// chunks the next bytes give the format, rate and channels. Invariants:
// never crash; failures are INVALID_ARGUMENT; decoded samples and their
// resampling to 16 kHz are finite, and the resampled length is
// ceil(n * 16000 / rate) whether the signal goes in at once or in pieces.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/media/audio_decoder.h"
#include "server/media/audio_resampler.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckFinite(const std::vector<float>& samples) {
  for (float sample : samples) Check(std::isfinite(sample));
}

// Resamples at once and in pieces of `piece` samples; both must agree in
// length and stay finite.
void CheckResampling(const std::vector<float>& samples, uint32_t rate, size_t piece) {
  const std::vector<float> whole = affect::Resample(samples, rate, affect::kAnalysisSampleRateHz);
  CheckFinite(whole);
  const uint64_t expected =
      (uint64_t{samples.size()} * affect::kAnalysisSampleRateHz + rate - 1) / rate;
  Check(whole.size() == expected);
  affect::StreamingResampler streaming(rate, affect::kAnalysisSampleRateHz);
  std::vector<float> pieces;
  for (size_t at = 0; at < samples.size(); at += piece) {
    const size_t n = std::min(piece, samples.size() - at);
    streaming.Process(absl::MakeConstSpan(samples.data() + at, n), &pieces);
  }
  streaming.Flush(&pieces);
  Check(pieces.size() == whole.size());
  CheckFinite(pieces);
}

uint32_t RateFrom(const uint8_t* p) {
  // Mostly valid rates, sometimes anything.
  const uint32_t raw = p[0] | (p[1] << 8) | (uint32_t{p[2]} << 16);
  return (p[3] & 1) ? raw : 8000 + raw % (192000 - 8000 + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 7) return 0;
  affect::AudioDecodeOptions options;
  options.max_seconds = 2.0;  // keeps each run fast
  const uint8_t mode = data[0] % 3;
  const auto format = (data[1] & 1) ? affect::v1::SAMPLE_FORMAT_F32LE
                                    : affect::v1::SAMPLE_FORMAT_S16LE;
  const uint32_t rate = RateFrom(data + 2);
  const uint32_t channels = data[6] % 10;
  const size_t piece = 1 + data[6] / 10 * 37;
  const std::string rest(reinterpret_cast<const char*>(data + 7), size - 7);

  std::vector<float> samples;
  uint32_t decoded_rate = 0;
  if (mode == 0) {
    auto decoded = affect::DecodeWav(rest, options);
    if (!decoded.ok()) {
      Check(decoded.status().code() == absl::StatusCode::kInvalidArgument);
      return 0;
    }
    samples = std::move(decoded->samples);
    decoded_rate = decoded->sample_rate_hz;
  } else if (mode == 1) {
    affect::v1::RawAudio raw;
    raw.set_format(format);
    raw.set_sample_rate_hz(rate);
    raw.set_channels(channels);
    raw.set_data(rest);
    auto decoded = affect::DecodeRawAudio(raw, options);
    if (!decoded.ok()) {
      Check(decoded.status().code() == absl::StatusCode::kInvalidArgument);
      return 0;
    }
    samples = std::move(decoded->samples);
    decoded_rate = decoded->sample_rate_hz;
  } else {
    affect::v1::AudioFormat stream_format;
    stream_format.set_format(format);
    stream_format.set_sample_rate_hz(rate);
    stream_format.set_channels(channels);
    if (!affect::ValidateAudioFormat(stream_format, "config.audio_format").ok()) return 0;
    auto decoded = affect::DecodePcmChunk(rest, stream_format, "audio.data");
    if (!decoded.ok()) {
      Check(decoded.status().code() == absl::StatusCode::kInvalidArgument);
      return 0;
    }
    samples = *std::move(decoded);
    decoded_rate = rate;
    if (samples.size() > 2 * 192000) return 0;  // chunks have no length limit here
  }
  Check(decoded_rate >= affect::kMinAudioSampleRateHz &&
        decoded_rate <= affect::kMaxAudioSampleRateHz);
  CheckFinite(samples);
  for (float sample : samples) Check(std::fabs(sample) <= affect::kMaxFloatSampleMagnitude);
  CheckResampling(samples, decoded_rate, piece);
  return 0;
}

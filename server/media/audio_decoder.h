// Audio input decoding and validation: WAV files and raw PCM (the `Audio`
// and `AudioChunk` messages of affect/v1/media.proto) to float mono samples.
//
// Every error is INVALID_ARGUMENT and names the request field, e.g.
//   "audio.raw.sample_rate_hz: 4000 Hz is outside [8000, 192000]"
//   "audio.wav: data chunk declares 88200 bytes but only 4410 remain (truncated file?)"
// so a caller can fix the request from the message alone.
//
// Bounds are checked from the header (or the field values) before any sample
// is converted, so a request claiming an absurd length costs nothing.
// The parser never reads outside the given bytes, whatever the header says.
//
// Privacy: nothing here logs or stores samples.
//
// All functions are pure and thread-safe.
#ifndef AFFECT_SERVER_MEDIA_AUDIO_DECODER_H_
#define AFFECT_SERVER_MEDIA_AUDIO_DECODER_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "affect/v1/affect_service.pb.h"
#include "affect/v1/media.pb.h"

namespace affect {

// Bounds from media.proto.
inline constexpr uint32_t kMinAudioSampleRateHz = 8000;
inline constexpr uint32_t kMaxAudioSampleRateHz = 192000;
inline constexpr uint32_t kMaxAudioChannels = 8;

struct AudioDecodeOptions {
  // The server's --max_audio_seconds: longer clips are refused.
  // REQUIRES: > 0.
  double max_seconds = 600.0;
};

// Float samples beyond this magnitude are refused: full scale is 1, so this
// is 60 dB of headroom for overs, and it keeps every later sum, square and
// filter of the samples finite (a finite 3e38 in each of two channels
// averaged to inf before this bound existed).
inline constexpr float kMaxFloatSampleMagnitude = 1000.0f;

// Decoded audio: mono (channels averaged), float, nominally in [-1, 1]
// (s16 is divided by 32768; f32 is passed through, so a float file with
// overs keeps them, up to kMaxFloatSampleMagnitude).
struct DecodedAudio {
  std::vector<float> samples;
  uint32_t sample_rate_hz = 0;
  // Channels in the source before averaging.
  uint32_t source_channels = 0;

  double duration_seconds() const {
    return sample_rate_hz == 0 ? 0.0 : static_cast<double>(samples.size()) / sample_rate_hz;
  }
};

// Decodes an `Audio` message (WAV or raw PCM). Field names in errors start
// with "audio.". An `Audio` with neither source set gives
// "audio: no samples (set wav or raw)".
absl::StatusOr<DecodedAudio> DecodeAudio(const v1::Audio& audio, const AudioDecodeOptions& options);

// DecodeAudio, then resampling to the 16 kHz analysis rate
// (audio_resampler.h): the input of every voice analysis. `sample_rate_hz`
// of the result is 16000; `source_channels` is the source's.
absl::StatusOr<DecodedAudio> DecodeAudioForAnalysis(const v1::Audio& audio,
                                                    const AudioDecodeOptions& options);

// Decodes a RIFF/WAVE file: format tag 1 (PCM, 16-bit) or 3 (IEEE float,
// 32-bit), also inside WAVE_FORMAT_EXTENSIBLE (tag 0xFFFE) with the matching
// sub-format GUID. Unknown chunks (LIST, fact, cue, ...) are skipped; odd
// chunk sizes are padded as RIFF requires; the RIFF size field is not
// trusted (many writers get it wrong): chunks are walked up to the end of
// the bytes. The first data chunk is used. `field` labels errors ("audio.wav").
absl::StatusOr<DecodedAudio> DecodeWav(absl::string_view bytes, const AudioDecodeOptions& options,
                                       absl::string_view field = "audio.wav");

// Decodes raw interleaved little-endian PCM. `field` labels errors
// ("audio.raw": then "audio.raw.sample_rate_hz: ..." and so on).
absl::StatusOr<DecodedAudio> DecodeRawAudio(const v1::RawAudio& raw,
                                            const AudioDecodeOptions& options,
                                            absl::string_view field = "audio.raw");

// Checks a stream's `audio_format` (StreamConfig.audio_format): format set,
// rate in [8000, 192000] Hz, 1..8 channels. `field` is e.g.
// "config.audio_format".
absl::Status ValidateAudioFormat(const v1::AudioFormat& format, absl::string_view field);

// Decodes one stream chunk (AudioChunk.data) in a format that passed
// ValidateAudioFormat. The chunk must hold whole frames and at least one
// frame; there is no length limit here (the stream bounds its buffering).
// `field` is e.g. "audio.data".
absl::StatusOr<std::vector<float>> DecodePcmChunk(absl::string_view data,
                                                  const v1::AudioFormat& format,
                                                  absl::string_view field);

}  // namespace affect

#endif  // AFFECT_SERVER_MEDIA_AUDIO_DECODER_H_

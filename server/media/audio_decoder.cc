#include "server/media/audio_decoder.h"

#include <cmath>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/common/status_macros.h"
#include "server/media/audio_resampler.h"

namespace affect {
namespace {

enum class PcmEncoding { kS16, kF32 };

struct PcmLayout {
  PcmEncoding encoding = PcmEncoding::kS16;
  uint32_t sample_rate_hz = 0;
  uint32_t channels = 0;
};

constexpr uint16_t kWaveFormatPcm = 1;
constexpr uint16_t kWaveFormatIeeeFloat = 3;
constexpr uint16_t kWaveFormatExtensible = 0xFFFE;
// KSDATAFORMAT_SUBTYPE_* GUIDs are {tag}-0000-0010-8000-00AA00389B71; these
// are the 14 bytes after the 2-byte tag, as stored (little-endian fields).
constexpr unsigned char kSubformatGuidTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                                  0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

uint32_t BytesPerSample(PcmEncoding encoding) { return encoding == PcmEncoding::kS16 ? 2 : 4; }

const char* EncodingName(PcmEncoding encoding) {
  return encoding == PcmEncoding::kS16 ? "s16le" : "f32le";
}

uint16_t ReadU16(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(b[0] | (b[1] << 8));
}

uint32_t ReadU32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
         (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
}

// A chunk id made safe for an error message (binary junk becomes '?').
std::string PrintableFourCc(absl::string_view id) {
  std::string out(id);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

const char* WaveFormatName(uint16_t tag) {
  switch (tag) {
    case 1:
      return "PCM";
    case 2:
      return "Microsoft ADPCM";
    case 3:
      return "IEEE float";
    case 6:
      return "A-law";
    case 7:
      return "mu-law";
    case 0x11:
      return "IMA ADPCM";
    case 0x55:
      return "MPEG layer 3";
    default:
      return "unknown";
  }
}

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status CheckSampleRate(uint32_t rate, absl::string_view prefix) {
  if (rate < kMinAudioSampleRateHz || rate > kMaxAudioSampleRateHz) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, rate, " Hz is outside [", kMinAudioSampleRateHz, ", ", kMaxAudioSampleRateHz, "]"));
  }
  return absl::OkStatus();
}

// Checks that `byte_count` holds a whole, non-zero number of frames no longer
// than options.max_seconds (when `max_seconds` > 0). Returns the frame count.
absl::StatusOr<uint64_t> CheckFrames(uint64_t byte_count, const PcmLayout& layout,
                                     double max_seconds, absl::string_view field) {
  const uint64_t frame_bytes = uint64_t{layout.channels} * BytesPerSample(layout.encoding);
  if (byte_count == 0) return Invalid(field, "is empty: no samples");
  if (byte_count % frame_bytes != 0) {
    return Invalid(field, absl::StrCat(byte_count, " bytes is not a whole number of ", frame_bytes,
                                       "-byte frames (", layout.channels, " channels x ",
                                       EncodingName(layout.encoding), ")"));
  }
  const uint64_t frames = byte_count / frame_bytes;
  const double seconds = static_cast<double>(frames) / layout.sample_rate_hz;
  if (max_seconds > 0 && seconds > max_seconds) {
    return Invalid(field, absl::StrFormat("%.1f s at %u Hz exceeds the limit of %g s "
                                          "(--max_audio_seconds)",
                                          seconds, layout.sample_rate_hz, max_seconds));
  }
  return frames;
}

// Converts interleaved PCM to mono by averaging channels.
// REQUIRES: `data` holds frames * channels samples.
absl::StatusOr<std::vector<float>> ToMono(const char* data, uint64_t frames,
                                          const PcmLayout& layout, absl::string_view field) {
  std::vector<float> mono(static_cast<size_t>(frames));
  const uint32_t channels = layout.channels;
  const float channel_scale = 1.0f / static_cast<float>(channels);
  if (layout.encoding == PcmEncoding::kS16) {
    constexpr float kS16Scale = 1.0f / 32768.0f;
    for (uint64_t f = 0; f < frames; ++f) {
      float sum = 0.0f;
      for (uint32_t c = 0; c < channels; ++c) {
        const uint16_t bits = ReadU16(data + 2 * (f * channels + c));
        sum += static_cast<float>(static_cast<int16_t>(bits)) * kS16Scale;
      }
      mono[static_cast<size_t>(f)] = sum * channel_scale;
    }
    return mono;
  }
  for (uint64_t f = 0; f < frames; ++f) {
    float sum = 0.0f;
    for (uint32_t c = 0; c < channels; ++c) {
      const uint64_t index = f * channels + c;
      const uint32_t bits = ReadU32(data + 4 * index);
      float value;
      std::memcpy(&value, &bits, sizeof(value));
      if (!std::isfinite(value)) {
        return Invalid(field, absl::StrCat("sample ", index, " is not a finite number"));
      }
      if (std::fabs(value) > kMaxFloatSampleMagnitude) {
        return Invalid(field, absl::StrFormat("sample %d is %g: float samples must lie within "
                                              "+/-%g (full scale is +/-1; 16-bit values sent "
                                              "as float must be divided by 32768)",
                                              index, value, kMaxFloatSampleMagnitude));
      }
      sum += value;
    }
    mono[static_cast<size_t>(f)] = sum * channel_scale;
  }
  return mono;
}

absl::StatusOr<DecodedAudio> Convert(const char* data, uint64_t byte_count, const PcmLayout& layout,
                                     double max_seconds, absl::string_view field) {
  AFFECT_ASSIGN_OR_RETURN(const uint64_t frames,
                          CheckFrames(byte_count, layout, max_seconds, field));
  DecodedAudio decoded;
  AFFECT_ASSIGN_OR_RETURN(decoded.samples, ToMono(data, frames, layout, field));
  decoded.sample_rate_hz = layout.sample_rate_hz;
  decoded.source_channels = layout.channels;
  return decoded;
}

// Parses the body of a "fmt " chunk. REQUIRES: body.size() is the chunk size.
absl::StatusOr<PcmLayout> ParseFmtChunk(absl::string_view body, absl::string_view field) {
  if (body.size() < 16) {
    return Invalid(field,
                   absl::StrCat("fmt chunk is ", body.size(), " bytes, expected at least 16"));
  }
  const char* p = body.data();
  uint16_t tag = ReadU16(p);
  const uint16_t channels = ReadU16(p + 2);
  const uint32_t rate = ReadU32(p + 4);
  const uint16_t block_align = ReadU16(p + 12);
  const uint16_t bits = ReadU16(p + 14);
  if (tag == kWaveFormatExtensible) {
    // cbSize(2) validBits(2) channelMask(4) subFormat GUID(16).
    if (body.size() < 40 || ReadU16(p + 16) < 22) {
      return Invalid(field, absl::StrCat("WAVE_FORMAT_EXTENSIBLE fmt chunk is ", body.size(),
                                         " bytes, expected at least 40"));
    }
    const uint16_t valid_bits = ReadU16(p + 18);
    if (std::memcmp(p + 26, kSubformatGuidTail, sizeof(kSubformatGuidTail)) != 0) {
      return Invalid(field,
                     "WAVE_FORMAT_EXTENSIBLE sub-format GUID is not a standard "
                     "KSDATAFORMAT_SUBTYPE (PCM or IEEE float)");
    }
    if (valid_bits != 0 && valid_bits != bits) {
      return Invalid(field, absl::StrCat(valid_bits, " valid bits in ", bits,
                                         "-bit containers are not supported"));
    }
    tag = ReadU16(p + 24);
  }
  PcmLayout layout;
  if (tag == kWaveFormatPcm && bits == 16) {
    layout.encoding = PcmEncoding::kS16;
  } else if (tag == kWaveFormatIeeeFloat && bits == 32) {
    layout.encoding = PcmEncoding::kF32;
  } else {
    return Invalid(field,
                   absl::StrCat("format tag ", tag, " (", WaveFormatName(tag), ") with ", bits,
                                " bits per sample is not supported: use PCM "
                                "16-bit (tag 1) or IEEE float 32-bit (tag 3)"));
  }
  if (channels == 0) return Invalid(field, "fmt chunk declares 0 channels");
  if (channels > kMaxAudioChannels) {
    return Invalid(field,
                   absl::StrCat(channels, " channels exceed the maximum of ", kMaxAudioChannels));
  }
  if (block_align != uint32_t{channels} * BytesPerSample(layout.encoding)) {
    return Invalid(field, absl::StrCat("block align ", block_align, " does not match ", channels,
                                       " channels x ", bits, " bits"));
  }
  AFFECT_RETURN_IF_ERROR(CheckSampleRate(rate, absl::StrCat(field, ": sample rate ")));
  layout.sample_rate_hz = rate;
  layout.channels = channels;
  return layout;
}

}  // namespace

absl::StatusOr<DecodedAudio> DecodeWav(absl::string_view bytes, const AudioDecodeOptions& options,
                                       absl::string_view field) {
  if (bytes.empty()) return Invalid(field, "is empty: no samples");
  if (bytes.size() < 12) {
    return Invalid(field,
                   absl::StrCat("only ", bytes.size(), " bytes: too short for a RIFF/WAVE header"));
  }
  const absl::string_view magic = bytes.substr(0, 4);
  if (magic == "RIFX") return Invalid(field, "big-endian RIFX files are not supported");
  if (magic == "RF64") return Invalid(field, "RF64 files are not supported");
  if (magic != "RIFF") return Invalid(field, "not a RIFF/WAVE file (no 'RIFF' magic)");
  if (bytes.substr(8, 4) != "WAVE") {
    return Invalid(field, absl::StrCat("RIFF form type is '", PrintableFourCc(bytes.substr(8, 4)),
                                       "', not 'WAVE'"));
  }

  bool have_fmt = false;
  PcmLayout layout;
  bool have_data = false;
  absl::string_view data;
  // 64-bit positions: a 32-bit size near 4 GiB cannot overflow them.
  const uint64_t size = bytes.size();
  uint64_t pos = 12;
  while (pos + 8 <= size) {  // pos may pass size by a missing pad byte
    const absl::string_view id = bytes.substr(static_cast<size_t>(pos), 4);
    const uint64_t chunk_size = ReadU32(bytes.data() + pos + 4);
    const uint64_t body = pos + 8;
    const uint64_t remaining = size - body;
    if (chunk_size > remaining) {
      // A truncated chunk after both needed chunks (e.g. trailing metadata)
      // does not matter; anything else means the file is cut short.
      if (have_fmt && have_data) break;
      const std::string name =
          id == "data" ? std::string("data") : absl::StrCat("'", PrintableFourCc(id), "'");
      return Invalid(field, absl::StrCat(name, " chunk declares ", chunk_size, " bytes but only ",
                                         remaining, " remain (truncated file?)"));
    }
    const absl::string_view chunk =
        bytes.substr(static_cast<size_t>(body), static_cast<size_t>(chunk_size));
    if (id == "fmt " && !have_fmt) {
      AFFECT_ASSIGN_OR_RETURN(layout, ParseFmtChunk(chunk, field));
      have_fmt = true;
    } else if (id == "data" && !have_data) {
      data = chunk;
      have_data = true;
    }
    if (have_fmt && have_data) break;
    pos = body + chunk_size + (chunk_size & 1);  // chunks are padded to even sizes
  }
  if (!have_fmt) return Invalid(field, "no 'fmt ' chunk: not a valid WAVE file");
  if (!have_data) return Invalid(field, "no 'data' chunk: no samples");
  if (data.empty()) return Invalid(field, "data chunk is empty: no samples");
  return Convert(data.data(), data.size(), layout, options.max_seconds,
                 absl::StrCat(field, ": data chunk"));
}

absl::StatusOr<DecodedAudio> DecodeRawAudio(const v1::RawAudio& raw,
                                            const AudioDecodeOptions& options,
                                            absl::string_view field) {
  PcmLayout layout;
  switch (raw.format()) {
    case v1::SAMPLE_FORMAT_S16LE:
      layout.encoding = PcmEncoding::kS16;
      break;
    case v1::SAMPLE_FORMAT_F32LE:
      layout.encoding = PcmEncoding::kF32;
      break;
    default:
      return Invalid(absl::StrCat(field, ".format"),
                     "must be SAMPLE_FORMAT_S16LE or SAMPLE_FORMAT_F32LE");
  }
  AFFECT_RETURN_IF_ERROR(
      CheckSampleRate(raw.sample_rate_hz(), absl::StrCat(field, ".sample_rate_hz: ")));
  if (raw.channels() == 0) return Invalid(absl::StrCat(field, ".channels"), "must be at least 1");
  if (raw.channels() > kMaxAudioChannels) {
    return Invalid(absl::StrCat(field, ".channels"),
                   absl::StrCat(raw.channels(), " exceeds the maximum of ", kMaxAudioChannels));
  }
  layout.sample_rate_hz = raw.sample_rate_hz();
  layout.channels = raw.channels();
  return Convert(raw.data().data(), raw.data().size(), layout, options.max_seconds,
                 absl::StrCat(field, ".data"));
}

absl::StatusOr<DecodedAudio> DecodeAudio(const v1::Audio& audio,
                                         const AudioDecodeOptions& options) {
  switch (audio.source_case()) {
    case v1::Audio::kWav:
      return DecodeWav(audio.wav(), options, "audio.wav");
    case v1::Audio::kRaw:
      return DecodeRawAudio(audio.raw(), options, "audio.raw");
    case v1::Audio::SOURCE_NOT_SET:
      break;
  }
  return Invalid("audio", "no samples (set wav or raw)");
}

absl::StatusOr<DecodedAudio> DecodeAudioForAnalysis(const v1::Audio& audio,
                                                    const AudioDecodeOptions& options) {
  AFFECT_ASSIGN_OR_RETURN(DecodedAudio decoded, DecodeAudio(audio, options));
  if (decoded.sample_rate_hz != kAnalysisSampleRateHz) {
    decoded.samples = Resample(decoded.samples, decoded.sample_rate_hz, kAnalysisSampleRateHz);
    decoded.sample_rate_hz = kAnalysisSampleRateHz;
  }
  return decoded;
}

absl::Status ValidateAudioFormat(const v1::AudioFormat& format, absl::string_view field) {
  if (format.format() != v1::SAMPLE_FORMAT_S16LE && format.format() != v1::SAMPLE_FORMAT_F32LE) {
    return Invalid(absl::StrCat(field, ".format"),
                   "must be SAMPLE_FORMAT_S16LE or SAMPLE_FORMAT_F32LE");
  }
  AFFECT_RETURN_IF_ERROR(
      CheckSampleRate(format.sample_rate_hz(), absl::StrCat(field, ".sample_rate_hz: ")));
  if (format.channels() == 0) {
    return Invalid(absl::StrCat(field, ".channels"), "must be at least 1");
  }
  if (format.channels() > kMaxAudioChannels) {
    return Invalid(absl::StrCat(field, ".channels"),
                   absl::StrCat(format.channels(), " exceeds the maximum of ", kMaxAudioChannels));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>> DecodePcmChunk(absl::string_view data,
                                                  const v1::AudioFormat& format,
                                                  absl::string_view field) {
  AFFECT_RETURN_IF_ERROR(ValidateAudioFormat(format, "audio_format"));
  PcmLayout layout;
  layout.encoding =
      format.format() == v1::SAMPLE_FORMAT_S16LE ? PcmEncoding::kS16 : PcmEncoding::kF32;
  layout.sample_rate_hz = format.sample_rate_hz();
  layout.channels = format.channels();
  AFFECT_ASSIGN_OR_RETURN(const uint64_t frames,
                          CheckFrames(data.size(), layout, /*max_seconds=*/0, field));
  return ToMono(data.data(), frames, layout, field);
}

}  // namespace affect

// Builds WAV files byte by byte for the decoder tests, including broken ones.
#ifndef AFFECT_TESTS_MEDIA_AUDIO_WAV_BUILDER_H_
#define AFFECT_TESTS_MEDIA_AUDIO_WAV_BUILDER_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace affect::testing {

inline void AppendU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}

inline void AppendU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline std::string S16Bytes(const std::vector<int16_t>& samples) {
  std::string out;
  for (int16_t s : samples) AppendU16(&out, static_cast<uint16_t>(s));
  return out;
}

inline std::string F32Bytes(const std::vector<float>& samples) {
  std::string out;
  for (float s : samples) {
    uint32_t bits;
    std::memcpy(&bits, &s, sizeof(bits));
    AppendU32(&out, bits);
  }
  return out;
}

// A chunk: id, little-endian size (declared_size when given, else the body
// size), body, and the pad byte after an odd-sized body.
inline std::string Chunk(absl::string_view id, absl::string_view body, int64_t declared_size = -1) {
  std::string out(id);
  AppendU32(&out, declared_size >= 0 ? static_cast<uint32_t>(declared_size)
                                     : static_cast<uint32_t>(body.size()));
  out.append(body.data(), body.size());
  if (body.size() % 2 == 1) out.push_back('\0');
  return out;
}

struct FmtSpec {
  uint16_t format_tag = 1;
  uint16_t channels = 1;
  uint32_t sample_rate_hz = 16000;
  uint16_t bits_per_sample = 16;
  // WAVE_FORMAT_EXTENSIBLE with this sub-format tag when > 0.
  uint16_t extensible_subformat = 0;
};

inline std::string FmtBody(const FmtSpec& spec) {
  std::string body;
  const uint16_t block_align = static_cast<uint16_t>(spec.channels * spec.bits_per_sample / 8);
  AppendU16(&body, spec.extensible_subformat > 0 ? 0xFFFE : spec.format_tag);
  AppendU16(&body, spec.channels);
  AppendU32(&body, spec.sample_rate_hz);
  AppendU32(&body, spec.sample_rate_hz * block_align);
  AppendU16(&body, block_align);
  AppendU16(&body, spec.bits_per_sample);
  if (spec.extensible_subformat > 0) {
    AppendU16(&body, 22);                          // cbSize
    AppendU16(&body, spec.bits_per_sample);        // valid bits
    AppendU32(&body, spec.channels == 2 ? 3 : 4);  // channel mask
    AppendU16(&body, spec.extensible_subformat);
    const unsigned char tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                    0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    body.append(reinterpret_cast<const char*>(tail), sizeof(tail));
  }
  return body;
}

// "RIFF" size "WAVE" followed by `chunks` (already encoded with Chunk()).
inline std::string Riff(absl::string_view chunks, absl::string_view form = "WAVE") {
  std::string out("RIFF");
  AppendU32(&out, static_cast<uint32_t>(4 + chunks.size()));
  out.append(form.data(), form.size());
  out.append(chunks.data(), chunks.size());
  return out;
}

inline std::string SimpleWav(const FmtSpec& spec, absl::string_view data) {
  return Riff(Chunk("fmt ", FmtBody(spec)) + Chunk("data", data));
}

}  // namespace affect::testing

#endif  // AFFECT_TESTS_MEDIA_AUDIO_WAV_BUILDER_H_

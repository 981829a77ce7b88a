#include "server/media/audio_decoder.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/media/audio_wav_builder.h"
#include "tests/testing/status_matchers.h"

namespace affect {
namespace {

using ::affect::testing::Chunk;
using ::affect::testing::F32Bytes;
using ::affect::testing::FmtBody;
using ::affect::testing::FmtSpec;
using ::affect::testing::IsOk;
using ::affect::testing::Riff;
using ::affect::testing::S16Bytes;
using ::affect::testing::SimpleWav;
using ::affect::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::FloatEq;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

AudioDecodeOptions Options(double max_seconds = 600.0) {
  AudioDecodeOptions options;
  options.max_seconds = max_seconds;
  return options;
}

// --- WAV: what decodes -------------------------------------------------------

TEST(DecodeWavTest, DecodesPcm16Mono) {
  const std::string wav = SimpleWav({}, S16Bytes({0, 16384, -32768, 32767}));
  auto decoded = DecodeWav(wav, Options());
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->sample_rate_hz, 16000u);
  EXPECT_EQ(decoded->source_channels, 1u);
  EXPECT_THAT(decoded->samples,
              ElementsAre(FloatEq(0.0f), FloatEq(0.5f), FloatEq(-1.0f), FloatEq(32767.0f / 32768)))
      << "s16 is scaled by 1/32768";
  EXPECT_DOUBLE_EQ(decoded->duration_seconds(), 4.0 / 16000);
}

TEST(DecodeWavTest, DecodesFloat32) {
  FmtSpec spec;
  spec.format_tag = 3;
  spec.bits_per_sample = 32;
  spec.sample_rate_hz = 44100;
  auto decoded = DecodeWav(SimpleWav(spec, F32Bytes({0.25f, -0.75f, 1.0f})), Options());
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->sample_rate_hz, 44100u);
  EXPECT_THAT(decoded->samples, ElementsAre(0.25f, -0.75f, 1.0f)) << "f32 passes through";
}

TEST(DecodeWavTest, AveragesStereoToMono) {
  FmtSpec spec;
  spec.channels = 2;
  // Frames (L, R): (16384, 0), (-16384, -16384).
  auto decoded = DecodeWav(SimpleWav(spec, S16Bytes({16384, 0, -16384, -16384})), Options());
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->source_channels, 2u);
  EXPECT_THAT(decoded->samples, ElementsAre(FloatEq(0.25f), FloatEq(-0.5f)));
}

TEST(DecodeWavTest, DecodesExtensiblePcm16) {
  FmtSpec spec;
  spec.extensible_subformat = 1;
  spec.channels = 2;
  auto decoded = DecodeWav(SimpleWav(spec, S16Bytes({8192, 8192})), Options());
  ASSERT_THAT(decoded, IsOk());
  EXPECT_THAT(decoded->samples, ElementsAre(FloatEq(0.25f)));
}

TEST(DecodeWavTest, DecodesExtensibleFloat32) {
  FmtSpec spec;
  spec.extensible_subformat = 3;
  spec.bits_per_sample = 32;
  auto decoded = DecodeWav(SimpleWav(spec, F32Bytes({0.5f, -0.5f})), Options());
  ASSERT_THAT(decoded, IsOk());
  EXPECT_THAT(decoded->samples, ElementsAre(0.5f, -0.5f));
}

TEST(DecodeWavTest, SkipsUnknownAndOddSizedChunks) {
  // An odd-sized LIST chunk (padded) before fmt, a fact chunk before data.
  const std::string wav =
      Riff(Chunk("LIST", "abc") + Chunk("fmt ", FmtBody({})) + Chunk("fact", std::string(4, '\0')) +
           Chunk("data", S16Bytes({16384})));
  auto decoded = DecodeWav(wav, Options());
  ASSERT_THAT(decoded, IsOk());
  EXPECT_THAT(decoded->samples, ElementsAre(FloatEq(0.5f)));
}

TEST(DecodeWavTest, AcceptsDataBeforeFmt) {
  const std::string wav = Riff(Chunk("data", S16Bytes({16384})) + Chunk("fmt ", FmtBody({})));
  auto decoded = DecodeWav(wav, Options());
  ASSERT_THAT(decoded, IsOk());
  EXPECT_THAT(decoded->samples, ElementsAre(FloatEq(0.5f)));
}

TEST(DecodeWavTest, IgnoresWrongRiffSizeAndTruncatedTrailingMetadata) {
  std::string wav = SimpleWav({}, S16Bytes({16384, 16384})) + Chunk("LIST", "", 1000);
  wav[4] = wav[5] = wav[6] = wav[7] = 0;  // RIFF size 0, as some streaming writers leave it
  auto decoded = DecodeWav(wav, Options());
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->samples.size(), 2u);
}

// --- WAV: what is refused ----------------------------------------------------

TEST(DecodeWavTest, EmptyIsInvalid) {
  EXPECT_THAT(DecodeWav("", Options()), StatusIs(kInvalid, "audio.wav: is empty: no samples"));
}

TEST(DecodeWavTest, NotRiffIsInvalid) {
  EXPECT_THAT(DecodeWav("ID3\x03 this is an mp3 file", Options()),
              StatusIs(kInvalid, HasSubstr("audio.wav: not a RIFF/WAVE file")));
  EXPECT_THAT(DecodeWav(Riff(Chunk("fmt ", FmtBody({})), "AVI "), Options()),
              StatusIs(kInvalid, HasSubstr("RIFF form type is 'AVI ', not 'WAVE'")));
  EXPECT_THAT(DecodeWav(std::string("RIFX\x10\0\0\0WAVE", 12), Options()),
              StatusIs(kInvalid, HasSubstr("big-endian RIFX")));
}

TEST(DecodeWavTest, TruncatedHeaderIsInvalid) {
  const std::string wav = SimpleWav({}, S16Bytes({1, 2, 3}));
  EXPECT_THAT(DecodeWav(wav.substr(0, 10), Options()),
              StatusIs(kInvalid, HasSubstr("too short for a RIFF/WAVE header")));
  // Cut inside the fmt chunk: it declares 16 bytes, 6 are left.
  EXPECT_THAT(DecodeWav(wav.substr(0, 26), Options()),
              StatusIs(kInvalid,
                       "audio.wav: 'fmt ' chunk declares 16 bytes but only 6 remain "
                       "(truncated file?)"));
  // Header only: no data chunk at all.
  EXPECT_THAT(DecodeWav(wav.substr(0, 36), Options()),
              StatusIs(kInvalid, "audio.wav: no 'data' chunk: no samples"));
}

TEST(DecodeWavTest, DataChunkBeyondTheFileIsInvalid) {
  const std::string wav =
      Riff(Chunk("fmt ", FmtBody({})) + Chunk("data", S16Bytes({1, 2, 3, 4, 5}), 88200));
  EXPECT_THAT(DecodeWav(wav, Options()),
              StatusIs(kInvalid,
                       "audio.wav: data chunk declares 88200 bytes but only 10 remain "
                       "(truncated file?)"));
}

TEST(DecodeWavTest, AbsurdChunkSizesAreInvalidNotOutOfBounds) {
  const std::string junk_first =
      Riff(Chunk("junk", "", 0xFFFFFFFF) + Chunk("fmt ", FmtBody({})) + Chunk("data", "ab"));
  EXPECT_THAT(DecodeWav(junk_first, Options()),
              StatusIs(kInvalid, HasSubstr("'junk' chunk declares 4294967295 bytes")));
  const std::string huge_data = Riff(Chunk("fmt ", FmtBody({})) + Chunk("data", "ab", 0xFFFFFFFE));
  EXPECT_THAT(DecodeWav(huge_data, Options()),
              StatusIs(kInvalid, HasSubstr("data chunk declares 4294967294 bytes but only 2")));
}

TEST(DecodeWavTest, ZeroChannelsIsInvalid) {
  FmtSpec spec;
  spec.channels = 0;
  EXPECT_THAT(DecodeWav(SimpleWav(spec, "ab"), Options()),
              StatusIs(kInvalid, "audio.wav: fmt chunk declares 0 channels"));
}

TEST(DecodeWavTest, SampleRateOutOfBoundsIsInvalid) {
  FmtSpec spec;
  spec.sample_rate_hz = 4000;
  EXPECT_THAT(DecodeWav(SimpleWav(spec, S16Bytes({1})), Options()),
              StatusIs(kInvalid, "audio.wav: sample rate 4000 Hz is outside [8000, 192000]"));
  spec.sample_rate_hz = 384000;
  EXPECT_THAT(DecodeWav(SimpleWav(spec, S16Bytes({1})), Options()),
              StatusIs(kInvalid, HasSubstr("384000 Hz is outside [8000, 192000]")));
}

TEST(DecodeWavTest, NineChannelsIsInvalid) {
  FmtSpec spec;
  spec.channels = 9;
  EXPECT_THAT(DecodeWav(SimpleWav(spec, S16Bytes(std::vector<int16_t>(9, 0))), Options()),
              StatusIs(kInvalid, "audio.wav: 9 channels exceed the maximum of 8"));
}

TEST(DecodeWavTest, PartialFrameIsInvalid) {
  FmtSpec spec;
  spec.channels = 2;
  EXPECT_THAT(DecodeWav(SimpleWav(spec, "abcdefg"), Options()),
              StatusIs(kInvalid,
                       "audio.wav: data chunk: 7 bytes is not a whole number of "
                       "4-byte frames (2 channels x s16le)"));
}

TEST(DecodeWavTest, EmptyDataChunkIsInvalid) {
  EXPECT_THAT(DecodeWav(SimpleWav({}, ""), Options()),
              StatusIs(kInvalid, "audio.wav: data chunk is empty: no samples"));
}

TEST(DecodeWavTest, TooLongIsInvalid) {
  FmtSpec spec;
  spec.sample_rate_hz = 8000;
  const std::string wav = SimpleWav(spec, S16Bytes(std::vector<int16_t>(16000, 0)));
  EXPECT_THAT(DecodeWav(wav, Options(1.5)),
              StatusIs(kInvalid,
                       "audio.wav: data chunk: 2.0 s at 8000 Hz exceeds the limit of "
                       "1.5 s (--max_audio_seconds)"));
  EXPECT_THAT(DecodeWav(wav, Options(2.0)), IsOk()) << "exactly the limit is allowed";
}

TEST(DecodeWavTest, UnsupportedEncodingsAreInvalid) {
  FmtSpec adpcm;
  adpcm.format_tag = 2;
  adpcm.bits_per_sample = 4;
  EXPECT_THAT(DecodeWav(SimpleWav(adpcm, "ab"), Options()),
              StatusIs(kInvalid, HasSubstr("format tag 2 (Microsoft ADPCM) with 4 bits per sample "
                                           "is not supported")));
  FmtSpec pcm8;
  pcm8.bits_per_sample = 8;
  EXPECT_THAT(DecodeWav(SimpleWav(pcm8, "ab"), Options()),
              StatusIs(kInvalid, HasSubstr("format tag 1 (PCM) with 8 bits")));
  FmtSpec pcm24;
  pcm24.extensible_subformat = 1;
  pcm24.bits_per_sample = 24;
  EXPECT_THAT(DecodeWav(SimpleWav(pcm24, "abc"), Options()),
              StatusIs(kInvalid, HasSubstr("with 24 bits")));
}

TEST(DecodeWavTest, InconsistentFmtIsInvalid) {
  std::string body = FmtBody({});
  body[12] = 4;  // block align 4 for mono 16-bit
  EXPECT_THAT(DecodeWav(Riff(Chunk("fmt ", body) + Chunk("data", "ab")), Options()),
              StatusIs(kInvalid, "audio.wav: block align 4 does not match 1 channels x 16 bits"));
  EXPECT_THAT(DecodeWav(Riff(Chunk("fmt ", body.substr(0, 14)) + Chunk("data", "ab")), Options()),
              StatusIs(kInvalid, "audio.wav: fmt chunk is 14 bytes, expected at least 16"));
  FmtSpec extensible;
  extensible.extensible_subformat = 1;
  std::string guid = FmtBody(extensible);
  guid[30] = 0x11;  // not the KSDATAFORMAT GUID tail
  EXPECT_THAT(DecodeWav(Riff(Chunk("fmt ", guid) + Chunk("data", "ab")), Options()),
              StatusIs(kInvalid, HasSubstr("sub-format GUID is not a standard")));
  EXPECT_THAT(DecodeWav(Riff(Chunk("data", "ab")), Options()),
              StatusIs(kInvalid, "audio.wav: no 'fmt ' chunk: not a valid WAVE file"));
}

TEST(DecodeWavTest, NonFiniteFloatIsInvalid) {
  FmtSpec spec;
  spec.format_tag = 3;
  spec.bits_per_sample = 32;
  const std::string wav =
      SimpleWav(spec, F32Bytes({0.0f, std::numeric_limits<float>::quiet_NaN()}));
  EXPECT_THAT(DecodeWav(wav, Options()),
              StatusIs(kInvalid, "audio.wav: data chunk: sample 1 is not a finite number"));
}

// The defect: each sample was checked to be finite, but two finite 3e38
// channels averaged to inf (the sum overflowed before the division), and
// finite samples near FLT_MAX overflowed every later square and filter.
TEST(DecodeWavTest, HugeFiniteFloatSamplesAreInvalid) {
  FmtSpec spec;
  spec.format_tag = 3;
  spec.bits_per_sample = 32;
  spec.channels = 2;
  const float huge = 3e38f;
  const std::string wav = SimpleWav(spec, F32Bytes({0.0f, 0.0f, huge, huge}));
  EXPECT_THAT(DecodeWav(wav, Options()),
              StatusIs(kInvalid, HasSubstr("audio.wav: data chunk: sample 2 is 3e+38: float "
                                           "samples must lie within +/-1000")));
}

// Every prefix and many random corruptions of a valid file either decode or
// fail with INVALID_ARGUMENT; none reads outside the input (run under
// AFFECT_SANITIZER=address to check the latter).
TEST(DecodeWavTest, SurvivesTruncationAndCorruption) {
  FmtSpec spec;
  spec.extensible_subformat = 1;
  spec.channels = 2;
  const std::string wav = Riff(Chunk("LIST", "abc") + Chunk("fmt ", FmtBody(spec)) +
                               Chunk("data", S16Bytes({1, 2, 3, 4, 5, 6, 7, 8})));
  for (size_t n = 0; n <= wav.size(); ++n) {
    const std::string prefix = wav.substr(0, n);
    auto decoded = DecodeWav(prefix, Options());
    EXPECT_TRUE(decoded.ok() || decoded.status().code() == kInvalid)
        << "prefix " << n << ": " << decoded.status();
  }
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 5000; ++trial) {
    std::string corrupt = wav;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      corrupt[rng() % corrupt.size()] = static_cast<char>(rng() & 0xff);
    }
    auto decoded = DecodeWav(corrupt, Options());
    EXPECT_TRUE(decoded.ok() || decoded.status().code() == kInvalid) << decoded.status();
  }
}

// --- Raw PCM -----------------------------------------------------------------

v1::RawAudio Raw(v1::SampleFormat format, uint32_t rate, uint32_t channels, std::string data) {
  v1::RawAudio raw;
  raw.set_format(format);
  raw.set_sample_rate_hz(rate);
  raw.set_channels(channels);
  raw.set_data(std::move(data));
  return raw;
}

TEST(DecodeRawAudioTest, DecodesS16StereoAndF32Mono) {
  auto stereo =
      DecodeRawAudio(Raw(v1::SAMPLE_FORMAT_S16LE, 48000, 2, S16Bytes({16384, 0})), Options());
  ASSERT_THAT(stereo, IsOk());
  EXPECT_EQ(stereo->sample_rate_hz, 48000u);
  EXPECT_THAT(stereo->samples, ElementsAre(FloatEq(0.25f)));
  auto mono =
      DecodeRawAudio(Raw(v1::SAMPLE_FORMAT_F32LE, 8000, 1, F32Bytes({0.5f, -1.0f})), Options());
  ASSERT_THAT(mono, IsOk());
  EXPECT_THAT(mono->samples, ElementsAre(0.5f, -1.0f));
}

TEST(DecodeRawAudioTest, FieldsOutOfBoundsAreNamed) {
  const std::string two = S16Bytes({1, 2});
  EXPECT_THAT(DecodeRawAudio(Raw(v1::SAMPLE_FORMAT_UNSPECIFIED, 16000, 1, two), Options()),
              StatusIs(kInvalid,
                       "audio.raw.format: must be SAMPLE_FORMAT_S16LE or "
                       "SAMPLE_FORMAT_F32LE"));
  EXPECT_THAT(DecodeRawAudio(Raw(v1::SAMPLE_FORMAT_S16LE, 4000, 1, two), Options()),
              StatusIs(kInvalid, "audio.raw.sample_rate_hz: 4000 Hz is outside [8000, 192000]"));
  EXPECT_THAT(DecodeRawAudio(Raw(v1::SAMPLE_FORMAT_S16LE, 16000, 0, two), Options()),
              StatusIs(kInvalid, "audio.raw.channels: must be at least 1"));
  EXPECT_THAT(DecodeRawAudio(Raw(v1::SAMPLE_FORMAT_S16LE, 16000, 9, two), Options()),
              StatusIs(kInvalid, "audio.raw.channels: 9 exceeds the maximum of 8"));
  EXPECT_THAT(DecodeRawAudio(Raw(v1::SAMPLE_FORMAT_S16LE, 16000, 1, ""), Options()),
              StatusIs(kInvalid, "audio.raw.data: is empty: no samples"));
  EXPECT_THAT(DecodeRawAudio(Raw(v1::SAMPLE_FORMAT_S16LE, 16000, 2, "abc"), Options()),
              StatusIs(kInvalid,
                       "audio.raw.data: 3 bytes is not a whole number of 4-byte "
                       "frames (2 channels x s16le)"));
  EXPECT_THAT(DecodeRawAudio(Raw(v1::SAMPLE_FORMAT_F32LE, 8000, 1, std::string(4 * 8000 * 3, '\0')),
                             Options(2.0)),
              StatusIs(kInvalid,
                       "audio.raw.data: 3.0 s at 8000 Hz exceeds the limit of 2 s "
                       "(--max_audio_seconds)"));
}

TEST(DecodeRawAudioTest, HugeFiniteFloatSamplesAreInvalid) {
  const float max = std::numeric_limits<float>::max();
  EXPECT_THAT(DecodeRawAudio(Raw(v1::SAMPLE_FORMAT_F32LE, 16000, 2, F32Bytes({max, max})),
                             Options()),
              StatusIs(kInvalid, HasSubstr("audio.raw.data: sample 0 is")));
  EXPECT_THAT(DecodeRawAudio(Raw(v1::SAMPLE_FORMAT_F32LE, 16000, 1, F32Bytes({-1000.5f})),
                             Options()),
              StatusIs(kInvalid, HasSubstr("divided by 32768")));
  // Overs within the bound are kept as they are.
  auto overs = DecodeRawAudio(
      Raw(v1::SAMPLE_FORMAT_F32LE, 16000, 2, F32Bytes({1000.0f, 1000.0f, -1.5f, -2.5f})),
      Options());
  ASSERT_THAT(overs, IsOk());
  EXPECT_THAT(overs->samples, ElementsAre(1000.0f, -2.0f));
  for (float sample : overs->samples) EXPECT_TRUE(std::isfinite(sample));
}

TEST(DecodeAudioTest, DispatchesOnTheSource) {
  v1::Audio audio;
  EXPECT_THAT(DecodeAudio(audio, Options()),
              StatusIs(kInvalid, "audio: no samples (set wav or raw)"));
  audio.set_wav(SimpleWav({}, S16Bytes({16384})));
  auto wav = DecodeAudio(audio, Options());
  ASSERT_THAT(wav, IsOk());
  EXPECT_THAT(wav->samples, ElementsAre(FloatEq(0.5f)));
  *audio.mutable_raw() = Raw(v1::SAMPLE_FORMAT_S16LE, 4000, 1, S16Bytes({1}));
  EXPECT_THAT(DecodeAudio(audio, Options()),
              StatusIs(kInvalid, HasSubstr("audio.raw.sample_rate_hz")));
}

TEST(DecodeAudioForAnalysisTest, ResamplesTo16kHzMono) {
  v1::Audio audio;
  *audio.mutable_raw() =
      Raw(v1::SAMPLE_FORMAT_S16LE, 48000, 2, S16Bytes(std::vector<int16_t>(2 * 4800, 1000)));
  auto decoded = DecodeAudioForAnalysis(audio, Options());
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->sample_rate_hz, 16000u);
  EXPECT_EQ(decoded->source_channels, 2u);
  EXPECT_EQ(decoded->samples.size(), 1600u) << "0.1 s";
  EXPECT_NEAR(decoded->samples[800], 1000.0f / 32768, 1e-5) << "DC level kept mid-clip";
  audio.mutable_raw()->set_sample_rate_hz(4000);
  EXPECT_THAT(DecodeAudioForAnalysis(audio, Options()),
              StatusIs(kInvalid, HasSubstr("audio.raw.sample_rate_hz: 4000 Hz")));
}

// --- Stream chunks -----------------------------------------------------------

TEST(StreamAudioTest, ValidatesTheStreamFormat) {
  v1::AudioFormat format;
  EXPECT_THAT(ValidateAudioFormat(format, "config.audio_format"),
              StatusIs(kInvalid, HasSubstr("config.audio_format.format: must be")));
  format.set_format(v1::SAMPLE_FORMAT_S16LE);
  format.set_sample_rate_hz(7999);
  format.set_channels(1);
  EXPECT_THAT(
      ValidateAudioFormat(format, "config.audio_format"),
      StatusIs(kInvalid, "config.audio_format.sample_rate_hz: 7999 Hz is outside [8000, 192000]"));
  format.set_sample_rate_hz(16000);
  format.set_channels(0);
  EXPECT_THAT(ValidateAudioFormat(format, "config.audio_format"),
              StatusIs(kInvalid, "config.audio_format.channels: must be at least 1"));
  format.set_channels(2);
  EXPECT_THAT(ValidateAudioFormat(format, "config.audio_format"), IsOk());
}

TEST(StreamAudioTest, DecodesWholeFrameChunks) {
  v1::AudioFormat format;
  format.set_format(v1::SAMPLE_FORMAT_S16LE);
  format.set_sample_rate_hz(16000);
  format.set_channels(2);
  auto samples = DecodePcmChunk(S16Bytes({16384, 16384, 0, -16384}), format, "audio.data");
  ASSERT_THAT(samples, IsOk());
  EXPECT_THAT(*samples, ElementsAre(FloatEq(0.5f), FloatEq(-0.25f)));
  EXPECT_THAT(DecodePcmChunk("abcdef", format, "audio.data"),
              StatusIs(kInvalid, HasSubstr("audio.data: 6 bytes is not a whole number of 4-byte")));
  EXPECT_THAT(DecodePcmChunk("", format, "audio.data"),
              StatusIs(kInvalid, "audio.data: is empty: no samples"));
}

TEST(StreamAudioTest, HugeFiniteFloatSamplesAreInvalid) {
  v1::AudioFormat format;
  format.set_format(v1::SAMPLE_FORMAT_F32LE);
  format.set_sample_rate_hz(16000);
  format.set_channels(2);
  const float huge = 3e38f;
  EXPECT_THAT(DecodePcmChunk(F32Bytes({huge, huge}), format, "audio.data"),
              StatusIs(kInvalid, HasSubstr("audio.data: sample 0 is 3e+38")));
}

}  // namespace
}  // namespace affect

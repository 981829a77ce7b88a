// Every number a client controls in audio (sample rate, channels, length,
// sample values) at the edges of what the decoder accepts, through decoding,
// resampling and the whole voice analysis: nothing may crash, and every
// number in the answer must be finite (a NaN or inf in a response is a
// defect: clients cannot act on it, and JSON cannot even encode it).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "affect/v1/results.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "server/analysis/voice/voice_analyzer.h"
#include "server/media/audio_decoder.h"

namespace affect {
namespace {

// Every float and double field of `message` and its sub-messages is finite.
void ExpectAllFinite(const google::protobuf::Message& message, const std::string& context) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    const std::string where = context + "." + field->name();
    const int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      switch (field->cpp_type()) {
        case google::protobuf::FieldDescriptor::CPPTYPE_FLOAT: {
          const float value = field->is_repeated() ? reflection->GetRepeatedFloat(message, field, i)
                                                   : reflection->GetFloat(message, field);
          EXPECT_TRUE(std::isfinite(value)) << where << " = " << value;
          break;
        }
        case google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE: {
          const double value = field->is_repeated()
                                   ? reflection->GetRepeatedDouble(message, field, i)
                                   : reflection->GetDouble(message, field);
          EXPECT_TRUE(std::isfinite(value)) << where << " = " << value;
          break;
        }
        case google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE:
          ExpectAllFinite(field->is_repeated() ? reflection->GetRepeatedMessage(message, field, i)
                                               : reflection->GetMessage(message, field),
                          where);
          break;
        default:
          break;
      }
    }
  }
}

std::string F32(const std::vector<float>& samples) {
  std::string bytes(samples.size() * 4, '\0');
  std::memcpy(bytes.data(), samples.data(), bytes.size());  // little-endian hosts only
  return bytes;
}

std::string S16(const std::vector<int16_t>& samples) {
  std::string bytes(samples.size() * 2, '\0');
  std::memcpy(bytes.data(), samples.data(), bytes.size());
  return bytes;
}

struct Signal {
  const char* name;
  float (*value)(uint64_t index);
};

TEST(VoiceExtremeInputTest, EdgeRatesChannelsLengthsAndLevelsGiveFiniteAnswers) {
  auto analyzer = VoiceAnalyzer::Create({});
  ASSERT_TRUE(analyzer.ok()) << analyzer.status();
  const Signal signals[] = {
      {"silence", [](uint64_t) { return 0.0f; }},
      {"max_float_square", [](uint64_t i) { return i % 2 == 0 ? kMaxFloatSampleMagnitude
                                                               : -kMaxFloatSampleMagnitude; }},
      {"max_float_dc", [](uint64_t) { return kMaxFloatSampleMagnitude; }},
      {"tiny_denormal", [](uint64_t i) { return i % 3 == 0 ? 1e-40f : -1e-40f; }},
      {"full_scale_150hz_square", [](uint64_t i) { return (i / 53) % 2 == 0 ? 1.0f : -1.0f; }},
  };
  const uint32_t rates[] = {kMinAudioSampleRateHz, 8001, 16000, 44100, 191999,
                            kMaxAudioSampleRateHz};
  const uint32_t channel_counts[] = {1, kMaxAudioChannels};
  int cases = 0;
  for (const uint32_t rate : rates) {
    // One frame, just under and over one analysis frame, and one second.
    for (const uint64_t frames : {uint64_t{1}, uint64_t{rate * 3 / 100 - 1},
                                  uint64_t{rate * 3 / 100 + 1}, uint64_t{rate}}) {
      for (const uint32_t channels : channel_counts) {
        for (const Signal& signal : signals) {
          std::vector<float> samples(frames * channels);
          for (uint64_t i = 0; i < samples.size(); ++i) samples[i] = signal.value(i / channels);
          v1::Audio audio;
          audio.mutable_raw()->set_format(v1::SAMPLE_FORMAT_F32LE);
          audio.mutable_raw()->set_sample_rate_hz(rate);
          audio.mutable_raw()->set_channels(channels);
          audio.mutable_raw()->set_data(F32(samples));
          const std::string context = std::string(signal.name) + " at " + std::to_string(rate) +
                                      " Hz x" + std::to_string(channels) + ", " +
                                      std::to_string(frames) + " frames";
          auto decoded = DecodeAudioForAnalysis(audio, AudioDecodeOptions{});
          ASSERT_TRUE(decoded.ok()) << context << ": " << decoded.status();
          for (float sample : decoded->samples) {
            ASSERT_TRUE(std::isfinite(sample)) << context << ": resampled sample " << sample;
          }
          ExpectAllFinite((*analyzer)->AnalyzeClip(decoded->samples), context);
          VoiceStreamState state;
          ExpectAllFinite((*analyzer)->AnalyzeStreamWindow(decoded->samples, &state),
                          context + " (stream)");
          ++cases;
        }
      }
    }
  }
  EXPECT_EQ(cases, 6 * 4 * 2 * 5);
}

TEST(VoiceExtremeInputTest, S16ExtremesGiveFiniteAnswers) {
  auto analyzer = VoiceAnalyzer::Create({});
  ASSERT_TRUE(analyzer.ok()) << analyzer.status();
  for (const int16_t level : {int16_t{-32768}, int16_t{32767}}) {
    v1::Audio audio;
    audio.mutable_raw()->set_format(v1::SAMPLE_FORMAT_S16LE);
    audio.mutable_raw()->set_sample_rate_hz(48000);
    audio.mutable_raw()->set_channels(2);
    audio.mutable_raw()->set_data(S16(std::vector<int16_t>(2 * 48000, level)));
    auto decoded = DecodeAudioForAnalysis(audio, AudioDecodeOptions{});
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    ExpectAllFinite((*analyzer)->AnalyzeClip(decoded->samples), std::to_string(level));
  }
}

}  // namespace
}  // namespace affect

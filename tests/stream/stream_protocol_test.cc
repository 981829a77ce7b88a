// The stream protocol without gRPC: message order, one config, strictly
// increasing sequences, non-decreasing timestamps within range, config
// field ranges and audio formats, with the extremes a hostile client sends.
#include "server/stream/stream_protocol.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect::stream {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr uint32_t kUint32Max = std::numeric_limits<uint32_t>::max();

v1::StreamRequest Config(v1::StreamConfig config = {}) {
  v1::StreamRequest request;
  *request.mutable_config() = std::move(config);
  return request;
}

v1::StreamRequest Frame(uint64_t sequence, int64_t timestamp_us) {
  v1::StreamRequest request;
  request.mutable_frame()->set_sequence(sequence);
  request.mutable_frame()->set_timestamp_us(timestamp_us);
  return request;
}

v1::StreamRequest Audio(int64_t timestamp_us, std::string data) {
  v1::StreamRequest request;
  request.mutable_audio()->set_timestamp_us(timestamp_us);
  request.mutable_audio()->set_data(std::move(data));
  return request;
}

v1::StreamConfig WithAudio(uint32_t rate_hz, uint32_t channels = 1) {
  v1::StreamConfig config;
  config.mutable_audio_format()->set_format(v1::SAMPLE_FORMAT_S16LE);
  config.mutable_audio_format()->set_sample_rate_hz(rate_hz);
  config.mutable_audio_format()->set_channels(channels);
  return config;
}

// A configured protocol (default config).
StreamProtocol Configured(v1::StreamConfig config = {}) {
  StreamProtocol protocol({});
  absl::StatusOr<StreamStep> step = protocol.Accept(Config(std::move(config)));
  EXPECT_TRUE(step.ok()) << step.status();
  return protocol;
}

TEST(StreamProtocolTest, FirstMessageMustBeConfig) {
  StreamProtocol protocol({});
  EXPECT_THAT(protocol.Accept(Frame(1, 0)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be `config`")));
  EXPECT_THAT(protocol.Accept(v1::StreamRequest()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be `config`")));
  EXPECT_FALSE(protocol.configured()) << "a refused message changes nothing";
}

TEST(StreamProtocolTest, ConfigSetsUpTheStream) {
  v1::StreamConfig config = WithAudio(16000);
  config.set_stream_id("call-7");
  config.set_drop_policy(v1::DROP_POLICY_BACKPRESSURE);
  config.set_max_frames_in_flight(8);
  config.set_aggregate_interval_ms(500);
  StreamProtocolOptions options;
  options.max_running_frames = 3;
  StreamProtocol protocol(options);
  absl::StatusOr<StreamStep> step = protocol.Accept(Config(config));
  ASSERT_TRUE(step.ok()) << step.status();
  ASSERT_EQ(step->kind, StreamStep::Kind::kConfigure);
  const StreamSetup& setup = step->setup;
  EXPECT_EQ(setup.stream_id, "call-7");
  EXPECT_EQ(setup.schedule.max_running, 3);
  EXPECT_EQ(setup.schedule.max_in_flight, 8);
  EXPECT_EQ(setup.schedule.drop_policy, v1::DROP_POLICY_BACKPRESSURE);
  EXPECT_FALSE(setup.live) << "backpressure streams never drop old frames";
  ASSERT_NE(setup.aggregator, nullptr);
  EXPECT_EQ(setup.aggregator->open_window_end_us(), 500'000);
  ASSERT_NE(setup.audio, nullptr);
  EXPECT_TRUE(protocol.configured());
}

TEST(StreamProtocolTest, UnsetDropPolicyIsLiveWithTheServersFrameAge) {
  StreamProtocolOptions options;
  options.default_max_frame_age = absl::Milliseconds(750);
  StreamProtocol protocol(options);
  absl::StatusOr<StreamStep> step = protocol.Accept(Config());
  ASSERT_TRUE(step.ok()) << step.status();
  EXPECT_EQ(step->setup.schedule.drop_policy, v1::DROP_POLICY_DROP_OLDEST);
  EXPECT_TRUE(step->setup.live);
  EXPECT_EQ(step->setup.schedule.max_frame_age, absl::Milliseconds(750));
  EXPECT_EQ(step->setup.audio, nullptr) << "no audio_format, no audio";
}

TEST(StreamProtocolTest, SecondConfigIsRefused) {
  StreamProtocol protocol = Configured();
  EXPECT_THAT(protocol.Accept(Config()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("only be sent once")));
}

TEST(StreamProtocolTest, EmptyMessageAfterConfigIsRefused) {
  StreamProtocol protocol = Configured();
  EXPECT_THAT(protocol.Accept(v1::StreamRequest()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty StreamRequest")));
}

TEST(StreamProtocolTest, ServerCheckRunsFirstAndNamesTheStream) {
  StreamProtocolOptions options;
  int calls = 0;
  options.server_config_check = [&calls](const v1::StreamConfig& config) {
    ++calls;
    return absl::StatusOr<std::string>(absl::PermissionDeniedError("not for this caller"));
  };
  StreamProtocol refusing(options);
  v1::StreamConfig bad_policy;
  bad_policy.set_drop_policy(static_cast<v1::DropPolicy>(99));
  EXPECT_THAT(refusing.Accept(Config(bad_policy)).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not for this caller")))
      << "the server's check comes before the protocol's own";
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(refusing.configured());

  options.server_config_check = [](const v1::StreamConfig&) {
    return absl::StatusOr<std::string>("made-by-server");
  };
  StreamProtocol naming(options);
  absl::StatusOr<StreamStep> step = naming.Accept(Config());
  ASSERT_TRUE(step.ok()) << step.status();
  EXPECT_EQ(step->setup.stream_id, "made-by-server");
}

TEST(StreamProtocolTest, ConfigFieldRanges) {
  struct Case {
    const char* name;
    void (*set)(v1::StreamConfig*);
    const char* message;
  };
  const Case cases[] = {
      {"drop policy",
       [](v1::StreamConfig* c) { c->set_drop_policy(static_cast<v1::DropPolicy>(-3)); },
       "config.drop_policy: -3 is not a drop policy"},
      {"zero in flight", [](v1::StreamConfig* c) { c->set_max_frames_in_flight(0); },
       "config.max_frames_in_flight: 0 is outside [1, 64]"},
      {"huge in flight", [](v1::StreamConfig* c) { c->set_max_frames_in_flight(kUint32Max); },
       "config.max_frames_in_flight: 4294967295 is outside [1, 64]"},
      {"zero frame age", [](v1::StreamConfig* c) { c->set_max_frame_age_ms(0); },
       "config.max_frame_age_ms: 0 is outside [1, 60000]"},
      {"huge frame age", [](v1::StreamConfig* c) { c->set_max_frame_age_ms(kUint32Max); },
       "config.max_frame_age_ms: 4294967295 is outside [1, 60000]"},
      {"zero window", [](v1::StreamConfig* c) { c->set_aggregate_interval_ms(0); },
       "config.aggregate_interval_ms: 0 is outside [100, 600000]"},
      {"huge window", [](v1::StreamConfig* c) { c->set_aggregate_interval_ms(kUint32Max); },
       "config.aggregate_interval_ms: 4294967295 is outside [100, 600000]"},
      {"zero smoothing", [](v1::StreamConfig* c) { c->set_smoothing_window_frames(0); },
       "config.smoothing_window_frames: 0 is outside [1, 300]"},
      {"huge smoothing", [](v1::StreamConfig* c) { c->set_smoothing_window_frames(kUint32Max); },
       "config.smoothing_window_frames: 4294967295 is outside [1, 300]"},
      {"huge scene interval", [](v1::StreamConfig* c) { c->set_scene_interval_ms(kUint32Max); },
       "scene_interval_ms"},
      {"huge attire interval", [](v1::StreamConfig* c) { c->set_attire_interval_ms(kUint32Max); },
       "attire_interval_ms"},
  };
  for (const Case& test : cases) {
    v1::StreamConfig config;
    test.set(&config);
    StreamProtocol protocol({});
    EXPECT_THAT(protocol.Accept(Config(config)).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(test.message)))
        << test.name;
    EXPECT_FALSE(protocol.configured()) << test.name;
  }
}

TEST(StreamProtocolTest, AudioFormatRatesAndChannelsAreChecked) {
  for (uint32_t rate : {0u, 1u, 7999u, 192001u, kUint32Max}) {
    StreamProtocol protocol({});
    EXPECT_THAT(protocol.Accept(Config(WithAudio(rate))).status(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("config.audio_format.sample_rate_hz")))
        << rate << " Hz";
  }
  for (uint32_t channels : {0u, 9u, kUint32Max}) {
    StreamProtocol protocol({});
    EXPECT_THAT(
        protocol.Accept(Config(WithAudio(16000, channels))).status(),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config.audio_format.channels")))
        << channels << " channels";
  }
  v1::StreamConfig bad_format = WithAudio(16000);
  bad_format.mutable_audio_format()->set_format(v1::SAMPLE_FORMAT_UNSPECIFIED);
  StreamProtocol protocol({});
  EXPECT_THAT(
      protocol.Accept(Config(bad_format)).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config.audio_format.format")));
}

TEST(StreamProtocolTest, FramesAreNumberedInArrivalOrder) {
  StreamProtocol protocol = Configured();
  for (int64_t i = 0; i < 3; ++i) {
    absl::StatusOr<StreamStep> step = protocol.Accept(Frame(10 + i, 1000 * i));
    ASSERT_TRUE(step.ok()) << step.status();
    EXPECT_EQ(step->kind, StreamStep::Kind::kFrame);
    EXPECT_EQ(step->frame_index, i);
  }
  EXPECT_EQ(protocol.frames_accepted(), 3);
  EXPECT_EQ(protocol.last_frame_timestamp_us(), 2000);
}

TEST(StreamProtocolTest, SequenceMustIncreaseStrictly) {
  StreamProtocol protocol = Configured();
  ASSERT_TRUE(protocol.Accept(Frame(5, 0)).ok());
  EXPECT_THAT(protocol.Accept(Frame(5, 10)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "frame.sequence 5 does not increase (previous 5)"));
  EXPECT_THAT(protocol.Accept(Frame(4, 10)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not increase")));
  EXPECT_EQ(protocol.frames_accepted(), 1) << "refused frames are not counted";
  // The largest sequence is accepted; nothing can follow it.
  ASSERT_TRUE(protocol.Accept(Frame(std::numeric_limits<uint64_t>::max(), 10)).ok());
  EXPECT_THAT(protocol.Accept(Frame(0, 20)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not increase")));
}

TEST(StreamProtocolTest, TimestampMayRepeatButNeverDecrease) {
  StreamProtocol protocol = Configured();
  ASSERT_TRUE(protocol.Accept(Frame(1, 1000)).ok());
  EXPECT_TRUE(protocol.Accept(Frame(2, 1000)).ok()) << "equal timestamps are allowed";
  EXPECT_THAT(protocol.Accept(Frame(3, 999)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "frame.timestamp_us 999 is earlier than the previous frame's (1000)"));
}

TEST(StreamProtocolTest, TimestampExtremesAreRefusedBeforeAnyArithmetic) {
  // Issue 16: an int64-max timestamp once made a stream spin forever.
  for (int64_t timestamp : {kInt64Max, kInt64Min, int64_t{-1}, kMaxStreamTimeUs + 1}) {
    StreamProtocol protocol = Configured();
    EXPECT_THAT(protocol.Accept(Frame(1, timestamp)).status(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrCat("frame.timestamp_us ", timestamp,
                                                " is outside [0, ", kMaxStreamTimeUs, "]"))))
        << timestamp;
  }
  StreamProtocol protocol = Configured();
  EXPECT_TRUE(protocol.Accept(Frame(1, kMaxStreamTimeUs)).ok()) << "the bound itself is valid";
}

TEST(StreamProtocolTest, AudioNeedsAFormat) {
  StreamProtocol protocol = Configured();
  EXPECT_THAT(
      protocol.Accept(Audio(0, std::string(4, '\0'))).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config.audio_format was not set")));
}

TEST(StreamProtocolTest, AudioIsDecodedToSamples) {
  StreamProtocol protocol = Configured(WithAudio(16000, 2));
  // Two stereo s16 frames: (1000, 3000) and (-2000, 0).
  const int16_t pcm[] = {1000, 3000, -2000, 0};
  absl::StatusOr<StreamStep> step = protocol.Accept(
      Audio(kInt64Max, std::string(reinterpret_cast<const char*>(pcm), sizeof pcm)));
  ASSERT_TRUE(step.ok()) << step.status();
  EXPECT_EQ(step->kind, StreamStep::Kind::kAudio);
  ASSERT_EQ(step->samples.size(), 2u) << "mixed down to mono";
  EXPECT_NEAR(step->samples[0], 2000.0f / 32768.0f, 1e-4);
  // The timestamp is passed through unchanged: the piecer range-checks it
  // (only streams that analyse the voice need it).
  EXPECT_EQ(step->audio_timestamp_us, kInt64Max);
}

TEST(StreamProtocolTest, AudioMustHoldWholeFrames) {
  StreamProtocol protocol = Configured(WithAudio(16000, 2));
  EXPECT_THAT(protocol.Accept(Audio(0, "")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("audio.data")));
  EXPECT_THAT(protocol.Accept(Audio(0, std::string(3, '\0'))).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("audio.data")));
}

}  // namespace
}  // namespace affect::stream

// Privacy, tested: a full run (unary calls, streams with frames and audio,
// failing requests and frames) at DEBUG log level must leave no payload
// bytes in the logs, the metrics or the model repository folder, and every
// finished stream's state must be released.
//
// The payload carries a distinctive byte pattern (kMarker) in raw pixels,
// raw audio, WAV and garbage "images"; the logs are searched for it as
// bytes, as hex and as base64.
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "server/api/affect_server.h"
#include "server/common/logging.h"
#include "tests/testing/loopback_server_options.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model_repository.h"

namespace affect {
namespace {

// 24 bytes that occur in no log line by accident.
constexpr char kMarker[] = "Qz7-PAYLOAD-MARKER-9xK4#";

// `bytes` long, the marker repeated.
std::string MarkerBytes(size_t bytes) {
  std::string out;
  while (out.size() < bytes) out += kMarker;
  out.resize(bytes);
  return out;
}

// The forms a payload could take in text: raw, hex (either case), base64.
std::vector<std::string> Encodings() {
  const std::string raw = kMarker;
  const std::string hex = absl::BytesToHexString(raw);
  std::vector<std::string> forms = {raw, hex, absl::AsciiStrToUpper(hex)};
  // base64 of the marker at each of the three byte alignments, minus the
  // edge characters that depend on the neighbours.
  for (int shift = 0; shift < 3; ++shift) {
    std::string encoded;
    absl::Base64Escape(MarkerBytes(sizeof(kMarker) - 1 + shift).substr(shift), &encoded);
    forms.push_back(encoded.substr(4, 16));
  }
  return forms;
}

void ExpectNoPayload(const std::string& text, const std::string& where) {
  for (const std::string& form : Encodings()) {
    EXPECT_FALSE(absl::StrContains(text, form))
        << where << " contains payload bytes (as '" << form << "')";
  }
}

class PrivacyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_level_ = GetLogLevel();
    SetLogLevel(LogLevel::kDebug);
    SetLogSinkForTesting(&logs_);
    AFFECT_LOG(DEBUG) << "privacy test: debug lines are on";
    ASSERT_TRUE(testing::WriteTinyFaceDetector(repository_.path(), "faces").ok());
    ASSERT_TRUE(testing::WriteTinyExpressionModel(repository_.path(), "expression").ok());
    auto server = AffectServer::Start(testing::LoopbackServerOptions(repository_.path()));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = v1::AffectService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
    server_.reset();
    SetLogSinkForTesting(nullptr);
    SetLogLevel(saved_level_);
  }

  grpc::Status Analyze(const v1::AnalyzeRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    v1::AnalyzeResponse response;
    return stub_->Analyze(&context, request, &response);
  }

  static v1::Image RawImage(int width, int height, size_t bytes) {
    v1::Image image;
    image.mutable_raw()->set_data(MarkerBytes(bytes));
    image.mutable_raw()->set_width(static_cast<uint32_t>(width));
    image.mutable_raw()->set_height(static_cast<uint32_t>(height));
    image.mutable_raw()->set_format(v1::PIXEL_FORMAT_RGB8);
    return image;
  }
  static v1::Audio RawAudio(size_t bytes) {
    v1::Audio audio;
    audio.mutable_raw()->set_data(MarkerBytes(bytes));
    audio.mutable_raw()->set_format(v1::SAMPLE_FORMAT_S16LE);
    audio.mutable_raw()->set_sample_rate_hz(16000);
    audio.mutable_raw()->set_channels(1);
    return audio;
  }

  // Config, frames (good and corrupt) and audio chunks, then half-close.
  grpc::Status RunStream(const std::string& id, bool protocol_error) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    auto stream = stub_->AnalyzeStream(&context);
    v1::StreamRequest config;
    config.mutable_config()->set_stream_id(id);
    config.mutable_config()->set_drop_policy(v1::DROP_POLICY_BACKPRESSURE);
    config.mutable_config()->mutable_audio_format()->set_format(v1::SAMPLE_FORMAT_S16LE);
    config.mutable_config()->mutable_audio_format()->set_sample_rate_hz(16000);
    config.mutable_config()->mutable_audio_format()->set_channels(1);
    stream->Write(config);
    for (int i = 1; i <= 4; ++i) {
      v1::StreamRequest frame;
      frame.mutable_frame()->set_sequence(static_cast<uint64_t>(i));
      frame.mutable_frame()->set_timestamp_us(i * 100'000);
      if (i == 3) {
        frame.mutable_frame()->mutable_image()->set_encoded(MarkerBytes(3000));  // corrupt
      } else {
        *frame.mutable_frame()->mutable_image() = RawImage(32, 32, 32 * 32 * 3);
      }
      stream->Write(frame);
      v1::StreamRequest audio;
      audio.mutable_audio()->set_timestamp_us(i * 100'000);
      audio.mutable_audio()->set_data(MarkerBytes(3200));  // 0.1 s
      stream->Write(audio);
    }
    if (protocol_error) stream->Write(config);  // a second config
    stream->WritesDone();
    v1::StreamResponse response;
    while (stream->Read(&response)) {
    }
    return stream->Finish();
  }

  LogLevel saved_level_ = LogLevel::kInfo;
  std::string logs_;
  testing::TempDir repository_;
  std::unique_ptr<AffectServer> server_;
  std::unique_ptr<v1::AffectService::Stub> stub_;
};

TEST_F(PrivacyTest, AFullRunLeavesNoPayloadInLogsMetricsOrFilesAndFreesStreams) {
  // Unary: good image, good audio, both together.
  v1::AnalyzeRequest image;
  *image.mutable_image() = RawImage(32, 32, 32 * 32 * 3);
  image.add_analyses(v1::ANALYSIS_EMOTION);
  EXPECT_TRUE(Analyze(image).ok());
  v1::AnalyzeRequest audio;
  *audio.mutable_audio() = RawAudio(32000);
  EXPECT_TRUE(Analyze(audio).ok());
  v1::AnalyzeRequest both = image;
  *both.mutable_audio() = RawAudio(16000);
  both.add_analyses(v1::ANALYSIS_VOICE);
  EXPECT_TRUE(Analyze(both).ok());

  // Unary errors whose messages could be tempted to quote the input.
  v1::AnalyzeRequest garbage;
  garbage.mutable_image()->set_encoded(MarkerBytes(5000));
  EXPECT_EQ(Analyze(garbage).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::AnalyzeRequest wrong_size;
  *wrong_size.mutable_image() = RawImage(32, 32, 1000);
  EXPECT_EQ(Analyze(wrong_size).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::AnalyzeRequest bad_wav;
  bad_wav.mutable_audio()->set_wav(MarkerBytes(2000));
  EXPECT_EQ(Analyze(bad_wav).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::AnalyzeRequest odd_audio;
  *odd_audio.mutable_audio() = RawAudio(3201);  // not whole samples
  EXPECT_EQ(Analyze(odd_audio).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Streams: a clean one, and one ending in a protocol error.
  EXPECT_TRUE(RunStream("privacy-1", false).ok());
  EXPECT_EQ(RunStream("privacy-2", true).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Stream state is released: the registry forgets a stream when gRPC is
  // done with it, the scheduler when the session is destroyed, which may be
  // a moment after the client saw the status.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while ((server_->open_streams() != 0 || server_->scheduled_streams() != 0) &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(server_->open_streams(), 0) << "the registry still holds a finished stream";
  EXPECT_EQ(server_->scheduled_streams(), 0) << "a finished stream's session was not destroyed";
  EXPECT_THAT(server_->metrics().Serialize(), ::testing::HasSubstr("affect_active_streams 0"));

  const std::string metrics = server_->metrics().Serialize();
  server_->Shutdown();  // every log line written
  const std::string logs = logs_;
  ASSERT_TRUE(absl::StrContains(logs, "stream started")) << "the logs were captured:\n" << logs;
  ASSERT_TRUE(absl::StrContains(logs, "DEBUG privacy_test.cc"))
      << "debug lines were enabled and captured during the run:\n" << logs;
  ExpectNoPayload(logs, "the logs");
  ExpectNoPayload(metrics, "the metrics");

  // Nothing was written next to the models (the one folder the server reads).
  for (const auto& entry : std::filesystem::recursive_directory_iterator(repository_.path())) {
    if (!entry.is_regular_file()) continue;
    std::ifstream file(entry.path(), std::ios::binary);
    std::stringstream contents;
    contents << file.rdbuf();
    ExpectNoPayload(contents.str(), entry.path().string());
  }
}

}  // namespace
}  // namespace affect

// The whole service on the real converted models and the face-api demo
// photos: Analyze and AnalyzeStream end to end.
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <thread>

#include "absl/strings/str_cat.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "server/api/affect_server.h"
#include "tests/api/real_model_server_test_base.h"
#include "tests/testing/real_models.h"

namespace affect {
namespace {

using ::testing::Contains;
using ::testing::Ge;
using ::testing::SizeIs;

class RealModelsServiceTest : public testing::RealModelServerTest {};

// 16 kHz mono s16le: a 180 Hz harmonic tone with 4 Hz syllable-like bursts.
std::string SpeechLikePcm(double seconds) {
  std::string bytes;
  const int n = static_cast<int>(seconds * 16000);
  for (int i = 0; i < n; ++i) {
    const double t = i / 16000.0;
    const double envelope = 0.5 * (1 - std::cos(2 * M_PI * 4 * t));
    const double s = envelope * 0.3 *
                     (std::sin(2 * M_PI * 180 * t) + 0.5 * std::sin(2 * M_PI * 360 * t));
    const auto v = static_cast<int16_t>(std::lround(s * 32767 / 1.5));
    bytes.push_back(static_cast<char>(v & 0xFF));
    bytes.push_back(static_cast<char>((v >> 8) & 0xFF));
  }
  return bytes;
}

TEST_F(RealModelsServiceTest, AnalyzeReadsFacesAttireAndSceneOfADemoPhoto) {
  v1::AnalyzeRequest request;
  request.set_request_id("photo-1");
  request.mutable_image()->set_encoded(testing::ReadBinaryFile(testing::DemoPhotoPath(1)));
  v1::AnalyzeResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  const grpc::Status status = stub_->Analyze(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.request_id(), "photo-1");
  const v1::ImageAnalysis& image = response.image();
  EXPECT_GT(image.size().width(), 0u);
  ASSERT_THAT(image.faces(), SizeIs(Ge(1))) << "sample1 shows several faces";
  for (const v1::Face& face : image.faces()) {
    ASSERT_TRUE(face.has_expression()) << "face " << face.index();
    EXPECT_THAT(face.expression().scores(), SizeIs(7));
    float sum = 0;
    for (const auto& score : face.expression().scores()) sum += score.score();
    EXPECT_NEAR(sum, 1.0f, 0.02f) << "probabilities of face " << face.index();
    EXPECT_NE(face.expression().dominant(), v1::EXPRESSION_UNSPECIFIED);
    EXPECT_THAT(face.landmarks(), SizeIs(6));
  }
  EXPECT_EQ(image.attire_size(), image.faces_size()) << "one attire entry per person";
  std::vector<std::string> labels;
  for (const auto& object : image.scene().objects()) labels.push_back(object.label());
  EXPECT_THAT(labels, Contains("person"));
  EXPECT_GT(image.scene().lighting().brightness(), 0.0f);
  EXPECT_GT(response.timings().total_ms(), 0.0);
  EXPECT_GT(response.timings().inference_ms(), 0.0);
  std::vector<std::string> models;
  for (const auto& model : response.models()) models.push_back(model.name());
  EXPECT_THAT(models, Contains("blazeface"));
  EXPECT_THAT(models, Contains("centernet"));
  EXPECT_THAT(models, Contains("selfie"));
}

TEST_F(RealModelsServiceTest, ListModelsShowsTheExpressionEnsembleReadyWithItsMembers) {
  v1::ListModelsRequest request;
  request.set_name("expression");
  v1::ListModelsResponse response;
  grpc::ClientContext context;
  const grpc::Status status = stub_->ListModels(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_THAT(response.models(), SizeIs(1)) << "models/repository/expression";
  const v1::ModelInfo& ensemble = response.models(0);
  EXPECT_EQ(ensemble.platform(), "ensemble") << ensemble.DebugString();
  EXPECT_EQ(ensemble.task(), "facial_expression") << ensemble.DebugString();
  EXPECT_EQ(ensemble.state(), v1::MODEL_STATE_READY) << ensemble.state_reason();
  EXPECT_THAT(ensemble.members(), ::testing::ElementsAre("emotion", "face_expression"))
      << "both expression models, in config order";
}

TEST_F(RealModelsServiceTest, AnalyzedFacesNameTheEnsembleAndItsMembersVersions) {
  v1::AnalyzeRequest request;
  request.add_analyses(v1::ANALYSIS_EMOTION);
  request.mutable_image()->set_encoded(testing::ReadBinaryFile(testing::DemoPhotoPath(3)));
  v1::AnalyzeResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  const grpc::Status status = stub_->Analyze(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_THAT(response.image().faces(), SizeIs(Ge(1))) << "sample3 shows three faces";
  for (const v1::Face& face : response.image().faces()) {
    const v1::ModelRef& model = face.expression().model();
    EXPECT_EQ(model.name(), "expression") << "face " << face.index() << " read by the ensemble";
    ASSERT_THAT(model.members(), SizeIs(2))
        << "face " << face.index() << ": " << model.DebugString();
    EXPECT_EQ(model.members(0).name(), "emotion") << model.DebugString();
    EXPECT_EQ(model.members(1).name(), "face_expression") << model.DebugString();
    for (const v1::ModelRef& member : model.members()) {
      EXPECT_GE(member.version(), 1) << member.name() << " names its served version";
    }
  }
}

TEST_F(RealModelsServiceTest, AnalyzeVoiceOfAWavClip) {
  v1::AnalyzeRequest request;
  v1::RawAudio* raw = request.mutable_audio()->mutable_raw();
  raw->set_data(SpeechLikePcm(2.0));
  raw->set_format(v1::SAMPLE_FORMAT_S16LE);
  raw->set_sample_rate_hz(16000);
  raw->set_channels(1);
  v1::AnalyzeResponse response;
  grpc::ClientContext context;
  const grpc::Status status = stub_->Analyze(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.voice().speech_present());
  EXPECT_NEAR(response.voice().pitch().mean_hz(), 180.0f, 9.0f);
  EXPECT_NEAR(response.voice().duration_seconds(), 2.0f, 0.01f);
  EXPECT_FALSE(response.has_image()) << "no image was sent";
}

TEST_F(RealModelsServiceTest, StreamGivesOneResultPerFrameInOrderThenAggregatesAndSummary) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  auto stream = stub_->AnalyzeStream(&context);
  v1::StreamRequest config;
  config.mutable_config()->set_stream_id("test-stream");
  config.mutable_config()->set_drop_policy(v1::DROP_POLICY_BACKPRESSURE);
  config.mutable_config()->set_aggregate_interval_ms(500);
  config.mutable_config()->add_analyses(v1::ANALYSIS_EMOTION);
  config.mutable_config()->add_analyses(v1::ANALYSIS_VOICE);
  v1::AudioFormat* format = config.mutable_config()->mutable_audio_format();
  format->set_format(v1::SAMPLE_FORMAT_S16LE);
  format->set_sample_rate_hz(16000);
  format->set_channels(1);
  ASSERT_TRUE(stream->Write(config));

  std::vector<v1::StreamResponse> responses;
  std::thread reader([&] {
    v1::StreamResponse response;
    while (stream->Read(&response)) responses.push_back(response);
  });
  constexpr int kFrames = 8;
  const std::string photo = testing::ReadBinaryFile(testing::DemoPhotoPath(2));
  const std::string audio = SpeechLikePcm(0.2);
  for (int i = 0; i < kFrames; ++i) {
    v1::StreamRequest frame;
    frame.mutable_frame()->set_sequence(static_cast<uint64_t>(i + 1));
    frame.mutable_frame()->set_timestamp_us(i * 200'000);
    frame.mutable_frame()->mutable_image()->set_encoded(photo);
    ASSERT_TRUE(stream->Write(frame));
    v1::StreamRequest chunk;
    chunk.mutable_audio()->set_timestamp_us(i * 200'000);
    chunk.mutable_audio()->set_data(audio);
    ASSERT_TRUE(stream->Write(chunk));
  }
  stream->WritesDone();
  reader.join();
  const grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();

  std::vector<uint64_t> sequences;
  int aggregates = 0;
  bool voice_seen = false;
  for (const auto& response : responses) {
    EXPECT_EQ(response.stream_id(), "test-stream");
    if (response.has_frame()) {
      EXPECT_FALSE(response.frame().has_error()) << response.frame().error().message();
      sequences.push_back(response.frame().sequence());
      for (const auto& face : response.frame().analysis().faces()) {
        EXPECT_GT(face.track_id(), 0u) << "stream faces carry track ids";
      }
    }
    if (response.has_aggregate()) {
      ++aggregates;
      voice_seen = voice_seen || response.aggregate().has_voice();
      for (const auto& track : response.aggregate().tracks()) {
        EXPECT_FALSE(track.fused().explanation().empty()) << "track " << track.track_id();
      }
    }
  }
  ASSERT_THAT(sequences, SizeIs(kFrames));
  for (int i = 0; i < kFrames; ++i) EXPECT_EQ(sequences[i], static_cast<uint64_t>(i + 1));
  EXPECT_GE(aggregates, 2) << "1.6 s of stream in 0.5 s windows";
  EXPECT_TRUE(voice_seen) << "audio was sent with every frame";
  ASSERT_FALSE(responses.empty());
  ASSERT_TRUE(responses.back().has_summary()) << "the summary comes last";
  EXPECT_EQ(responses.back().summary().stats().frames_analysed(), static_cast<uint64_t>(kFrames));
  EXPECT_EQ(responses.back().summary().reason(), "client finished");
}

TEST_F(RealModelsServiceTest, StreamRefreshesSceneAndAttireAtTheirIntervalsAndCarriesThemBetween) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  auto stream = stub_->AnalyzeStream(&context);
  v1::StreamRequest config;
  config.mutable_config()->set_drop_policy(v1::DROP_POLICY_BACKPRESSURE);
  config.mutable_config()->add_analyses(v1::ANALYSIS_EMOTION);
  config.mutable_config()->add_analyses(v1::ANALYSIS_ATTIRE);
  config.mutable_config()->add_analyses(v1::ANALYSIS_SCENE);
  // Frames every 250 ms: scene on frames 1, 3, 5; attire on frames 1 and 5.
  config.mutable_config()->set_scene_interval_ms(500);
  config.mutable_config()->set_attire_interval_ms(1000);
  ASSERT_TRUE(stream->Write(config));
  constexpr int kFrames = 6;
  const std::string photo = testing::ReadBinaryFile(testing::DemoPhotoPath(4));
  for (int i = 0; i < kFrames; ++i) {
    v1::StreamRequest frame;
    frame.mutable_frame()->set_sequence(static_cast<uint64_t>(i + 1));
    frame.mutable_frame()->set_timestamp_us(i * 250'000);
    frame.mutable_frame()->mutable_image()->set_encoded(photo);
    ASSERT_TRUE(stream->Write(frame));
  }
  stream->WritesDone();
  std::vector<v1::FrameResult> frames;
  v1::StreamResponse response;
  while (stream->Read(&response)) {
    if (response.has_frame()) frames.push_back(response.frame());
  }
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_THAT(frames, SizeIs(kFrames));
  for (const v1::FrameResult& frame : frames) {
    ASSERT_FALSE(frame.has_error()) << frame.error().message();
    // Every frame answers with a scene and one attire entry per tracked
    // face (the same photo: every track is known from frame 1).
    EXPECT_FALSE(frame.analysis().scene().objects().empty()) << "frame " << frame.sequence();
    EXPECT_EQ(frame.analysis().attire_size(), frame.analysis().faces_size())
        << "frame " << frame.sequence();
    for (const v1::PersonAttire& person : frame.analysis().attire()) {
      ASSERT_GE(person.face_index(), 0);
      ASSERT_LT(person.face_index(), frame.analysis().faces_size());
      EXPECT_EQ(person.track_id(), frame.analysis().faces(person.face_index()).track_id());
    }
  }
  const std::vector<std::optional<uint64_t>> scene_from = {std::nullopt, 1, std::nullopt,
                                                           3, std::nullopt, 5};
  const std::vector<std::optional<uint64_t>> attire_from = {std::nullopt, 1, 1, 1,
                                                            std::nullopt, 5};
  for (int i = 0; i < kFrames; ++i) {
    const v1::FrameResult& frame = frames[static_cast<size_t>(i)];
    EXPECT_EQ(frame.has_scene_from_sequence() ? std::optional<uint64_t>(frame.scene_from_sequence())
                                              : std::nullopt,
              scene_from[static_cast<size_t>(i)])
        << "frame " << frame.sequence();
    EXPECT_EQ(frame.has_attire_from_sequence()
                  ? std::optional<uint64_t>(frame.attire_from_sequence())
                  : std::nullopt,
              attire_from[static_cast<size_t>(i)])
        << "frame " << frame.sequence();
  }
  // A carried scene is the computed one, unchanged.
  EXPECT_EQ(frames[1].analysis().scene().SerializeAsString(),
            frames[0].analysis().scene().SerializeAsString());
}

TEST_F(RealModelsServiceTest, StreamRefusesARefreshIntervalOutOfRange) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub_->AnalyzeStream(&context);
  v1::StreamRequest config;
  config.mutable_config()->set_scene_interval_ms(600001);
  ASSERT_TRUE(stream->Write(config));
  stream->WritesDone();
  v1::StreamResponse response;
  while (stream->Read(&response)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("config.scene_interval_ms"));
}

}  // namespace
}  // namespace affect

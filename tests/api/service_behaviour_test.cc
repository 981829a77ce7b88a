// The service's contract on tiny generated models: input validation,
// deadlines, load shedding, isolation between requests, streams (protocol
// errors, drop policies, cancellation, drain), health transitions, the
// metrics endpoint, TLS and tokens.
#include <array>
#include <atomic>
#include <fstream>
#include <memory>
#include <thread>

#include <opencv2/imgcodecs.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "server/api/affect_server.h"
#include "tests/testing/http_get.h"
#include "tests/testing/loopback_server_options.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_certificates.h"
#include "tests/testing/tiny_model_repository.h"

namespace affect {
namespace {

using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

std::string JpegOf(int width, int height) {
  cv::Mat image(height, width, CV_8UC3, cv::Scalar(90, 120, 200));
  std::vector<uchar> bytes;
  cv::imencode(".jpg", image, bytes);
  return std::string(bytes.begin(), bytes.end());
}

// A PNG signature and IHDR claiming `width` x `height`, and nothing else.
std::string PngHeaderClaiming(uint32_t width, uint32_t height) {
  std::string bytes = "\x89PNG\r\n\x1a\n";
  bytes += std::string("\0\0\0\x0dIHDR", 8);
  for (uint32_t v : {width, height}) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(v >> shift));
  }
  bytes += std::string("\x08\x02\0\0\0", 5);
  bytes += std::string(4, '\0');
  return bytes;
}

class ServiceBehaviourTest : public ::testing::Test {
 protected:
  void WriteModels(int busy_matmuls = 0, int max_queue_size = 0) {
    ASSERT_TRUE(testing::WriteTinyFaceDetector(repository_.path(), "faces", busy_matmuls,
                                               max_queue_size)
                    .ok());
    ASSERT_TRUE(testing::WriteTinyExpressionModel(repository_.path(), "expression").ok());
  }
  ServerOptions Options() const {
    ServerOptions options = testing::LoopbackServerOptions(repository_.path());
    options.drain_timeout = absl::Seconds(5);
    return options;
  }
  void Start(const ServerOptions& options) {
    auto server = AffectServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::AffectService::NewStub(channel_);
  }
  void Start() { Start(Options()); }

  grpc::Status Analyze(const v1::AnalyzeRequest& request, v1::AnalyzeResponse* response = nullptr,
                       absl::Duration deadline = absl::Seconds(30)) {
    v1::AnalyzeResponse ignored;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    return stub_->Analyze(&context, request, response != nullptr ? response : &ignored);
  }
  static v1::AnalyzeRequest ImageRequest(std::string encoded) {
    v1::AnalyzeRequest request;
    request.mutable_image()->set_encoded(std::move(encoded));
    request.add_analyses(v1::ANALYSIS_EMOTION);
    return request;
  }

  testing::TempDir repository_;
  std::unique_ptr<AffectServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AffectService::Stub> stub_;
};

// --- Input validation -------------------------------------------------------

TEST_F(ServiceBehaviourTest, ValidImageWithoutFacesAnswersOk) {
  WriteModels();
  Start();
  v1::AnalyzeResponse response;
  const grpc::Status status = Analyze(ImageRequest(JpegOf(64, 48)), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.image().size().width(), 64u);
  EXPECT_EQ(response.image().faces_size(), 0) << "the tiny detector finds no face";
  EXPECT_FALSE(response.request_id().empty()) << "an id is generated when none is sent";
}

TEST_F(ServiceBehaviourTest, EmptyRequestIsInvalidArgument) {
  WriteModels();
  Start();
  const grpc::Status status = Analyze(v1::AnalyzeRequest());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("no image and no audio"));
}

TEST_F(ServiceBehaviourTest, ZeroLengthImageIsInvalidArgument) {
  WriteModels();
  Start();
  const grpc::Status status = Analyze(ImageRequest(""));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("image: no pixels"));
}

TEST_F(ServiceBehaviourTest, TruncatedJpegIsInvalidArgument) {
  WriteModels();
  Start();
  std::string jpeg = JpegOf(64, 48);
  jpeg.resize(jpeg.size() / 2);
  const grpc::Status status = Analyze(ImageRequest(jpeg));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("truncated JPEG"));
}

TEST_F(ServiceBehaviourTest, GarbageBytesAreInvalidArgument) {
  WriteModels();
  Start();
  const grpc::Status status = Analyze(ImageRequest("GIF89a not supported"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("not a JPEG, PNG, BMP or WebP"));
}

TEST_F(ServiceBehaviourTest, HugeDimensionsAreRefusedFromTheHeaderAlone) {
  WriteModels();
  Start();
  const grpc::Status status = Analyze(ImageRequest(PngHeaderClaiming(100000, 100000)));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(status.error_message(), HasSubstr("exceeds the limit"));
}

TEST_F(ServiceBehaviourTest, RawPixelsOfTheWrongSizeAreInvalidArgument) {
  WriteModels();
  Start();
  v1::AnalyzeRequest request;
  v1::RawImage* raw = request.mutable_image()->mutable_raw();
  raw->set_width(4);
  raw->set_height(4);
  raw->set_format(v1::PIXEL_FORMAT_RGB8);
  raw->set_data(std::string(10, '\0'));
  const grpc::Status status = Analyze(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("got 10 bytes, expected 4x4x3 = 48"));
}

TEST_F(ServiceBehaviourTest, AudioWithAWrongSampleRateIsInvalidArgument) {
  WriteModels();
  Start();
  v1::AnalyzeRequest request;
  v1::RawAudio* raw = request.mutable_audio()->mutable_raw();
  raw->set_format(v1::SAMPLE_FORMAT_S16LE);
  raw->set_sample_rate_hz(4000);
  raw->set_channels(1);
  raw->set_data(std::string(800, '\0'));
  const grpc::Status status = Analyze(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("sample_rate_hz"));
}

TEST_F(ServiceBehaviourTest, VoiceWithoutAudioIsAFailedPrecondition) {
  WriteModels();
  Start();
  v1::AnalyzeRequest request = ImageRequest(JpegOf(32, 32));
  request.add_analyses(v1::ANALYSIS_VOICE);
  const grpc::Status status = Analyze(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("needs audio"));
}

TEST_F(ServiceBehaviourTest, DisabledAnalysisIsAFailedPrecondition) {
  WriteModels();
  ServerOptions options = Options();
  options.disabled_analyses = {v1::ANALYSIS_EMOTION};
  Start(options);
  const grpc::Status status = Analyze(ImageRequest(JpegOf(32, 32)));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("switched off"));
}

TEST_F(ServiceBehaviourTest, AnalysisWithoutItsModelIsUnavailable) {
  WriteModels();
  Start();
  v1::AnalyzeRequest request = ImageRequest(JpegOf(32, 32));
  request.clear_analyses();
  request.add_analyses(v1::ANALYSIS_SCENE);
  const grpc::Status status = Analyze(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("scene"));
}

TEST_F(ServiceBehaviourTest, OutOfRangeOptionIsInvalidArgument) {
  WriteModels();
  Start();
  v1::AnalyzeRequest request = ImageRequest(JpegOf(32, 32));
  request.mutable_options()->set_face_score_threshold(1.5f);
  const grpc::Status status = Analyze(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("options.face_score_threshold"));
}

TEST_F(ServiceBehaviourTest, OversizedMessageIsResourceExhausted) {
  WriteModels();
  ServerOptions options = Options();
  options.max_message_bytes = 64 * 1024;
  Start(options);
  const grpc::Status status = Analyze(ImageRequest(std::string(200 * 1024, 'x')));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// --- Deadlines, load shedding, isolation ------------------------------------

TEST_F(ServiceBehaviourTest, DeadlineIsRespected) {
  WriteModels(/*busy_matmuls=*/400);
  Start();
  const absl::Time start = absl::Now();
  const grpc::Status status =
      Analyze(ImageRequest(JpegOf(32, 32)), nullptr, absl::Milliseconds(100));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(20)) << "the caller is not held long after";
}

TEST_F(ServiceBehaviourTest, FullQueueShedsLoadWithResourceExhausted) {
  WriteModels(/*busy_matmuls=*/150, /*max_queue_size=*/1);
  Start();
  constexpr int kCallers = 8;
  std::array<grpc::Status, kCallers> results;
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] { results[i] = Analyze(ImageRequest(JpegOf(32, 32))); });
  }
  for (auto& caller : callers) caller.join();
  int ok = 0;
  int shed = 0;
  for (const grpc::Status& status : results) {
    if (status.ok()) ++ok;
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++shed;
      EXPECT_THAT(status.error_message(), HasSubstr("queue full"));
    }
  }
  EXPECT_GE(ok, 1) << "accepted work is still answered";
  EXPECT_GE(shed, 1) << "8 callers against a queue of 1 behind a slow model";
  EXPECT_EQ(ok + shed, kCallers) << "no other outcome";
}

TEST_F(ServiceBehaviourTest, BadRequestsDoNotAffectGoodOnesRunningAlongside) {
  WriteModels();
  Start();
  std::atomic<int> good_failures{0};
  std::atomic<int> bad_accepted{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 6; ++i) {
    callers.emplace_back([&, i] {
      for (int k = 0; k < 5; ++k) {
        if (i % 2 == 0) {
          if (!Analyze(ImageRequest(JpegOf(40, 40))).ok()) ++good_failures;
        } else {
          std::string broken = JpegOf(40, 40);
          broken.resize(broken.size() - 20);
          if (Analyze(ImageRequest(broken)).ok()) ++bad_accepted;
        }
      }
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(good_failures.load(), 0);
  EXPECT_EQ(bad_accepted.load(), 0);
}

// --- Streams ----------------------------------------------------------------

v1::StreamRequest ConfigMessage(v1::DropPolicy policy, int max_in_flight) {
  v1::StreamRequest request;
  request.mutable_config()->set_stream_id("s1");
  request.mutable_config()->add_analyses(v1::ANALYSIS_EMOTION);
  request.mutable_config()->set_drop_policy(policy);
  request.mutable_config()->set_max_frames_in_flight(static_cast<uint32_t>(max_in_flight));
  return request;
}

v1::StreamRequest FrameMessage(uint64_t sequence, const std::string& jpeg) {
  v1::StreamRequest request;
  request.mutable_frame()->set_sequence(sequence);
  request.mutable_frame()->set_timestamp_us(static_cast<int64_t>(sequence) * 40'000);
  request.mutable_frame()->mutable_image()->set_encoded(jpeg);
  return request;
}

TEST_F(ServiceBehaviourTest, StreamMustStartWithConfig) {
  WriteModels();
  Start();
  grpc::ClientContext context;
  auto stream = stub_->AnalyzeStream(&context);
  stream->Write(FrameMessage(1, JpegOf(32, 32)));
  stream->WritesDone();
  v1::StreamResponse response;
  while (stream->Read(&response)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("first message of a stream must be `config`"));
}

TEST_F(ServiceBehaviourTest, StreamCorruptFrameFailsOnlyThatFrame) {
  WriteModels();
  Start();
  grpc::ClientContext context;
  auto stream = stub_->AnalyzeStream(&context);
  ASSERT_TRUE(stream->Write(ConfigMessage(v1::DROP_POLICY_BACKPRESSURE, 4)));
  const std::string jpeg = JpegOf(32, 32);
  ASSERT_TRUE(stream->Write(FrameMessage(1, jpeg)));
  ASSERT_TRUE(stream->Write(FrameMessage(2, jpeg.substr(0, jpeg.size() / 2))));
  ASSERT_TRUE(stream->Write(FrameMessage(3, jpeg)));
  stream->WritesDone();
  std::vector<v1::StreamResponse> responses;
  v1::StreamResponse response;
  while (stream->Read(&response)) responses.push_back(response);
  ASSERT_TRUE(stream->Finish().ok());
  std::vector<uint64_t> sequences;
  for (const auto& r : responses) {
    if (!r.has_frame()) continue;
    sequences.push_back(r.frame().sequence());
    EXPECT_EQ(r.frame().has_error(), r.frame().sequence() == 2) << r.frame().sequence();
  }
  EXPECT_THAT(sequences, ::testing::ElementsAre(1, 2, 3));
  ASSERT_TRUE(responses.back().has_summary());
  EXPECT_EQ(responses.back().summary().stats().frames_failed(), 1u);
  EXPECT_EQ(responses.back().summary().stats().frames_analysed(), 2u);
}

TEST_F(ServiceBehaviourTest, StreamDropsNewestFramesWhenTheClientSendsTooFast) {
  WriteModels(/*busy_matmuls=*/60);
  Start();
  grpc::ClientContext context;
  auto stream = stub_->AnalyzeStream(&context);
  ASSERT_TRUE(stream->Write(ConfigMessage(v1::DROP_POLICY_DROP_NEWEST, 1)));
  const std::string jpeg = JpegOf(32, 32);
  constexpr int kFrames = 20;
  for (int i = 1; i <= kFrames; ++i) ASSERT_TRUE(stream->Write(FrameMessage(i, jpeg)));
  stream->WritesDone();
  int results = 0;
  v1::StreamResponse response;
  v1::StreamStats final_stats;
  uint64_t previous = 0;
  while (stream->Read(&response)) {
    if (response.has_frame()) {
      ++results;
      EXPECT_GT(response.frame().sequence(), previous) << "frame order";
      previous = response.frame().sequence();
    }
    if (response.has_summary()) final_stats = response.summary().stats();
  }
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(final_stats.frames_received(), static_cast<uint64_t>(kFrames));
  EXPECT_GT(final_stats.frames_dropped(), 0u) << "20 frames at once, 1 in flight, slow model";
  EXPECT_EQ(static_cast<uint64_t>(results), kFrames - final_stats.frames_dropped())
      << "every frame not dropped is answered";
}

TEST_F(ServiceBehaviourTest, CancelledStreamEndsAndFreesItsSlot) {
  WriteModels(/*busy_matmuls=*/60);
  ServerOptions options = Options();
  options.max_streams = 1;
  Start(options);
  {
    grpc::ClientContext context;
    auto stream = stub_->AnalyzeStream(&context);
    ASSERT_TRUE(stream->Write(ConfigMessage(v1::DROP_POLICY_DROP_OLDEST, 4)));
    for (int i = 1; i <= 5; ++i) stream->Write(FrameMessage(i, JpegOf(32, 32)));
    context.TryCancel();
    v1::StreamResponse response;
    while (stream->Read(&response)) {
    }
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // The one stream slot comes back once the cancelled session is gone.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  grpc::Status status;
  do {
    grpc::ClientContext context;
    auto stream = stub_->AnalyzeStream(&context);
    stream->Write(ConfigMessage(v1::DROP_POLICY_DROP_OLDEST, 4));
    stream->WritesDone();
    v1::StreamResponse response;
    while (stream->Read(&response)) {
    }
    status = stream->Finish();
    if (status.ok()) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ServiceBehaviourTest, TooManyStreamsIsResourceExhausted) {
  WriteModels();
  ServerOptions options = Options();
  options.max_streams = 1;
  Start(options);
  grpc::ClientContext first_context;
  auto first = stub_->AnalyzeStream(&first_context);
  ASSERT_TRUE(first->Write(ConfigMessage(v1::DROP_POLICY_DROP_OLDEST, 4)));
  absl::SleepFor(absl::Milliseconds(200));  // let the first session register
  grpc::ClientContext second_context;
  auto second = stub_->AnalyzeStream(&second_context);
  second->WritesDone();
  v1::StreamResponse response;
  while (second->Read(&response)) {
  }
  const grpc::Status status = second->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("--max_streams"));
  first->WritesDone();
  while (first->Read(&response)) {
  }
  EXPECT_TRUE(first->Finish().ok());
}

TEST_F(ServiceBehaviourTest, ShutdownDrainsOpenStreamsWithASummary) {
  WriteModels();
  Start();
  grpc::ClientContext context;
  auto stream = stub_->AnalyzeStream(&context);
  ASSERT_TRUE(stream->Write(ConfigMessage(v1::DROP_POLICY_BACKPRESSURE, 4)));
  ASSERT_TRUE(stream->Write(FrameMessage(1, JpegOf(32, 32))));
  v1::StreamResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_TRUE(response.has_frame());
  std::thread shutdown([&] { server_->Shutdown(); });
  std::string reason;
  while (stream->Read(&response)) {
    if (response.has_summary()) reason = response.summary().reason();
  }
  const grpc::Status status = stream->Finish();
  shutdown.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reason, "server shutting down");
}

// --- Health and metrics -----------------------------------------------------

TEST_F(ServiceBehaviourTest, HealthIsNotServingWhileModelsLoadThenServing) {
  WriteModels(/*busy_matmuls=*/300);  // slow warm-up
  ServerOptions options = Options();
  options.load_models_in_background = true;
  Start(options);
  auto health = grpc::health::v1::Health::NewStub(channel_);
  auto check = [&] {
    grpc::ClientContext context;
    HealthCheckResponse response;
    health->Check(&context, {}, &response);
    return response.status();
  };
  EXPECT_EQ(check(), HealthCheckResponse::NOT_SERVING) << "warm-up takes a while";
  EXPECT_EQ(Analyze(ImageRequest(JpegOf(16, 16))).error_code(), grpc::StatusCode::UNAVAILABLE)
      << "analyses wait for the models";
  server_->WaitUntilModelsLoaded();
  EXPECT_EQ(check(), HealthCheckResponse::SERVING);
  server_->Shutdown();
}

TEST_F(ServiceBehaviourTest, MetricsEndpointExposesTheFamilies) {
  WriteModels();
  ServerOptions options = Options();
  options.metrics_port = 0;
  options.metrics_address = "127.0.0.1";
  Start(options);
  ASSERT_GT(server_->metrics_port(), 0);
  ASSERT_TRUE(Analyze(ImageRequest(JpegOf(32, 32))).ok());
  EXPECT_FALSE(Analyze(v1::AnalyzeRequest()).ok());
  // A call is counted when gRPC is done with it, which may be just after
  // the client has its answer: scrape until both calls are counted.
  absl::StatusOr<std::string> body;
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  do {
    body = testing::HttpGet(server_->metrics_port(), "/metrics");
    ASSERT_TRUE(body.ok()) << body.status();
    if (absl::StrContains(*body, "affect_rpc_requests_total{code=\"OK\",method=\"Analyze\"} 1") &&
        absl::StrContains(*body, "code=\"INVALID_ARGUMENT\",method=\"Analyze\"} 1")) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  } while (absl::Now() < give_up);
  for (const char* expected : {
           "affect_rpc_requests_total{code=\"OK\",method=\"Analyze\"} 1",
           "affect_rpc_requests_total{code=\"INVALID_ARGUMENT\",method=\"Analyze\"} 1",
           "affect_rpc_duration_seconds_bucket",
           "affect_stage_duration_seconds_count{stage=\"decode\"}",
           "affect_model_batch_size_count{model=\"faces\"} ",
           "affect_model_queue_depth{model=\"faces\"}",
           "affect_model_compute_duration_seconds_sum{model=\"faces\"}",
           "affect_model_state{model=\"faces\",state=\"ready\"} 1",
           "affect_rpc_in_flight",
           "affect_active_streams 0",
           "affect_stream_frames_total{event=\"dropped\"}",
           "affect_process_resident_memory_bytes",
       }) {
    EXPECT_THAT(*body, HasSubstr(expected));
  }
  // Every sample line parses as "<name>{labels} <number>".
  for (absl::string_view line : absl::StrSplit(*body, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "#")) continue;
    const size_t space = line.rfind(' ');
    ASSERT_NE(space, absl::string_view::npos) << line;
    double value;
    EXPECT_TRUE(absl::SimpleAtod(line.substr(space + 1), &value) ||
                line.substr(space + 1) == "+Inf" || line.substr(space + 1) == "Nan")
        << line;
    EXPECT_TRUE(absl::StartsWith(line, "affect_")) << "prefix: " << line;
  }
  // Prometheus' own linter (naming conventions, types, histogram shape).
  const std::string exposition = repository_.Join("metrics.txt");
  ASSERT_TRUE(testing::WriteFile(exposition, *body));
  if (std::system("command -v promtool >/dev/null") == 0) {
    EXPECT_EQ(std::system(absl::StrCat("promtool check metrics < ", exposition).c_str()), 0)
        << "promtool check metrics rejected the exposition";
  } else {
    ADD_FAILURE() << "promtool not found: run scripts/install-deps.sh (package prometheus)";
  }
}

// --- TLS and tokens ---------------------------------------------------------

class TlsTest : public ServiceBehaviourTest {
 protected:
  void MakeCertificates() { ASSERT_TRUE(testing::MakeTestCertificates(repository_.path())); }
  std::shared_ptr<grpc::Channel> SecureChannel(bool with_client_certificate) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = testing::ReadFileOrEmpty(repository_.Join("ca.pem"));
    if (with_client_certificate) {
      ssl.pem_private_key = testing::ReadFileOrEmpty(repository_.Join("client.key"));
      ssl.pem_cert_chain = testing::ReadFileOrEmpty(repository_.Join("client.pem"));
    }
    grpc::ChannelArguments arguments;
    arguments.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                     grpc::SslCredentials(ssl), arguments);
  }
  static grpc::Status ListModels(const std::shared_ptr<grpc::Channel>& channel,
                                 const std::string& token = "") {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    v1::ListModelsResponse response;
    return v1::AffectService::NewStub(channel)->ListModels(&context, {}, &response);
  }
};

TEST_F(TlsTest, TlsServesSecureClientsAndRefusesPlaintext) {
  MakeCertificates();
  ServerOptions options = Options();
  options.tls.cert_file = repository_.Join("server.pem");
  options.tls.key_file = repository_.Join("server.key");
  Start(options);
  EXPECT_TRUE(ListModels(SecureChannel(false)).ok());
  EXPECT_FALSE(ListModels(channel_).ok()) << "plaintext client on a TLS port";
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificate) {
  MakeCertificates();
  ServerOptions options = Options();
  options.tls.cert_file = repository_.Join("server.pem");
  options.tls.key_file = repository_.Join("server.key");
  options.tls.client_ca_file = repository_.Join("ca.pem");
  Start(options);
  EXPECT_TRUE(ListModels(SecureChannel(true)).ok());
  EXPECT_FALSE(ListModels(SecureChannel(false)).ok()) << "no client certificate";
}

TEST_F(TlsTest, TokenAndTlsTogether) {
  MakeCertificates();
  ASSERT_TRUE(testing::WriteFile(repository_.Join("token"), "t0ken"));
  ServerOptions options = Options();
  options.tls.cert_file = repository_.Join("server.pem");
  options.tls.key_file = repository_.Join("server.key");
  options.auth_token_file = repository_.Join("token");
  Start(options);
  EXPECT_EQ(ListModels(SecureChannel(false)).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(ListModels(SecureChannel(false), "t0ken").ok());
}

}  // namespace
}  // namespace affect

// The real affect-server binary as a subprocess: flags, exit codes, signals.
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model_repository.h"

namespace affect {
namespace {

using ::testing::HasSubstr;

constexpr char kServer[] = AFFECT_SERVER_BINARY;

// The port the server chose, read from its JSON start-up log line.
int ListeningPort(const testing::Subprocess& server) {
  const std::string output = server.Output();
  const size_t at = output.find("\"port\":\"");
  return at == std::string::npos ? 0 : std::stoi(output.substr(at + 8));
}

TEST(ServerBinaryTest, UnknownDeviceIsAClearErrorWithExitCode2) {
  auto [code, output] = testing::RunToCompletion({kServer, "--device=tpu"}, absl::Seconds(30));
  EXPECT_EQ(code, 2) << output;
  EXPECT_THAT(output, HasSubstr("--device: unknown device 'tpu'")) << output;
}

TEST(ServerBinaryTest, PortOutOfRangeIsRejected) {
  auto [code, output] = testing::RunToCompletion({kServer, "--port=70000"}, absl::Seconds(30));
  EXPECT_EQ(code, 2) << output;
  EXPECT_THAT(output, HasSubstr("--port=70000 must be in 0..65535"));
}

TEST(ServerBinaryTest, UnknownFlagIsRejected) {
  auto [code, output] = testing::RunToCompletion({kServer, "--prot=1"}, absl::Seconds(30));
  EXPECT_NE(code, 0) << output;
  EXPECT_THAT(output, HasSubstr("prot")) << output;
}

TEST(ServerBinaryTest, NonNumericFlagValueIsRejected) {
  auto [code, output] =
      testing::RunToCompletion({kServer, "--metrics_port=abc"}, absl::Seconds(30));
  EXPECT_NE(code, 0) << output;
  EXPECT_THAT(output, HasSubstr("metrics_port")) << output;
}

TEST(ServerBinaryTest, UnknownAnalysisToDisableIsRejected) {
  auto [code, output] = testing::RunToCompletion({kServer, "--disabled_analyses=emotion,age"},
                                                 absl::Seconds(30));
  EXPECT_EQ(code, 2) << output;
  EXPECT_THAT(output, HasSubstr("unknown analysis 'age'"));
}

TEST(ServerBinaryTest, MissingRepositoryExitsNonZeroWithTheReason) {
  auto [code, output] = testing::RunToCompletion(
      {kServer, "--port=0", "--metrics_port=-1", "--model_repository=/nonexistent/repo"},
      absl::Seconds(30));
  EXPECT_EQ(code, 1) << output;
  EXPECT_THAT(output, HasSubstr("/nonexistent/repo is not a directory"));
}

TEST(ServerBinaryTest, MaxMessageBytesBeyondAnIntIsAClearErrorWithExitCode2) {
  testing::TempDir repository;
  auto [code, output] = testing::RunToCompletion(
      {kServer, "--port=0", "--metrics_port=-1", "--model_repository=" + repository.path(),
       "--max_message_bytes=4294967295"},
      absl::Seconds(30));
  EXPECT_EQ(code, 2) << output;
  EXPECT_THAT(output, HasSubstr("--max_message_bytes=4294967295 must be in [1024, 2147483647]"));
}

TEST(ServerBinaryTest, MetricsHostMustBeANumericAddress) {
  testing::TempDir repository;
  auto [code, output] = testing::RunToCompletion(
      {kServer, "--port=0", "--metrics_port=0", "--model_repository=" + repository.path(),
       "--metrics_host=metrics.example"},
      absl::Seconds(30));
  EXPECT_EQ(code, 2) << output;
  EXPECT_THAT(output, HasSubstr("'metrics.example' is not a numeric IPv4 or IPv6 address"));
  EXPECT_THAT(output, HasSubstr("--metrics_host"));
}

TEST(ServerBinaryTest, HelpDocumentsTheFlags) {
  auto [code, output] = testing::RunToCompletion({kServer, "--help"}, absl::Seconds(30));
  for (const char* flag : {"--port", "--metrics_port", "--model_repository", "--device",
                           "--drain_timeout", "--tls_cert", "--auth_token_file",
                           "--metrics_host", "--metrics_token_file"}) {
    EXPECT_THAT(output, HasSubstr(flag)) << "--help must document " << flag;
  }
}

TEST(ServerBinaryTest, ServesHealthAndExitsZeroOnSigterm) {
  testing::TempDir repository;
  testing::Subprocess server({kServer, "--host=127.0.0.1", "--port=0", "--metrics_port=-1",
                              "--model_repository=" + repository.path(), "--log_format=json"});
  ASSERT_TRUE(server.started());
  ASSERT_TRUE(server.WaitForOutput("models loaded: serving", absl::Seconds(60)))
      << server.Output();
  const int port = ListeningPort(server);
  ASSERT_GT(port, 0) << server.Output();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&context, {}, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  ASSERT_TRUE(server.Signal(SIGTERM));
  EXPECT_EQ(server.Wait(absl::Seconds(30)), 0) << server.Output();
  EXPECT_THAT(server.Output(), HasSubstr("shutdown complete"));
}

TEST(ServerBinaryTest, SigtermWhileAStreamIsOpenEndsItCleanlyAndExitsZero) {
  testing::TempDir repository;
  ASSERT_TRUE(testing::WriteTinyFaceDetector(repository.path(), "faces").ok());
  ASSERT_TRUE(testing::WriteTinyExpressionModel(repository.path(), "expression").ok());
  testing::Subprocess server({kServer, "--host=127.0.0.1", "--port=0", "--metrics_port=-1",
                              "--model_repository=" + repository.path(), "--log_format=json",
                              "--drain_timeout=5s"});
  ASSERT_TRUE(server.WaitForOutput("models loaded: serving", absl::Seconds(60)))
      << server.Output();
  const int port = ListeningPort(server);
  ASSERT_GT(port, 0) << server.Output();
  auto stub = v1::AffectService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto stream = stub->AnalyzeStream(&context);
  v1::StreamRequest config;
  config.mutable_config()->set_stream_id("open-at-shutdown");
  config.mutable_config()->add_analyses(v1::ANALYSIS_EMOTION);
  ASSERT_TRUE(stream->Write(config));
  v1::StreamRequest frame;
  frame.mutable_frame()->set_sequence(1);
  v1::RawImage* raw = frame.mutable_frame()->mutable_image()->mutable_raw();
  raw->set_width(8);
  raw->set_height(8);
  raw->set_format(v1::PIXEL_FORMAT_GRAY8);
  raw->set_data(std::string(64, '\x80'));
  ASSERT_TRUE(stream->Write(frame));
  v1::StreamResponse response;
  ASSERT_TRUE(stream->Read(&response)) << "the frame's result arrives before shutdown";
  EXPECT_TRUE(response.has_frame());

  ASSERT_TRUE(server.Signal(SIGTERM));
  std::string reason;
  while (stream->Read(&response)) {
    if (response.has_summary()) reason = response.summary().reason();
  }
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reason, "server shutting down") << "the stream gets a final message";
  EXPECT_EQ(server.Wait(absl::Seconds(30)), 0) << server.Output();
}

}  // namespace
}  // namespace affect

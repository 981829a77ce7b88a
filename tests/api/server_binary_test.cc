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

namespace affect {
namespace {

using ::testing::HasSubstr;

constexpr char kServer[] = AFFECT_SERVER_BINARY;

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

TEST(ServerBinaryTest, HelpDocumentsTheFlags) {
  auto [code, output] = testing::RunToCompletion({kServer, "--help"}, absl::Seconds(30));
  for (const char* flag : {"--port", "--metrics_port", "--model_repository", "--device",
                           "--drain_timeout", "--tls_cert", "--auth_token_file"}) {
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
  // The port was chosen by the kernel: read it from the start-up log line.
  const std::string output = server.Output();
  const size_t at = output.find("\"port\":\"");
  ASSERT_NE(at, std::string::npos) << output;
  const int port = std::stoi(output.substr(at + 8));
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

}  // namespace
}  // namespace affect

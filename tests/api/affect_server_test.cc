// The server in-process on an ephemeral loopback port: health, reflection,
// ListModels, GetServerInfo, draining.
#include "server/api/affect_server.h"

#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "server/common/logging.h"
#include "gtest/gtest.h"
#include "tests/testing/http_get.h"
#include "tests/testing/loopback_server_options.h"
#include "tests/testing/reflection_client.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model_repository.h"

namespace affect {
namespace {

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class AffectServerTest : public ::testing::Test {
 protected:
  ServerOptions TestOptions() const {
    ServerOptions options = testing::LoopbackServerOptions(repository_.path());
    options.drain_timeout = absl::Seconds(2);
    return options;
  }

  void StartServer(const ServerOptions& options) {
    auto server = AffectServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::AffectService::NewStub(channel_);
    health_ = grpc::health::v1::Health::NewStub(channel_);
  }
  void StartServer() { StartServer(TestOptions()); }

  HealthCheckResponse::ServingStatus Health(const std::string& service,
                                            grpc::Status* status_out = nullptr) {
    grpc::ClientContext context;
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    grpc::Status status = health_->Check(&context, request, &response);
    if (status_out != nullptr) *status_out = status;
    return response.status();
  }

  testing::TempDir repository_;
  std::unique_ptr<AffectServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AffectService::Stub> stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

TEST_F(AffectServerTest, HealthIsServingOverallAndPerServiceOnceModelsAreLoaded) {
  StartServer();
  EXPECT_EQ(Health(""), HealthCheckResponse::SERVING) << "overall health";
  EXPECT_EQ(Health(kAffectServiceName), HealthCheckResponse::SERVING) << "per-service health";
  grpc::Status status;
  Health("no.such.Service", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << "unknown service";
}

TEST_F(AffectServerTest, ReflectionListsTheAffectAndHealthServices) {
  StartServer();
  auto services = testing::ListServicesByReflection(channel_);
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, Contains("affect.v1.AffectService"));
  EXPECT_THAT(*services, Contains("grpc.health.v1.Health"));
}

TEST_F(AffectServerTest, ListModelsOnAnEmptyRepositoryIsEmpty) {
  StartServer();
  grpc::ClientContext context;
  v1::ListModelsResponse response;
  const grpc::Status status = stub_->ListModels(&context, v1::ListModelsRequest(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(response.models(), IsEmpty());
}

TEST_F(AffectServerTest, ListModelsShowsAGeneratedModelReadyWithItsLabels) {
  ASSERT_THAT(testing::WriteTinyExpressionModel(repository_.path(), "tiny_expression"),
              testing::IsOk());
  StartServer();
  grpc::ClientContext context;
  v1::ListModelsResponse response;
  ASSERT_TRUE(stub_->ListModels(&context, v1::ListModelsRequest(), &response).ok());
  ASSERT_EQ(response.models_size(), 1);
  const v1::ModelInfo& model = response.models(0);
  EXPECT_EQ(model.name(), "tiny_expression");
  EXPECT_EQ(model.version(), 1);
  EXPECT_EQ(model.state(), v1::MODEL_STATE_READY) << model.state_reason();
  EXPECT_EQ(model.task(), "facial_expression");
  EXPECT_EQ(model.device(), "cpu");
  EXPECT_THAT(model.labels(), ElementsAre("angry", "disgust", "fear", "happy", "sad",
                                          "surprise", "neutral"));
  EXPECT_EQ(model.batching().max_batch_size(), 8u);
  EXPECT_EQ(model.batching().max_queue_delay_us(), 1000u);
  ASSERT_EQ(model.inputs_size(), 1);
  EXPECT_THAT(model.inputs(0).dims(), ElementsAre(8, 8, 1));
  EXPECT_EQ(model.inputs(0).layout(), "NHWC");
}

TEST_F(AffectServerTest, BrokenModelsAreFailedWithAReasonWhileOthersServe) {
  ASSERT_THAT(testing::WriteTinyExpressionModel(repository_.path(), "good"), testing::IsOk());
  // Config parses but the version folder is missing.
  ASSERT_TRUE(testing::WriteFile(repository_.Join("no_weights/config.pbtxt"),
                                 "name: 'no_weights' task: MODEL_TASK_GENERIC "
                                 "input { name: 'x' dims: 4 } output { name: 'y' dims: 4 }"));
  // The module returns [N,3] but the config promises [N,7].
  ASSERT_THAT(testing::WriteTinyModel(
                  repository_.path(), "wrong_shape",
                  "name: 'wrong_shape' task: MODEL_TASK_GENERIC max_batch_size: 4 "
                  "input { name: 'x' dims: 4 } output { name: 'y' dims: 7 }",
                  "def forward(self, x):\n    return x[:, :3]\n"),
              testing::IsOk());
  // Not a config at all.
  ASSERT_TRUE(testing::WriteFile(repository_.Join("garbage/config.pbtxt"), "this is not {"));
  StartServer();

  grpc::ClientContext context;
  v1::ListModelsResponse response;
  ASSERT_TRUE(stub_->ListModels(&context, v1::ListModelsRequest(), &response).ok());
  std::map<std::string, v1::ModelInfo> by_name;
  for (const auto& model : response.models()) by_name[model.name()] = model;
  ASSERT_EQ(by_name.size(), 4u);
  EXPECT_EQ(by_name["good"].state(), v1::MODEL_STATE_READY);
  EXPECT_EQ(by_name["no_weights"].state(), v1::MODEL_STATE_FAILED);
  EXPECT_THAT(by_name["no_weights"].state_reason(), HasSubstr("has no version folder"));
  EXPECT_EQ(by_name["wrong_shape"].state(), v1::MODEL_STATE_FAILED);
  EXPECT_THAT(by_name["wrong_shape"].state_reason(),
              HasSubstr("output[0] 'y' has shape [1,3] at batch 1 but config says [batch,7]"));
  EXPECT_EQ(by_name["garbage"].state(), v1::MODEL_STATE_FAILED);
  EXPECT_THAT(by_name["garbage"].state_reason(), HasSubstr("not a valid ModelConfig"));
  EXPECT_EQ(Health(""), HealthCheckResponse::SERVING)
      << "a failed model does not take the server down";
}

TEST_F(AffectServerTest, ListModelsWithAnUnknownNameIsNotFound) {
  StartServer();
  grpc::ClientContext context;
  v1::ListModelsRequest request;
  request.set_name("no_such_model");
  v1::ListModelsResponse response;
  const grpc::Status status = stub_->ListModels(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("no model named 'no_such_model'"));
}

TEST_F(AffectServerTest, ServerInfoReportsBuildDeviceAndLimits) {
  ServerOptions options = TestOptions();
  options.disabled_analyses = {v1::ANALYSIS_ATTIRE};
  StartServer(options);
  grpc::ClientContext context;
  v1::ServerInfo info;
  ASSERT_TRUE(stub_->GetServerInfo(&context, v1::GetServerInfoRequest(), &info).ok());
  EXPECT_FALSE(info.version().empty());
  EXPECT_EQ(info.device(), "cpu");
  EXPECT_FALSE(info.torch_version().empty());
  EXPECT_FALSE(info.blas().empty());
  EXPECT_EQ(info.limits().max_image_pixels(), 40'000'000u);
  EXPECT_THAT(info.enabled_analyses(),
              ElementsAre(v1::ANALYSIS_EMOTION, v1::ANALYSIS_SCENE, v1::ANALYSIS_VOICE,
                          v1::ANALYSIS_BODY, v1::ANALYSIS_ATTENTION))
      << "attire was switched off";
}

TEST_F(AffectServerTest, DrainingRefusesNewCallsAndTurnsHealthNotServing) {
  StartServer();
  server_->Shutdown();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::ListModelsResponse response;
  const grpc::Status status = stub_->ListModels(&context, v1::ListModelsRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(AffectServerTest, MissingRepositoryIsARefusalToStart) {
  ServerOptions options = TestOptions();
  options.model_repository = repository_.Join("does/not/exist");
  EXPECT_THAT(AffectServer::Start(options),
              testing::StatusIs(absl::StatusCode::kNotFound, HasSubstr("--model_repository")));
}

TEST_F(AffectServerTest, ABusyPortIsARefusalToStart) {
  StartServer();
  ServerOptions options = TestOptions();
  options.listen_address = absl::StrCat("127.0.0.1:", server_->port());
  EXPECT_THAT(AffectServer::Start(options),
              testing::StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot listen on")))
      << "two servers must not share a port";
}

TEST_F(AffectServerTest, InconsistentOptionsAreInvalidArgument) {
  ServerOptions options = TestOptions();
  options.tls.client_ca_file = "/tmp/ca.pem";
  EXPECT_THAT(AffectServer::Start(options),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("--tls_client_ca needs --tls_cert and --tls_key")));
  options = TestOptions();
  options.worker_threads = -1;
  EXPECT_THAT(AffectServer::Start(options),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--worker_threads")));
}

// The defect: the limit was cast to int for gRPC, so 4 GiB became 0 and
// 4 GiB - 1 became -1, which gRPC reads as "no limit".
TEST_F(AffectServerTest, MaxMessageBytesBeyondAnIntIsRefusedAtStart) {
  for (const int64_t bytes : {int64_t{1} << 32, (int64_t{1} << 32) - 1, int64_t{1} << 31}) {
    ServerOptions options = TestOptions();
    options.max_message_bytes = bytes;
    EXPECT_THAT(AffectServer::Start(options),
                testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("--max_message_bytes=" + std::to_string(bytes) +
                                            " must be in [1024, 2147483647]")));
  }
  ServerOptions options = TestOptions();
  options.max_message_bytes = (int64_t{1} << 31) - 1;
  EXPECT_TRUE(AffectServer::Start(options).ok()) << "the largest int is fine";
}

// The defect: model_filename was joined to the version folder as given, so
// "../.." or an absolute path loaded any file the process could read.
TEST_F(AffectServerTest, ModelFilenamesEscapingTheRepositoryAreFailed) {
  testing::TempDir outside;
  ASSERT_THAT(testing::WriteTinyExpressionModel(outside.path(), "elsewhere"), testing::IsOk());
  const std::string elsewhere = outside.Join("elsewhere/1/model.pt");
  ASSERT_THAT(testing::WriteTinyExpressionModel(repository_.path(), "good"), testing::IsOk());
  // Complete tiny models whose configs point model_filename elsewhere; the
  // old code loaded the file outside the repository and served it.
  auto write_model = [&](const std::string& name, const std::string& filename) {
    ASSERT_THAT(testing::WriteTinyExpressionModel(repository_.path(), name), testing::IsOk());
    const std::string config_path = repository_.Join(name + "/config.pbtxt");
    const std::string config = testing::ReadFileOrEmpty(config_path);
    ASSERT_FALSE(config.empty());
    ASSERT_TRUE(
        testing::WriteFile(config_path, config + "\nmodel_filename: '" + filename + "'\n"));
  };
  write_model("absolute", elsewhere);
  // From <repository>/dotdot/1/ up to / and down to the other folder.
  std::string up;
  for (char c : repository_.Join("dotdot/1")) up += c == '/' ? "../" : "";
  write_model("dotdot", up + outside.path().substr(1) + "/elsewhere/1/model.pt");
  StartServer();

  grpc::ClientContext context;
  v1::ListModelsResponse response;
  ASSERT_TRUE(stub_->ListModels(&context, v1::ListModelsRequest(), &response).ok());
  std::map<std::string, v1::ModelInfo> by_name;
  for (const auto& model : response.models()) by_name[model.name()] = model;
  EXPECT_EQ(by_name["good"].state(), v1::MODEL_STATE_READY);
  for (const char* name : {"absolute", "dotdot"}) {
    EXPECT_EQ(by_name[name].state(), v1::MODEL_STATE_FAILED) << name;
    EXPECT_THAT(by_name[name].state_reason(), HasSubstr("model_filename")) << name;
    EXPECT_THAT(by_name[name].state_reason(), HasSubstr("a file name inside the version folder"))
        << name;
  }
}

// The defect: Analyze logged a refused request_id raw: an 8 MiB line per
// request, and a newline in it forged a log line.
TEST_F(AffectServerTest, AHugeRequestIdWithANewlineIsLoggedAsOneBoundedLine) {
  std::string captured;
  SetLogSinkForTesting(&captured);
  StartServer();
  const std::string forged = "2026-12-07T00:00:00.000000Z ERROR auth.cc:1] admin logged in";
  v1::AnalyzeRequest request;
  request.set_request_id("r-1\n" + forged + std::string(8 << 20, 'x'));
  grpc::ClientContext context;
  v1::AnalyzeResponse response;
  const grpc::Status status = stub_->Analyze(&context, request, &response);
  SetLogSinkForTesting(nullptr);  // the line was written before the call finished
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  int failure_lines = 0;
  for (absl::string_view line : absl::StrSplit(captured, '\n')) {
    EXPECT_FALSE(absl::StartsWith(line, forged)) << "a forged line";
    if (!absl::StrContains(line, "Analyze failed")) continue;
    ++failure_lines;
    EXPECT_LT(line.size(), 4096u) << "bounded, whatever the request_id";
    EXPECT_THAT(std::string(line), HasSubstr("more bytes)")) << "truncation is marked";
  }
  EXPECT_EQ(failure_lines, 1) << captured.substr(0, 4096);
}

TEST_F(AffectServerTest, MetricsEndpointIsOnLoopbackByDefault) {
  EXPECT_EQ(ServerOptions().metrics_address, "127.0.0.1")
      << "/metrics has no TLS: other hosts reach it only when --metrics_host says so";
}

TEST_F(AffectServerTest, MetricsTokenIsRequiredWhenConfigured) {
  ASSERT_TRUE(testing::WriteFile(repository_.Join("metrics-token"), "scrape-s3cret\n"));
  ServerOptions options = TestOptions();
  options.metrics_port = 0;
  options.metrics_token_file = repository_.Join("metrics-token");
  StartServer(options);
  ASSERT_GT(server_->metrics_port(), 0);
  EXPECT_THAT(testing::HttpGet(server_->metrics_port(), "/metrics"),
              testing::StatusIs(absl::StatusCode::kInternal, HasSubstr("401")));
  auto body = testing::HttpGet(server_->metrics_port(), "/metrics",
                               "Authorization: Bearer scrape-s3cret\r\n");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_THAT(*body, HasSubstr("affect_rpc_in_flight"));
}

TEST_F(AffectServerTest, AnEmptyMetricsTokenFileIsARefusalToStart) {
  ASSERT_TRUE(testing::WriteFile(repository_.Join("metrics-token"), " \n"));
  ServerOptions options = TestOptions();
  options.metrics_port = 0;
  options.metrics_token_file = repository_.Join("metrics-token");
  EXPECT_THAT(AffectServer::Start(options),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("--metrics_token_file")));
}

TEST_F(AffectServerTest, BearerTokenIsRequiredWhenConfigured) {
  ASSERT_TRUE(testing::WriteFile(repository_.Join("token"), "s3cret\n"));
  ServerOptions options = TestOptions();
  options.auth_token_file = repository_.Join("token");
  StartServer(options);
  {
    grpc::ClientContext context;
    v1::ListModelsResponse response;
    const grpc::Status status = stub_->ListModels(&context, v1::ListModelsRequest(), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << "no token";
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer wrong!");
    v1::ListModelsResponse response;
    const grpc::Status status = stub_->ListModels(&context, v1::ListModelsRequest(), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << "wrong token";
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer s3cret");
    v1::ListModelsResponse response;
    const grpc::Status status = stub_->ListModels(&context, v1::ListModelsRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(Health(""), HealthCheckResponse::SERVING) << "health stays open for probes";
}

}  // namespace
}  // namespace affect

// Faults against the in-process server on tiny models: clients that vanish
// mid-stream in bulk, deadline storms, a corrupt model file at start. After
// each, the server still serves, and /metrics shows no call in flight, no
// stream open, and per-call state created equal to released.
#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "server/api/affect_server.h"
#include "tests/api/fault_test_util.h"
#include "tests/testing/loopback_server_options.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model_repository.h"

namespace affect {
namespace {

using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;
using ::testing::Not;

using StreamPtr = std::unique_ptr<grpc::ClientReaderWriter<v1::StreamRequest, v1::StreamResponse>>;

class FaultTest : public ::testing::Test {
 protected:
  // Tiny models; `busy_matmuls` makes the face detector slow enough that
  // work is still queued or running when clients give up.
  void WriteModels(int busy_matmuls) {
    ASSERT_THAT(testing::WriteTinyFaceDetector(repository_.path(), "faces", busy_matmuls),
                testing::IsOk());
    ASSERT_THAT(testing::WriteTinyExpressionModel(repository_.path(), "expression"),
                testing::IsOk());
  }
  ServerOptions Options() const {
    ServerOptions options = testing::LoopbackServerOptions(repository_.path());
    options.metrics_port = 0;
    options.metrics_address = "127.0.0.1";
    options.drain_timeout = absl::Seconds(5);
    return options;
  }
  void Start(const ServerOptions& options) {
    auto server = AffectServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_GT(server_->metrics_port(), 0);
    channel_ = NewChannel();
    stub_ = v1::AffectService::NewStub(channel_);
  }
  std::shared_ptr<grpc::Channel> NewChannel() const {
    // A channel argument of its own keeps gRPC from sharing one connection
    // between the channels of a test.
    grpc::ChannelArguments arguments;
    arguments.SetInt("affect.test.channel", next_channel_++);
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                     grpc::InsecureChannelCredentials(), arguments);
  }

  grpc::Status Analyze(v1::AnalyzeResponse* response = nullptr) {
    v1::AnalyzeResponse ignored;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    return stub_->Analyze(&context, testing::GreyImageRequest(),
                          response != nullptr ? response : &ignored);
  }

  // A whole stream: config, `frames` frames each answered, then a clean end.
  grpc::Status RunStream(const std::string& id, int frames, int* results) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    StreamPtr stream = stub_->AnalyzeStream(&context);
    stream->Write(testing::StreamConfigMessage(id));
    for (int i = 1; i <= frames; ++i) stream->Write(testing::StreamFrameMessage(i));
    stream->WritesDone();
    v1::StreamResponse response;
    *results = 0;
    while (stream->Read(&response)) {
      if (response.has_frame()) ++*results;
    }
    return stream->Finish();
  }

  // The server serves a new unary call and a new stream.
  void ExpectServesANewCallAndStream() {
    const grpc::Status call = Analyze();
    EXPECT_TRUE(call.ok()) << "a new call after the fault: " << call.error_message();
    int results = 0;
    const grpc::Status stream = RunStream("after-the-fault", 2, &results);
    EXPECT_TRUE(stream.ok()) << "a new stream after the fault: " << stream.error_message();
    EXPECT_EQ(results, 2) << "each frame of the new stream is answered";
  }

  void ExpectCallStateReleased() {
    const testing::CallGauges gauges = testing::WaitForCallGaugesToSettle(server_->metrics_port());
    EXPECT_TRUE(gauges.Settled()) << gauges.Describe();
  }

  testing::TempDir repository_;
  std::unique_ptr<AffectServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AffectService::Stub> stub_;
  mutable int next_channel_ = 0;
};

// --- Clients that disconnect mid-stream in bulk -----------------------------

TEST_F(FaultTest, ThirtyStreamsCancelledOrDroppedMidStreamLeaveNoStateBehind) {
  WriteModels(/*busy_matmuls=*/20);
  ServerOptions options = Options();
  options.max_streams = 64;
  Start(options);
  ASSERT_TRUE(Analyze().ok()) << "warm: the server serves before the fault";

  // Three connections of ten streams each; every stream has sent its config
  // and frames, and has work queued or running, when its client vanishes.
  constexpr int kConnections = 3;
  constexpr int kStreamsPerConnection = 10;
  constexpr int kFramesPerStream = 4;
  struct OpenStream {
    std::unique_ptr<grpc::ClientContext> context;
    StreamPtr stream;
  };
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::AffectService::Stub>> stubs;
  std::vector<OpenStream> open;
  for (int c = 0; c < kConnections; ++c) {
    channels.push_back(NewChannel());
    stubs.push_back(v1::AffectService::NewStub(channels.back()));
    for (int s = 0; s < kStreamsPerConnection; ++s) {
      OpenStream entry;
      entry.context = std::make_unique<grpc::ClientContext>();
      entry.stream = stubs.back()->AnalyzeStream(entry.context.get());
      // BACKPRESSURE: a live stream drops frames that wait too long, unanswered,
      // and on a loaded machine the last stream's four frames all could (the
      // read below then waited for the idle timeout). No frame is dropped here.
      v1::StreamRequest config = testing::StreamConfigMessage(absl::StrCat("bulk-", c, s));
      config.mutable_config()->set_drop_policy(v1::DROP_POLICY_BACKPRESSURE);
      ASSERT_TRUE(entry.stream->Write(config)) << "stream " << c << "/" << s << " opens";
      for (int f = 1; f <= kFramesPerStream; ++f) {
        ASSERT_TRUE(entry.stream->Write(testing::StreamFrameMessage(f)));
      }
      open.push_back(std::move(entry));
    }
  }
  // The server has every stream: at least one frame result came back on the
  // last stream opened (so all thirty are registered and working).
  v1::StreamResponse first;
  ASSERT_TRUE(open.back().stream->Read(&first)) << "the last stream answers before the fault";

  // Half are cancelled (RST_STREAM), half abandoned: stream and context
  // destroyed without Finish, which cancels the call from the client side.
  for (size_t i = 0; i < open.size(); ++i) {
    if (i % 2 == 0) {
      open[i].context->TryCancel();
      v1::StreamResponse response;
      while (open[i].stream->Read(&response)) {
      }
      EXPECT_EQ(open[i].stream->Finish().error_code(), grpc::StatusCode::CANCELLED)
          << "stream " << i << " was cancelled";
    } else {
      open[i].stream.reset();
      open[i].context.reset();
    }
  }
  open.clear();
  stubs.clear();
  channels.clear();

  ExpectCallStateReleased();
  ExpectServesANewCallAndStream();
  ExpectCallStateReleased();
}

// --- Deadline storms --------------------------------------------------------

TEST_F(FaultTest, HundredsOfCallsWithMillisecondDeadlinesLeaveNoCallBehind) {
  WriteModels(/*busy_matmuls=*/5);
  Start(Options());
  ASSERT_TRUE(Analyze().ok()) << "warm: the server serves before the storm";

  constexpr int kCalls = 400;
  struct Call {
    grpc::ClientContext context;
    v1::AnalyzeRequest request = testing::GreyImageRequest();
    v1::AnalyzeResponse response;
  };
  std::vector<std::unique_ptr<Call>> calls;
  absl::Mutex mutex;
  int done = 0;
  std::map<grpc::StatusCode, int> codes;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back(std::make_unique<Call>());
    // Deadlines of 1..50 ms: some expire on the client before sending, some
    // in the decode queue, some in a model queue, some while running.
    calls.back()->context.set_deadline(
        absl::ToChronoTime(absl::Now() + absl::Milliseconds(1 + i % 50)));
  }
  for (auto& call : calls) {
    stub_->async()->Analyze(&call->context, &call->request, &call->response,
                            [&](grpc::Status status) {
                              absl::MutexLock lock(&mutex);
                              ++codes[status.error_code()];
                              ++done;
                            });
  }
  {
    absl::MutexLock lock(&mutex);
    auto all_done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) { return done == kCalls; };
    EXPECT_TRUE(mutex.AwaitWithTimeout(absl::Condition(&all_done), absl::Seconds(60)))
        << done << " of " << kCalls << " calls answered";
    int expected_outcomes = 0;
    std::string outcomes;
    for (auto [code, count] : codes) {
      absl::StrAppend(&outcomes, " code ", code, ": ", count);
      // Answered, timed out, or shed by a full queue: nothing else.
      if (code == grpc::StatusCode::OK || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
          code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        expected_outcomes += count;
      } else {
        ADD_FAILURE() << count << " calls ended with status code " << code;
      }
    }
    EXPECT_EQ(expected_outcomes, kCalls);
    std::cout << "deadline storm outcomes:" << outcomes << "\n";
    EXPECT_GT(codes[grpc::StatusCode::DEADLINE_EXCEEDED], 0) << "the storm did hit deadlines";
  }

  ExpectCallStateReleased();
  ExpectServesANewCallAndStream();
  ExpectCallStateReleased();
}

// --- A corrupt model file at start ------------------------------------------

class FaultHealthTest : public FaultTest {
 protected:
  HealthCheckResponse::ServingStatus Health(const std::string& service) {
    auto health = grpc::health::v1::Health::NewStub(channel_);
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    const grpc::Status status = health->Check(&context, request, &response);
    EXPECT_TRUE(status.ok()) << service << ": " << status.error_message();
    return response.status();
  }
};

TEST_F(FaultHealthTest, ACorruptModelFileFailsThatModelAndItsAnalysisHealthOnly) {
  WriteModels(/*busy_matmuls=*/0);
  // The expression model's weights are overwritten with garbage.
  ASSERT_TRUE(testing::WriteFile(repository_.Join("expression/1/model.pt"),
                                 "this is not a TorchScript archive"));
  Start(Options());

  grpc::ClientContext context;
  v1::ListModelsResponse models;
  ASSERT_TRUE(stub_->ListModels(&context, v1::ListModelsRequest(), &models).ok());
  std::map<std::string, v1::ModelInfo> by_name;
  for (const auto& model : models.models()) by_name[model.name()] = model;
  EXPECT_EQ(by_name["faces"].state(), v1::MODEL_STATE_READY) << by_name["faces"].state_reason();
  EXPECT_EQ(by_name["expression"].state(), v1::MODEL_STATE_FAILED);
  EXPECT_THAT(by_name["expression"].state_reason(), Not(::testing::IsEmpty()))
      << "the failed model says why";

  EXPECT_EQ(Health(""), HealthCheckResponse::SERVING) << "one bad file does not stop the server";
  EXPECT_EQ(Health(kAffectServiceName), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(AnalysisHealthName(v1::ANALYSIS_EMOTION)), HealthCheckResponse::NOT_SERVING)
      << "emotion needs the failed expression model";
  EXPECT_EQ(Health(AnalysisHealthName(v1::ANALYSIS_VOICE)), HealthCheckResponse::SERVING)
      << "voice prosody needs no model";
  EXPECT_EQ(Health(AnalysisHealthName(v1::ANALYSIS_SCENE)), HealthCheckResponse::NOT_SERVING)
      << "no object detector in this repository";

  const grpc::Status emotion = Analyze();
  EXPECT_EQ(emotion.error_code(), grpc::StatusCode::UNAVAILABLE) << emotion.error_message();
  ExpectCallStateReleased();
}

TEST_F(FaultHealthTest, PerAnalysisHealthFollowsModelsAndSwitches) {
  WriteModels(/*busy_matmuls=*/0);
  ServerOptions options = Options();
  options.disabled_analyses = {v1::ANALYSIS_VOICE};
  Start(options);
  EXPECT_EQ(Health(AnalysisHealthName(v1::ANALYSIS_EMOTION)), HealthCheckResponse::SERVING)
      << "its models are READY";
  EXPECT_EQ(Health(AnalysisHealthName(v1::ANALYSIS_VOICE)), HealthCheckResponse::NOT_SERVING)
      << "switched off with --disabled_analyses";
  EXPECT_EQ(Health(AnalysisHealthName(v1::ANALYSIS_ATTIRE)), HealthCheckResponse::NOT_SERVING)
      << "no segmentation model here";
  EXPECT_EQ(AnalysisHealthName(v1::ANALYSIS_ATTIRE), "affect.v1.AffectService/attire");
}

}  // namespace
}  // namespace affect

// Many callers, end to end on tiny generated models: refusals before any
// decoding carry a retry pushback; streams are closed when they send no
// config or go idle; one connection cannot take every stream; live streams
// drop frames that cannot start within their maximum age.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "absl/strings/str_cat.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "server/api/affect_server.h"
#include "server/common/retry_pushback.h"
#include "tests/testing/loopback_server_options.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model_repository.h"

namespace affect {
namespace {

using ::testing::HasSubstr;

std::string NoisyJpeg(int width, int height) {
  // Noise compresses badly, so decoding it takes real time.
  cv::Mat image(height, width, CV_8UC3);
  cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
  std::vector<uchar> bytes;
  cv::imencode(".jpg", image, bytes);
  return std::string(bytes.begin(), bytes.end());
}

class AdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::WriteTinyFaceDetector(repository_.path(), "faces", 20).ok());
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
    stub_ = NewStub(1);
  }
  // Each `connection` number gets its own TCP connection (distinct channel
  // arguments keep gRPC from sharing one).
  std::unique_ptr<v1::AffectService::Stub> NewStub(int connection) const {
    grpc::ChannelArguments args;
    args.SetInt("affect.test.connection", connection);
    return v1::AffectService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials(), args));
  }
  static v1::StreamRequest Config(v1::DropPolicy policy, int max_in_flight,
                                  int max_frame_age_ms = 0) {
    v1::StreamRequest request;
    request.mutable_config()->add_analyses(v1::ANALYSIS_EMOTION);
    request.mutable_config()->set_drop_policy(policy);
    request.mutable_config()->set_max_frames_in_flight(static_cast<uint32_t>(max_in_flight));
    if (max_frame_age_ms > 0) {
      request.mutable_config()->set_max_frame_age_ms(static_cast<uint32_t>(max_frame_age_ms));
    }
    return request;
  }
  static grpc::Status DrainStream(
      grpc::ClientReaderWriter<v1::StreamRequest, v1::StreamResponse>* stream,
      v1::StreamStats* final_stats = nullptr) {
    v1::StreamResponse response;
    while (stream->Read(&response)) {
      if (response.has_summary() && final_stats != nullptr) {
        *final_stats = response.summary().stats();
      }
    }
    return stream->Finish();
  }

  testing::TempDir repository_;
  std::unique_ptr<AffectServer> server_;
  std::unique_ptr<v1::AffectService::Stub> stub_;
};

TEST_F(AdmissionTest, AFullDecodeQueueRefusesAtOnceWithARetryPushback) {
  ServerOptions options = Options();
  options.decode_threads = 1;
  options.max_queued_requests = 1;
  Start(options);
  const std::string jpeg = NoisyJpeg(1600, 1200);
  constexpr int kCallers = 16;
  std::atomic<int> ok{0}, refused{0}, with_pushback{0}, other{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&] {
      v1::AnalyzeRequest request;
      request.mutable_image()->set_encoded(jpeg);
      request.add_analyses(v1::ANALYSIS_EMOTION);
      v1::AnalyzeResponse response;
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
      const grpc::Status status = stub_->Analyze(&context, request, &response);
      if (status.ok()) {
        ++ok;
      } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++refused;
        EXPECT_THAT(status.error_message(), HasSubstr("queue is full"));
        const auto& trailers = context.GetServerTrailingMetadata();
        if (trailers.count(kRetryPushbackMetadataKey) > 0) ++with_pushback;
      } else {
        ++other;
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(ok + refused + other, kCallers);
  EXPECT_EQ(other.load(), 0) << "every call is answered OK or refused, nothing else";
  EXPECT_GT(ok.load(), 0) << "admitted calls are answered";
  EXPECT_GT(refused.load(), 0) << "16 callers against 1 decode thread and a queue of 1";
  EXPECT_EQ(with_pushback.load(), refused.load()) << "every refusal says when to retry";
}

TEST_F(AdmissionTest, AStreamWithoutConfigIsClosedAfterTheConfigTimeout) {
  ServerOptions options = Options();
  options.stream_config_timeout = absl::Milliseconds(300);
  Start(options);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  auto stream = stub_->AnalyzeStream(&context);
  const absl::Time opened = absl::Now();
  const grpc::Status status = DrainStream(stream.get());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("no StreamConfig"));
  EXPECT_LT(absl::Now() - opened, absl::Seconds(20)) << "closed by the server, not the deadline";
}

TEST_F(AdmissionTest, AnIdleStreamIsClosed) {
  ServerOptions options = Options();
  options.stream_idle_timeout = absl::Milliseconds(500);
  Start(options);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  auto stream = stub_->AnalyzeStream(&context);
  ASSERT_TRUE(stream->Write(Config(v1::DROP_POLICY_DROP_OLDEST, 4)));
  const grpc::Status status = DrainStream(stream.get());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("sent nothing"));
}

TEST_F(AdmissionTest, OneConnectionCannotTakeEveryStream) {
  ServerOptions options = Options();
  options.max_streams = 8;
  options.max_streams_per_connection = 2;
  Start(options);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReaderWriter<v1::StreamRequest, v1::StreamResponse>>>
      idle;
  for (int i = 0; i < 2; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    idle.push_back(stub_->AnalyzeStream(contexts.back().get()));
    ASSERT_TRUE(idle.back()->Write(Config(v1::DROP_POLICY_DROP_OLDEST, 4)));
  }
  absl::SleepFor(absl::Milliseconds(300));  // let both sessions register
  {
    grpc::ClientContext context;
    auto third = stub_->AnalyzeStream(&context);
    third->WritesDone();
    const grpc::Status status = DrainStream(third.get());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(status.error_message(), HasSubstr("--max_streams_per_connection"));
  }
  {
    auto other_client = NewStub(2);
    grpc::ClientContext context;
    auto stream = other_client->AnalyzeStream(&context);
    ASSERT_TRUE(stream->Write(Config(v1::DROP_POLICY_DROP_OLDEST, 4)));
    stream->WritesDone();
    const grpc::Status status = DrainStream(stream.get());
    EXPECT_TRUE(status.ok()) << "another client still gets a stream: " << status.error_message();
  }
  for (auto& stream : idle) {
    stream->WritesDone();
    EXPECT_TRUE(DrainStream(stream.get()).ok());
  }
}

TEST_F(AdmissionTest, LiveStreamDropsFramesThatCannotStartWithinTheirAge) {
  ServerOptions options = Options();
  options.max_running_frames = 1;
  Start(options);
  grpc::ClientContext context;
  auto stream = stub_->AnalyzeStream(&context);
  ASSERT_TRUE(stream->Write(Config(v1::DROP_POLICY_DROP_OLDEST, 16, /*max_frame_age_ms=*/1)));
  const std::string jpeg = NoisyJpeg(640, 480);
  constexpr int kFrames = 16;
  for (int i = 1; i <= kFrames; ++i) {
    v1::StreamRequest frame;
    frame.mutable_frame()->set_sequence(static_cast<uint64_t>(i));
    frame.mutable_frame()->set_timestamp_us(i * 40'000);
    frame.mutable_frame()->mutable_image()->set_encoded(jpeg);
    ASSERT_TRUE(stream->Write(frame));
  }
  stream->WritesDone();
  v1::StreamStats stats;
  ASSERT_TRUE(DrainStream(stream.get(), &stats).ok());
  EXPECT_EQ(stats.frames_received(), static_cast<uint64_t>(kFrames));
  EXPECT_GT(stats.frames_too_old(), 0u) << "16 frames at once, one running, 1 ms to start";
  EXPECT_EQ(stats.frames_analysed() + stats.frames_failed() + stats.frames_dropped(),
            stats.frames_received())
      << "every frame is answered or counted as dropped";
}

TEST_F(AdmissionTest, StreamTimestampsBeyondTheRangeAreRefused) {
  Start(Options());
  grpc::ClientContext context;
  auto stream = stub_->AnalyzeStream(&context);
  ASSERT_TRUE(stream->Write(Config(v1::DROP_POLICY_DROP_OLDEST, 4)));
  v1::StreamRequest frame;
  frame.mutable_frame()->set_sequence(1);
  frame.mutable_frame()->set_timestamp_us(INT64_MAX - 5);
  frame.mutable_frame()->mutable_image()->set_encoded(NoisyJpeg(32, 32));
  stream->Write(frame);
  stream->WritesDone();
  const grpc::Status status = DrainStream(stream.get());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("frame.timestamp_us"));
}

TEST_F(AdmissionTest, GetServerInfoShowsTheCapacityChosenForThisMachine) {
  Start(Options());
  grpc::ClientContext context;
  v1::ServerInfo info;
  ASSERT_TRUE(stub_->GetServerInfo(&context, v1::GetServerInfoRequest(), &info).ok());
  EXPECT_GE(info.capacity().cpu_cores(), 1u);
  EXPECT_EQ(info.capacity().decode_threads(), info.capacity().cpu_cores())
      << "left at 0, decode threads follow the rule";
  EXPECT_THAT(info.capacity().chosen_by_rule(), HasSubstr("intra_op_threads="));
  EXPECT_EQ(info.intra_op_threads(), static_cast<int>(info.capacity().cpu_cores()));
}

}  // namespace
}  // namespace affect

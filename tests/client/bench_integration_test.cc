// affect-bench against the fake service: every mode runs, counts what it
// sent, keeps warm-up out of the figures, and reports errors by code.
#include <sstream>

#include "client/bench/bench_cli.h"
#include "client/bench/load_generator.h"
#include "client/cli/rpc_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "tests/client/fake_affect_service.h"
#include "tests/testing/temp_dir.h"

namespace affect::bench {
namespace {

using ::testing::HasSubstr;

struct RunOutput {
  int code = -1;
  std::string out;
  std::string err;
};

class BenchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service_.analyze_response = testing::SampleAnalyzeResponse();
    service_.frame_analysis = testing::SampleAnalyzeResponse().image();
    server_ = std::make_unique<testing::FakeServer>(&service_);
    ASSERT_NE(server_->server, nullptr);
    for (int i = 0; i < 2; ++i) {
      cv::Mat image(48, 64, CV_8UC3, cv::Scalar(40 * i, 90, 200));
      ASSERT_TRUE(cv::imwrite(images_.Join("image" + std::to_string(i) + ".jpg"), image));
    }
    ASSERT_TRUE(testing::WriteFile(images_.Join("README.txt"), "not an image: skipped"));
  }

  RunOutput Bench(std::vector<std::string> args) {
    args.insert(args.begin(),
                {"affect-bench", "--server=" + server_->address(), "--images=" + images_.path()});
    std::ostringstream out, err;
    client::CommandEnv env;
    env.out = &out;
    env.err = &err;
    RunOutput run;
    run.code = RunBench(args, env);
    run.out = out.str();
    run.err = err.str();
    return run;
  }

  testing::FakeAffectService service_;
  std::unique_ptr<testing::FakeServer> server_;
  testing::TempDir images_;
};

TEST_F(BenchTest, UnaryClosedLoopCountsRequestsAndExcludesWarmup) {
  const RunOutput run = Bench({"--concurrency=4", "--requests=20", "--warmup=3", "--json"});
  ASSERT_EQ(run.code, client::kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("\"mode\":\"unary\""));
  EXPECT_THAT(run.out, HasSubstr("\"sent\":20,\"ok\":20,\"failed\":0"));
  EXPECT_THAT(run.out, HasSubstr("\"images\":2")) << "the text file is skipped";
  EXPECT_EQ(service_.analyze_calls(), 23) << "20 measured + 3 warm-up";
}

TEST_F(BenchTest, UnaryOpenLoopFollowsTheTimetable) {
  const RunOutput run = Bench({"--concurrency=4", "--requests=10", "--rate=50", "--warmup=0"});
  ASSERT_EQ(run.code, client::kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("open loop at 50 req/s, at most 4 in flight, 10 requests"));
  EXPECT_THAT(run.out, HasSubstr("10 sent, 10 ok, 0 failed"));
  EXPECT_THAT(run.out, HasSubstr("from each request's scheduled send time"));
  EXPECT_EQ(service_.analyze_calls(), 10);
}

TEST_F(BenchTest, UnaryForADuration) {
  const RunOutput run = Bench({"--concurrency=2", "--duration=300ms", "--warmup=0", "--json"});
  ASSERT_EQ(run.code, client::kExitOk) << run.err;
  EXPECT_GT(service_.analyze_calls(), 2);
  EXPECT_THAT(run.out, HasSubstr("\"failed\":0"));
}

TEST_F(BenchTest, StreamsSendPacedFramesAndTimeTheirResults) {
  const RunOutput run = Bench(
      {"--mode=stream", "--concurrency=3", "--requests=12", "--fps=30", "--warmup=0", "--json"});
  ASSERT_EQ(run.code, client::kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("\"mode\":\"stream\""));
  EXPECT_THAT(run.out, HasSubstr("\"sent\":12,\"ok\":12,\"failed\":0"));
  EXPECT_THAT(run.out, HasSubstr("\"streams_failed\":0"));
  EXPECT_EQ(service_.frames_received(), 12);
  EXPECT_EQ(service_.last_stream_config().drop_policy(), v1::DROP_POLICY_DROP_OLDEST);
}

TEST_F(BenchTest, StreamsClosedLoop) {
  const RunOutput run = Bench({"--mode=stream", "--concurrency=2", "--requests=8", "--fps=0",
                               "--warmup=2", "--drop_policy=backpressure"});
  ASSERT_EQ(run.code, client::kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("2 streams, closed loop"));
  EXPECT_THAT(run.out, HasSubstr("8 sent, 8 ok, 0 failed"));
  EXPECT_EQ(service_.frames_received(), 10);
  EXPECT_EQ(service_.last_stream_config().drop_policy(), v1::DROP_POLICY_BACKPRESSURE);
}

TEST_F(BenchTest, FailedFramesAreErrorsByCode) {
  // A file that is not an image but passes the client's own check cannot
  // be built here, so fail at the stream level instead: a token.
  service_.token = "t";
  const RunOutput run = Bench({"--mode=stream", "--concurrency=2", "--requests=4", "--warmup=0"});
  EXPECT_EQ(run.code, client::kExitRpcError) << "nothing succeeded";
  EXPECT_THAT(run.out, HasSubstr("UNAUTHENTICATED"));
  EXPECT_THAT(run.out, HasSubstr("2 streams failed"));
}

TEST_F(BenchTest, EveryWarmupRequestFailingStopsTheRunWithTheReason) {
  service_.analyze_status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "models loading");
  const RunOutput run = Bench({"--requests=100", "--warmup=2"});
  EXPECT_EQ(run.code, client::kExitRpcError);
  EXPECT_THAT(run.err, HasSubstr("every warm-up request failed: UNAVAILABLE: models loading"));
  EXPECT_EQ(service_.analyze_calls(), 2) << "the run itself never started";
}

TEST_F(BenchTest, ErrorsAreReportedByStatusCode) {
  service_.analyze_status = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "queue full");
  const RunOutput run = Bench({"--requests=5", "--warmup=0"});
  EXPECT_EQ(run.code, client::kExitRpcError);
  EXPECT_THAT(run.out, HasSubstr("5 sent, 0 ok, 5 failed"));
  EXPECT_THAT(run.out, HasSubstr("RESOURCE_EXHAUSTED        5  queue full"));
}

TEST_F(BenchTest, UsageErrorsExitTwo) {
  EXPECT_THAT(Bench({"--mode=stream", "--rate=5"}).err, HasSubstr("--rate is for --mode=unary"));
  EXPECT_THAT(Bench({"--fps=5"}).err, HasSubstr("--fps is for --mode=stream"));
  EXPECT_THAT(Bench({"--mode=batch"}).err, HasSubstr("--mode: unknown mode 'batch'"));
  EXPECT_THAT(Bench({"--concurrency=0"}).err, HasSubstr("--concurrency must be in 1..10000"));
  EXPECT_THAT(Bench({"--image=x.jpg"}).err, HasSubstr("give --images=DIR or --image=FILE"));
  EXPECT_EQ(Bench({"--requests=5", "--duration=2s"}).code, client::kExitUsageError);
}

TEST(BenchImagesTest, AFolderWithoutImagesIsRefused) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteFile(dir.Join("a.txt"), "x"));
  std::string label;
  EXPECT_FALSE(LoadBenchImages(dir.path(), "", &label).ok());
  EXPECT_FALSE(LoadBenchImages(dir.Join("missing"), "", &label).ok());
}

TEST(BenchHelpTest, HelpExplainsWhatLatencyIsMeasuredFrom) {
  std::ostringstream out, err;
  client::CommandEnv env;
  env.out = &out;
  env.err = &err;
  EXPECT_EQ(RunBench({"affect-bench", "--help"}, env), client::kExitOk);
  EXPECT_THAT(out.str(), HasSubstr("no coordinated"));
  EXPECT_THAT(out.str(), HasSubstr("--concurrency=N"));
}

}  // namespace
}  // namespace affect::bench

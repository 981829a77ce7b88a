// The real affect-client and affect-bench binaries as subprocesses: help,
// exit codes, and a health/models round trip with a subprocess server.
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/videoio.hpp"
#include "tests/client/fake_affect_service.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace affect {
namespace {

using ::testing::HasSubstr;

constexpr char kClient[] = AFFECT_CLIENT_BINARY;
constexpr char kBench[] = AFFECT_BENCH_BINARY;
constexpr char kServer[] = AFFECT_SERVER_BINARY;

TEST(ClientBinaryTest, HelpExitsZero) {
  auto [code, output] = testing::RunToCompletion({kClient, "--help"}, absl::Seconds(30));
  EXPECT_EQ(code, 0) << output;
  EXPECT_THAT(output, HasSubstr("Usage: affect-client COMMAND"));
}

TEST(ClientBinaryTest, UsageErrorExitsTwoWithOneLine) {
  auto [code, output] = testing::RunToCompletion({kClient, "models", "--bogus"}, absl::Seconds(30));
  EXPECT_EQ(code, 2) << output;
  EXPECT_EQ(output,
            "affect-client: unknown flag --bogus\nRun 'affect-client models --help' for usage.\n");
}

TEST(ClientBinaryTest, UnreachableServerExitsOne) {
  auto [code, output] = testing::RunToCompletion(
      {kClient, "info", "--server=127.0.0.1:1", "--deadline=5s"}, absl::Seconds(30));
  EXPECT_EQ(code, 1) << output;
  EXPECT_THAT(output, HasSubstr("UNAVAILABLE"));
}

TEST(ClientBinaryTest, PipedOutputDefaultsToJson) {
  testing::TempDir repository;
  testing::Subprocess server({kServer, "--host=127.0.0.1", "--port=0", "--metrics_port=-1",
                              "--model_repository=" + repository.path(), "--log_format=json"});
  ASSERT_TRUE(server.started());
  ASSERT_TRUE(server.WaitForOutput("\"port\":\"", absl::Seconds(60))) << server.Output();
  const std::string log = server.Output();
  const int port = std::stoi(log.substr(log.find("\"port\":\"") + 8));
  const std::string address = absl::StrCat("--server=127.0.0.1:", port);

  auto [health_code, health] =
      testing::RunToCompletion({kClient, "health", address, "--wait=60s"}, absl::Seconds(90));
  EXPECT_EQ(health_code, 0) << health;
  EXPECT_EQ(health, "{\"status\":\"SERVING\"}\n") << "stdout is a file here: JSON";

  auto [models_code, models] =
      testing::RunToCompletion({kClient, "models", address}, absl::Seconds(30));
  EXPECT_EQ(models_code, 0) << models;
  EXPECT_EQ(models, "{}\n") << "an empty repository";
}

// A 5 s video (50 frames at 10 fps) to stream with --realtime.
std::string WriteLongVideo(const testing::TempDir& dir) {
  const std::string path = dir.Join("long.avi");
  cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10.0, cv::Size(64, 48));
  for (int i = 0; i < 50; ++i) writer.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar(i, 80, 160)));
  writer.release();
  return path;
}

class StreamInterruptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service_.frame_analysis.mutable_size()->set_width(64);
    server_ = std::make_unique<testing::FakeServer>(&service_);
    ASSERT_NE(server_->server, nullptr);
  }
  std::unique_ptr<testing::Subprocess> StartStream() {
    auto client = std::make_unique<testing::Subprocess>(
        std::vector<std::string>{kClient, "stream", WriteLongVideo(dir_), "--realtime",
                                 "--output=table", "--server=" + server_->address()});
    EXPECT_TRUE(client->started());
    EXPECT_TRUE(client->WaitForOutput("frame 2 ", absl::Seconds(30))) << client->Output();
    return client;
  }

  testing::FakeAffectService service_;
  std::unique_ptr<testing::FakeServer> server_;
  testing::TempDir dir_;
};

TEST_F(StreamInterruptTest, CtrlCEndsTheStreamCleanlyWithTheServersSummary) {
  auto client = StartStream();
  ASSERT_TRUE(client->Signal(SIGINT));
  EXPECT_EQ(client->Wait(absl::Seconds(30)), 130) << client->Output();
  const std::string output = client->Output();
  EXPECT_THAT(output, HasSubstr("stopping: finishing the stream (Ctrl-C again to cancel)"));
  EXPECT_THAT(output, HasSubstr("summary: client finished")) << "half-closed, not cancelled";
  EXPECT_THAT(output, HasSubstr("stream interrupted: "));
  EXPECT_THAT(output, HasSubstr("; ended cleanly"));
  EXPECT_LT(service_.frames_received(), 50) << "it stopped sending";
}

TEST_F(StreamInterruptTest, SecondCtrlCCancels) {
  auto client = StartStream();
  ASSERT_TRUE(client->Signal(SIGINT));
  ASSERT_TRUE(client->WaitForOutput("stopping", absl::Seconds(10))) << client->Output();
  ASSERT_TRUE(client->Signal(SIGINT));
  EXPECT_EQ(client->Wait(absl::Seconds(30)), 130) << client->Output();
  EXPECT_THAT(client->Output(), HasSubstr("stream interrupted: "));
}

TEST(BenchBinaryTest, HelpAndUsageErrors) {
  auto [help_code, help] = testing::RunToCompletion({kBench, "--help"}, absl::Seconds(30));
  EXPECT_EQ(help_code, 0) << help;
  EXPECT_THAT(help, HasSubstr("--rate=R"));
  auto [code, output] = testing::RunToCompletion({kBench, "--requests=3"}, absl::Seconds(30));
  EXPECT_EQ(code, 2) << output;
  EXPECT_THAT(output, HasSubstr("give --images=DIR or --image=FILE"));
}

TEST(BenchBinaryTest, ServerDownIsReportedNotHung) {
  testing::TempDir dir;
  ASSERT_TRUE(cv::imwrite(dir.Join("a.jpg"), cv::Mat(16, 16, CV_8UC3, cv::Scalar(1, 2, 3))));
  auto [code, output] =
      testing::RunToCompletion({kBench, "--server=127.0.0.1:1", "--image=" + dir.Join("a.jpg"),
                                "--requests=3", "--deadline=5s"},
                               absl::Seconds(60));
  EXPECT_EQ(code, 1) << output;
  EXPECT_THAT(output, HasSubstr("every warm-up request failed: UNAVAILABLE"));
}

}  // namespace
}  // namespace affect

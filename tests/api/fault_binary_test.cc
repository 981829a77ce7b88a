// Faults against the real affect-server binary as a subprocess: SIGTERM in
// the middle of load, and a file-descriptor limit lower than the number of
// clients.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/api/fault_test_util.h"
#include "tests/testing/http_get.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model_repository.h"

namespace affect {
namespace {

using ::testing::HasSubstr;

constexpr char kServer[] = AFFECT_SERVER_BINARY;
constexpr char kPrlimit[] = "/usr/bin/prlimit";

// A numeric field of the server's JSON start-up log line ("port",
// "metrics_port"), or 0.
int LoggedPort(const testing::Subprocess& server, const std::string& field) {
  const std::string output = server.Output();
  const std::string key = absl::StrCat("\"", field, "\":\"");
  const size_t at = output.find(key);
  return at == std::string::npos ? 0 : std::stoi(output.substr(at + key.size()));
}

std::unique_ptr<v1::AffectService::Stub> NewStub(int port, int channel_id) {
  grpc::ChannelArguments arguments;
  arguments.SetInt("affect.test.channel", channel_id);  // a connection of its own
  return v1::AffectService::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials(), arguments));
}

grpc::Status AnalyzeOnce(v1::AffectService::Stub* stub, absl::Duration deadline) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  v1::AnalyzeResponse response;
  return stub->Analyze(&context, testing::GreyImageRequest(), &response);
}

// CPU seconds (user + system) the process has used, from /proc/<pid>/stat.
double CpuSeconds(pid_t pid) {
  std::ifstream file(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // Fields after the command name "(...)": state is field 3, utime 14, stime 15.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ');
  if (fields.size() < 13) return -1;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
}

// --- SIGTERM under load -----------------------------------------------------

TEST(FaultBinaryTest, SigtermUnderLoadAnswersEveryCallAndExitsZero) {
  testing::TempDir repository;
  ASSERT_TRUE(testing::WriteTinyFaceDetector(repository.path(), "faces", /*busy_matmuls=*/10).ok());
  ASSERT_TRUE(testing::WriteTinyExpressionModel(repository.path(), "expression").ok());
  testing::Subprocess server({kServer, "--host=127.0.0.1", "--port=0", "--metrics_port=-1",
                              "--model_repository=" + repository.path(), "--log_format=json",
                              "--drain_timeout=5s"});
  ASSERT_TRUE(server.WaitForOutput("models loaded: serving", absl::Seconds(60))) << server.Output();
  const int port = LoggedPort(server, "port");
  ASSERT_GT(port, 0) << server.Output();

  // Every call has a deadline far beyond the drain timeout: a call that the
  // shutdown left without an answer would end DEADLINE_EXCEEDED.
  constexpr absl::Duration kCallDeadline = absl::Seconds(60);
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  absl::Mutex mutex;
  std::map<grpc::StatusCode, int> unary_codes;
  std::vector<grpc::Status> stream_statuses;
  int summaries = 0;

  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&, t] {
      auto stub = NewStub(port, t);
      while (!stop.load()) {
        const grpc::Status status = AnalyzeOnce(stub.get(), kCallDeadline);
        answered.fetch_add(1);
        absl::MutexLock lock(&mutex);
        ++unary_codes[status.error_code()];
      }
    });
  }
  for (int s = 0; s < 2; ++s) {
    clients.emplace_back([&, s] {
      auto stub = NewStub(port, 100 + s);
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
      auto stream = stub->AnalyzeStream(&context);
      bool summary = false;
      stream->Write(testing::StreamConfigMessage(absl::StrCat("sigterm-", s)));
      v1::StreamResponse response;
      // Closed loop: one frame, then its answer, until the server ends the
      // stream (its drain sends a summary, then OK).
      for (int64_t sequence = 1; !stop.load(); ++sequence) {
        if (!stream->Write(testing::StreamFrameMessage(sequence))) break;
        if (!stream->Read(&response)) break;
        if (response.has_summary()) {
          summary = true;
          break;
        }
        answered.fetch_add(1);
      }
      stream->WritesDone();
      while (stream->Read(&response)) {
        if (response.has_summary()) summary = true;
      }
      const grpc::Status status = stream->Finish();
      absl::MutexLock lock(&mutex);
      stream_statuses.push_back(status);
      if (summary) ++summaries;
    });
  }

  // Load is running: the clients have had answers.
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (answered.load() < 30 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_GE(answered.load(), 30) << server.Output();
  ASSERT_TRUE(server.Signal(SIGTERM));
  const std::optional<int> exit_code = server.Wait(absl::Seconds(30));
  stop.store(true);
  for (std::thread& client : clients) client.join();

  EXPECT_EQ(exit_code, 0) << "exit 0 after draining\n" << server.Output();
  EXPECT_THAT(server.Output(), HasSubstr("shutdown complete"));
  absl::MutexLock lock(&mutex);
  for (auto [code, count] : unary_codes) {
    // Answered; refused while draining or once the port closed; or
    // cancelled at the drain timeout. Never left to the client's deadline.
    EXPECT_TRUE(code == grpc::StatusCode::OK || code == grpc::StatusCode::UNAVAILABLE ||
                code == grpc::StatusCode::CANCELLED)
        << count << " unary calls ended with status code " << code;
  }
  EXPECT_GT(unary_codes[grpc::StatusCode::OK], 0);
  ASSERT_EQ(stream_statuses.size(), 2u);
  for (const grpc::Status& status : stream_statuses) {
    EXPECT_TRUE(status.ok() || status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                status.error_code() == grpc::StatusCode::CANCELLED)
        << "stream ended with " << status.error_code() << ": " << status.error_message();
  }
  EXPECT_EQ(summaries, 2) << "each open stream gets its drain summary";
}

// --- A low file-descriptor limit --------------------------------------------

TEST(FaultBinaryTest, ALowFileDescriptorLimitRefusesWithoutCrashingOrSpinning) {
  if (!std::filesystem::exists(kPrlimit)) GTEST_SKIP() << kPrlimit << " (util-linux) is missing";
  testing::TempDir repository;
  ASSERT_TRUE(testing::WriteTinyFaceDetector(repository.path(), "faces").ok());
  ASSERT_TRUE(testing::WriteTinyExpressionModel(repository.path(), "expression").ok());
  // prlimit execs the server: the child's pid is the server's.
  constexpr int kDescriptorLimit = 64;
  testing::Subprocess server(
      {kPrlimit, absl::StrCat("--nofile=", kDescriptorLimit, ":", kDescriptorLimit), kServer,
       "--host=127.0.0.1", "--port=0", "--metrics_port=0",
       "--model_repository=" + repository.path(), "--log_format=json", "--drain_timeout=2s"});
  ASSERT_TRUE(server.WaitForOutput("models loaded: serving", absl::Seconds(60))) << server.Output();
  const int port = LoggedPort(server, "port");
  const int metrics_port = LoggedPort(server, "metrics_port");
  ASSERT_GT(port, 0) << server.Output();
  ASSERT_GT(metrics_port, 0) << server.Output();

  auto existing = NewStub(port, 0);
  ASSERT_TRUE(AnalyzeOnce(existing.get(), absl::Seconds(30)).ok()) << "served before the flood";

  // Far more silent connections than the server has descriptors, to both
  // ports: the kernel completes them from the listen backlog, the server
  // accepts until EMFILE.
  std::vector<int> flood;
  for (int i = 0; i < 3 * kDescriptorLimit; ++i) {
    const int fd = testing::ConnectToLoopback(i % 4 == 0 ? metrics_port : port);
    if (fd >= 0) flood.push_back(fd);
  }
  ASSERT_GT(flood.size(), static_cast<size_t>(kDescriptorLimit)) << "the flood connected";

  // While the server is out of descriptors it must not spin on accept: over
  // a few seconds of wall time it uses a fraction of one core (a busy loop
  // would use all of it).
  const double cpu_before = CpuSeconds(server.pid());
  const absl::Time wall_before = absl::Now();
  absl::SleepFor(absl::Seconds(3));
  const double cpu_used = CpuSeconds(server.pid()) - cpu_before;
  const double wall = absl::ToDoubleSeconds(absl::Now() - wall_before);
  EXPECT_LT(cpu_used, 0.5 * wall) << "CPU seconds used while out of descriptors, over " << wall
                                  << " s: " << cpu_used;
  EXPECT_EQ(server.Wait(absl::ZeroDuration()), std::nullopt) << "still running\n"
                                                             << server.Output();
  EXPECT_THAT(server.Output(), HasSubstr("out of file descriptors: refusing new connections"))
      << "the connections beyond the limit were refused";

  // The connection it already has is still served.
  const grpc::Status during = AnalyzeOnce(existing.get(), absl::Seconds(30));
  EXPECT_TRUE(during.ok()) << "an existing connection during the flood: " << during.error_message();

  // Once the flood goes away, a new client is served (the server may back
  // off its accept loop for a while: retry within a bound).
  for (int fd : flood) close(fd);
  grpc::Status after;
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  for (int attempt = 1; absl::Now() < give_up; ++attempt) {
    auto fresh = NewStub(port, 1000 + attempt);
    after = AnalyzeOnce(fresh.get(), absl::Seconds(5));
    if (after.ok()) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(after.ok()) << "a new client after the flood: " << after.error_message() << "\n"
                          << server.Output();
  // The metrics endpoint is back too, and no call is left behind.
  const testing::CallGauges gauges = testing::WaitForCallGaugesToSettle(metrics_port);
  EXPECT_TRUE(gauges.Settled()) << gauges.Describe();

  ASSERT_TRUE(server.Signal(SIGTERM));
  EXPECT_EQ(server.Wait(absl::Seconds(30)), 0) << server.Output();
}

}  // namespace
}  // namespace affect

// Plain-class tests of the api layer: the stream registry's caps and
// timeouts fan-out, and the machine-sizing rule. No gRPC server.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api/machine_defaults.h"
#include "server/api/stream_registry.h"

namespace affect {
namespace {

using ::testing::HasSubstr;

class FakeStream : public DrainableStream {
 public:
  void Drain() override { ++drains; }
  void CheckTimeouts(absl::Time now) override { checked_at.push_back(now); }
  int drains = 0;
  std::vector<absl::Time> checked_at;
};

TEST(StreamRegistryTest, CapsStreamsPerConnectionSoOneClientCannotTakeEverySlot) {
  StreamRegistry registry(/*max_streams=*/10, /*max_per_connection=*/3);
  std::vector<FakeStream> greedy(5);
  int admitted = 0;
  for (FakeStream& stream : greedy) {
    if (registry.Register(&stream, "ipv4:127.0.0.1:40000") == RegisterResult::kOk) ++admitted;
  }
  EXPECT_EQ(admitted, 3) << "one connection gets at most max_per_connection streams";
  EXPECT_EQ(registry.Register(&greedy[4], "ipv4:127.0.0.1:40000"),
            RegisterResult::kConnectionFull);
  FakeStream other;
  EXPECT_EQ(registry.Register(&other, "ipv4:127.0.0.1:40001"), RegisterResult::kOk)
      << "a second client still gets a stream";
  registry.Unregister(&greedy[0]);
  EXPECT_EQ(registry.Register(&greedy[3], "ipv4:127.0.0.1:40000"), RegisterResult::kOk)
      << "a closed stream frees its connection's slot";
}

TEST(StreamRegistryTest, CapsStreamsOverAllConnectionsAndRefusesWhileDraining) {
  StreamRegistry registry(/*max_streams=*/2, /*max_per_connection=*/5);
  FakeStream a, b, c;
  EXPECT_EQ(registry.Register(&a, "x"), RegisterResult::kOk);
  EXPECT_EQ(registry.Register(&b, "y"), RegisterResult::kOk);
  EXPECT_EQ(registry.Register(&c, "z"), RegisterResult::kServerFull);
  registry.DrainAll();
  EXPECT_EQ(a.drains, 1);
  EXPECT_EQ(b.drains, 1);
  registry.Unregister(&a);
  EXPECT_EQ(registry.Register(&c, "z"), RegisterResult::kDraining);
}

TEST(StreamRegistryTest, TellsEveryOpenStreamTheTime) {
  StreamRegistry registry(4, 4);
  FakeStream a, b;
  ASSERT_EQ(registry.Register(&a, "x"), RegisterResult::kOk);
  ASSERT_EQ(registry.Register(&b, "x"), RegisterResult::kOk);
  const absl::Time now = absl::FromUnixSeconds(1000);
  registry.CheckTimeouts(now);
  registry.Unregister(&b);
  registry.CheckTimeouts(now + absl::Seconds(1));
  EXPECT_EQ(a.checked_at.size(), 2u);
  EXPECT_EQ(b.checked_at.size(), 1u) << "an unregistered stream is no longer told";
}

TEST(MachineDefaultsTest, FillsOnlyWhatTheOperatorLeftAtZero) {
  ServerOptions options;
  options.worker_threads = 3;  // given as a flag: kept
  std::string chosen;
  const ServerOptions resolved = ApplyMachineDefaults(options, 4, &chosen);
  EXPECT_EQ(resolved.intra_op_threads, 4);
  EXPECT_EQ(resolved.decode_threads, 4);
  EXPECT_EQ(resolved.worker_threads, 3);
  EXPECT_EQ(resolved.max_running_frames, 4);
  EXPECT_EQ(resolved.max_running_requests, 16);
  EXPECT_THAT(chosen, HasSubstr("intra_op_threads=4"));
  EXPECT_THAT(chosen, ::testing::Not(HasSubstr("worker_threads")));
  EXPECT_THAT(chosen, HasSubstr("cores=4"));
}

TEST(MachineDefaultsTest, NothingChosenWhenEverythingIsGiven) {
  ServerOptions options;
  options.intra_op_threads = 1;
  options.decode_threads = 1;
  options.worker_threads = 1;
  options.max_running_frames = 1;
  options.max_running_requests = 1;
  std::string chosen = "stale";
  ApplyMachineDefaults(options, 16, &chosen);
  EXPECT_EQ(chosen, "");
}

TEST(MachineDefaultsTest, UsableCoresIsAtLeastOne) { EXPECT_GE(UsableCpuCores(), 1); }

}  // namespace
}  // namespace affect

// The client tools' connection flags: --load_balancing is parsed and
// checked, and a round_robin channel over two in-process fake servers
// spreads calls over both and retries a call refused with UNAVAILABLE on
// the other (the scale-out story of deploy/; the real servers are driven by
// tests/deploy/scale_out_test.sh).
#include "client/cli/connection.h"

#include "absl/strings/str_cat.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "client/cli/flags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_affect_service.h"
#include "tests/testing/status_matchers.h"

namespace affect::client {
namespace {

using ::affect::testing::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<ConnectionOptions> OptionsFrom(const std::vector<std::string>& args) {
  auto flags = ParseFlags(ConnectionFlagSpecs(), args);
  if (!flags.ok()) return flags.status();
  return ConnectionOptionsFromFlags(*flags);
}

TEST(ConnectionFlagsTest, LoadBalancingDefaultsToPickFirst) {
  auto options = OptionsFrom({});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->load_balancing, LoadBalancing::kPickFirst);
  EXPECT_EQ(ServiceConfigJson(LoadBalancing::kPickFirst), "")
      << "pick_first keeps gRPC's own defaults";
}

TEST(ConnectionFlagsTest, RoundRobinAddsThePolicyAndARetryOnUnavailable) {
  auto options = OptionsFrom({"--server=dns:///affectserve-headless:50051",
                              "--load_balancing=round_robin"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->load_balancing, LoadBalancing::kRoundRobin);
  const std::string config = ServiceConfigJson(LoadBalancing::kRoundRobin);
  EXPECT_THAT(config, HasSubstr(R"("round_robin")"));
  EXPECT_THAT(config, HasSubstr(R"("retryableStatusCodes": ["UNAVAILABLE"])"));
}

TEST(ConnectionFlagsTest, UnknownPolicyIsRefusedNamingTheChoices) {
  EXPECT_THAT(OptionsFrom({"--load_balancing=random"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--load_balancing: 'random' is not one of pick_first, "
                                 "round_robin")));
}

class LoadBalancingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto* service : {&first_, &second_}) {
      service->analyze_response = testing::SampleAnalyzeResponse();
    }
    first_server_ = std::make_unique<testing::FakeServer>(&first_);
    second_server_ = std::make_unique<testing::FakeServer>(&second_);
    ASSERT_NE(first_server_->server, nullptr);
    ASSERT_NE(second_server_->server, nullptr);
  }

  // `calls` Analyze calls on one channel to both servers; returns how many
  // succeeded.
  int CallBoth(LoadBalancing policy, int calls) {
    ConnectionOptions options;
    options.server = absl::StrCat("ipv4:", first_server_->address(), ",",
                                  second_server_->address());
    options.load_balancing = policy;
    auto connection = Connection::Create(options);
    EXPECT_TRUE(connection.ok()) << connection.status();
    if (!connection.ok()) return 0;
    auto stub = v1::AffectService::NewStub(connection->channel());
    int ok = 0;
    for (int i = 0; i < calls; ++i) {
      grpc::ClientContext context;
      connection->PrepareContext(&context, absl::Seconds(10));
      v1::AnalyzeRequest request;
      v1::AnalyzeResponse response;
      if (stub->Analyze(&context, request, &response).ok()) ++ok;
    }
    return ok;
  }

  testing::FakeAffectService first_;
  testing::FakeAffectService second_;
  std::unique_ptr<testing::FakeServer> first_server_;
  std::unique_ptr<testing::FakeServer> second_server_;
};

TEST_F(LoadBalancingTest, PickFirstSendsEveryCallToOneServer) {
  EXPECT_EQ(CallBoth(LoadBalancing::kPickFirst, 20), 20);
  EXPECT_EQ(first_.analyze_calls() + second_.analyze_calls(), 20);
  EXPECT_TRUE(first_.analyze_calls() == 0 || second_.analyze_calls() == 0)
      << "pick_first used both servers: " << first_.analyze_calls() << " and "
      << second_.analyze_calls();
}

TEST_F(LoadBalancingTest, RoundRobinSpreadsCallsOverBothServers) {
  EXPECT_EQ(CallBoth(LoadBalancing::kRoundRobin, 20), 20);
  EXPECT_GT(first_.analyze_calls(), 0) << "the first server got no call";
  EXPECT_GT(second_.analyze_calls(), 0) << "the second server got no call";
}

TEST_F(LoadBalancingTest, RoundRobinRetriesUnavailableOnTheOtherServer) {
  first_.analyze_status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down");
  EXPECT_EQ(CallBoth(LoadBalancing::kRoundRobin, 20), 20)
      << "every call refused by the first server should be retried on the second";
  EXPECT_GT(first_.analyze_calls(), 0) << "the refusing server was never tried";
  EXPECT_GE(second_.analyze_calls(), 20);
}

}  // namespace
}  // namespace affect::client

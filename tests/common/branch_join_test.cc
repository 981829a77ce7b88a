#include "server/common/branch_join.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace affect {
namespace {

TEST(BranchJoinTest, WaitForAllAnswersTheLastBranchWithTheFirstError) {
  BranchJoin join(3);
  EXPECT_FALSE(join.BranchDone(absl::OkStatus()).has_value());
  EXPECT_FALSE(join.BranchDone(absl::InternalError("first")).has_value()) << "others still running";
  EXPECT_TRUE(join.failed());
  const std::optional<absl::Status> outcome = join.BranchDone(absl::UnavailableError("second"));
  ASSERT_TRUE(outcome.has_value()) << "the last branch learns the outcome";
  EXPECT_EQ(outcome->message(), "first");
}

TEST(BranchJoinTest, WaitForAllWithNoErrorIsOk) {
  BranchJoin join;
  join.Add(2);
  EXPECT_FALSE(join.BranchDone(absl::OkStatus()).has_value());
  const std::optional<absl::Status> outcome = join.BranchDone(absl::OkStatus());
  ASSERT_TRUE(outcome.has_value());
  EXPECT_TRUE(outcome->ok());
}

TEST(BranchJoinTest, FailFastAnswersTheFirstFailureAtOnceAndNobodyAfter) {
  BranchJoin join(3, JoinPolicy::kFailFast);
  EXPECT_FALSE(join.BranchDone(absl::OkStatus()).has_value());
  const std::optional<absl::Status> outcome = join.BranchDone(absl::InternalError("model"));
  ASSERT_TRUE(outcome.has_value()) << "no waiting for the branch still running";
  EXPECT_EQ(outcome->message(), "model");
  EXPECT_FALSE(join.BranchDone(absl::OkStatus()).has_value()) << "decided once";
}

TEST(BranchJoinTest, FailFastWithNoErrorAnswersTheLastBranch) {
  BranchJoin join(2, JoinPolicy::kFailFast);
  EXPECT_FALSE(join.BranchDone(absl::OkStatus()).has_value());
  const std::optional<absl::Status> outcome = join.BranchDone(absl::OkStatus());
  ASSERT_TRUE(outcome.has_value());
  EXPECT_TRUE(outcome->ok());
}

TEST(BranchJoinTest, ExactlyOneOfManyConcurrentBranchesLearnsTheOutcome) {
  for (JoinPolicy policy : {JoinPolicy::kWaitForAll, JoinPolicy::kFailFast}) {
    constexpr int kBranches = 64;
    BranchJoin join(kBranches, policy);
    std::atomic<int> answered{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kBranches; ++i) {
      threads.emplace_back([&, i] {
        const absl::Status status = i % 7 == 3 ? absl::InternalError("x") : absl::OkStatus();
        if (join.BranchDone(status).has_value()) answered.fetch_add(1);
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(answered.load(), 1) << static_cast<int>(policy);
  }
}

}  // namespace
}  // namespace affect

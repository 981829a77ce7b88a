#include "server/stream/hungarian.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace affect::stream {
namespace {

using ::testing::ElementsAre;

TEST(HungarianTest, FindsTheMinimumCostAssignment) {
  // Taking the cheapest pair first (0->0, cost 1) forces 1->1 (8): total 10.
  // The optimum is 0->1, 1->0, 2->2 with cost 2 + 3 + 1 = 6.
  const std::vector<double> costs = {1, 2, 9,  //
                                     3, 8, 9,  //
                                     9, 9, 1};
  EXPECT_THAT(SolveAssignment(costs, 3, 3), ElementsAre(1, 0, 2))
      << "the assignment must minimise the total, not take the cheapest pair first";
}

TEST(HungarianTest, LeavesExtraRowsUnassigned) {
  const std::vector<double> costs = {5,  //
                                     1,  //
                                     3};
  EXPECT_THAT(SolveAssignment(costs, 3, 1), ElementsAre(-1, 0, -1))
      << "with one column only the cheapest row gets it";
}

TEST(HungarianTest, AssignsEveryRowWhenColumnsAreMore) {
  const std::vector<double> costs = {4, 1, 2,  //
                                     2, 0, 5};
  EXPECT_THAT(SolveAssignment(costs, 2, 3), ElementsAre(2, 1))
      << "2 rows, 3 columns: the minimum is 2 + 0 (next best 1 + 2)";
}

TEST(HungarianTest, HandlesEmptyInputs) {
  EXPECT_TRUE(SolveAssignment({}, 0, 3).empty()) << "no rows: empty answer";
  EXPECT_THAT(SolveAssignment({}, 2, 0), ElementsAre(-1, -1)) << "no columns: nobody assigned";
}

}  // namespace
}  // namespace affect::stream

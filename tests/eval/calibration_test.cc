// Expected calibration error (client/eval/calibration.h).
#include "client/eval/calibration.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace affect::eval {
namespace {

TEST(CalibrationTest, PerfectlyCalibratedScoresGiveZero) {
  // Ten samples at 0.8 confidence, eight right.
  std::vector<CalibrationSample> samples;
  for (int i = 0; i < 10; ++i) samples.push_back({0.8, i < 8});
  ASSERT_TRUE(ExpectedCalibrationError(samples).has_value());
  EXPECT_NEAR(*ExpectedCalibrationError(samples), 0.0, 1e-9);
}

TEST(CalibrationTest, OverconfidenceIsTheGapWeightedByBinShare) {
  // Bin (0.8, 0.9]: 4 samples at 0.9, 2 right -> |0.5 - 0.9| = 0.4, weight 4/8.
  // Bin (0.5, 0.6]: 4 samples at 0.6, all right -> |1.0 - 0.6| = 0.4, weight 4/8.
  std::vector<CalibrationSample> samples = {{0.9, true}, {0.9, true}, {0.9, false},
                                            {0.9, false}, {0.6, true}, {0.6, true},
                                            {0.6, true},  {0.6, true}};
  EXPECT_NEAR(ExpectedCalibrationError(samples).value_or(-1), 0.4, 1e-9);
}

TEST(CalibrationTest, BinsMatter) {
  // 0.55 right and 0.95 wrong: in one bin they average out, in ten they do not.
  std::vector<CalibrationSample> samples = {{0.55, true}, {0.95, false}};
  EXPECT_NEAR(ExpectedCalibrationError(samples, 1).value_or(-1), std::abs(0.5 - 0.75), 1e-9);
  EXPECT_NEAR(ExpectedCalibrationError(samples, 10).value_or(-1), 0.5 * 0.45 + 0.5 * 0.95, 1e-9);
}

TEST(CalibrationTest, NoSamplesHaveNoError) {
  EXPECT_FALSE(ExpectedCalibrationError({}).has_value());
}

}  // namespace
}  // namespace affect::eval

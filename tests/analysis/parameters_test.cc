#include "server/analysis/parameters.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;

ParameterMap Params(std::initializer_list<std::pair<const char*, const char*>> entries) {
  ParameterMap map;
  for (const auto& [k, v] : entries) map[k] = v;
  return map;
}

TEST(ParametersTest, ReadsValuesAndKeepsDefaultsForMissingKeys) {
  const ParameterMap p = Params({{"score", "0.25"}, {"n", "7"}, {"on", "TRUE"}, {"fit", "stretch"}});
  float score = 1.0f;
  int n = 0;
  bool on = false;
  FitMode fit = FitMode::kLetterbox;
  float missing = 3.0f;
  ASSERT_THAT(ReadFloatParameter(p, "score", &score), IsOk()) << "float";
  ASSERT_THAT(ReadIntParameter(p, "n", &n), IsOk()) << "int";
  ASSERT_THAT(ReadBoolParameter(p, "on", &on), IsOk()) << "bool";
  ASSERT_THAT(ReadFitParameter(p, "fit", &fit), IsOk()) << "fit";
  ASSERT_THAT(ReadFloatParameter(p, "absent", &missing), IsOk()) << "absent key";
  EXPECT_FLOAT_EQ(score, 0.25f) << "parsed";
  EXPECT_EQ(n, 7) << "parsed";
  EXPECT_TRUE(on) << "parsed";
  EXPECT_EQ(fit, FitMode::kStretch) << "parsed";
  EXPECT_FLOAT_EQ(missing, 3.0f) << "default kept";
}

TEST(ParametersTest, RejectsMalformedValues) {
  float value = 0.0f;
  EXPECT_THAT(ReadFloatParameter(Params({{"score", "high"}}), "score", &value),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'score'")))
      << "error names the key";
}

TEST(ParametersTest, RejectsUnknownKeys) {
  EXPECT_THAT(CheckKnownParameters(Params({{"scor_threshold", "0.5"}}), {"score_threshold"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scor_threshold")))
      << "a typo fails loudly";
  EXPECT_THAT(CheckKnownParameters(Params({{"score_threshold", "0.5"}}), {"score_threshold"}),
              IsOk())
      << "known key";
}

}  // namespace
}  // namespace affect::analysis

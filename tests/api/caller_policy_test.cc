// The token file's per-caller policies (server/api/caller_policy.h): the
// format, its errors, and the analyses check.
#include "server/api/caller_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api/analysis_plan.h"
#include "tests/testing/status_matchers.h"

namespace affect {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kFile[] = R"(# callers of the support platform
tok-desk   name=support-desk analyses=voice,scene max_streams=2

tok-research name=research analyses=all max_requests_per_second=2.5
tok-plain
)";

TEST(CallerPolicyTest, ParsesEveryLineWithItsSettings) {
  auto policies = CallerPolicies::Parse(kFile, "tokens.txt");
  ASSERT_THAT(policies, IsOk());
  EXPECT_TRUE(policies->requires_token()) << "a file means tokens are required";

  const CallerPolicy* desk = policies->Find("tok-desk");
  ASSERT_NE(desk, nullptr) << "the first line's token";
  EXPECT_EQ(desk->name, "support-desk");
  EXPECT_THAT(desk->allowed, ElementsAre(v1::ANALYSIS_SCENE, v1::ANALYSIS_VOICE));
  EXPECT_EQ(desk->max_streams, 2);
  EXPECT_FALSE(desk->max_requests_per_second.has_value()) << "no rate cap given";

  const CallerPolicy* research = policies->Find("tok-research");
  ASSERT_NE(research, nullptr);
  EXPECT_EQ(research->allowed.size(), 6u) << "analyses=all";
  EXPECT_DOUBLE_EQ(research->max_requests_per_second.value_or(0), 2.5);

  const CallerPolicy* plain = policies->Find("tok-plain");
  ASSERT_NE(plain, nullptr) << "a token alone (the old format) is a caller";
  EXPECT_EQ(plain->name, "caller-5") << "named after its line";
  EXPECT_EQ(plain->allowed.size(), 6u) << "a bare token allows everything";
  EXPECT_FALSE(plain->max_streams.has_value());
}

TEST(CallerPolicyTest, UnknownAndPartialTokensFindNothing) {
  auto policies = CallerPolicies::Parse(kFile, "tokens.txt");
  ASSERT_THAT(policies, IsOk());
  EXPECT_EQ(policies->Find("tok-des"), nullptr) << "a prefix is not the token";
  EXPECT_EQ(policies->Find("tok-desk "), nullptr) << "a longer string is not the token";
  EXPECT_EQ(policies->Find(""), nullptr);
  EXPECT_EQ(policies->Find("support-desk"), nullptr) << "the name is not a token";
}

TEST(CallerPolicyTest, OldSingleTokenFileStillWorks) {
  auto policies = CallerPolicies::Parse("t0ken\n", "token");
  ASSERT_THAT(policies, IsOk());
  ASSERT_NE(policies->Find("t0ken"), nullptr);
  EXPECT_EQ(policies->Find("t0ken")->allowed.size(), 6u);
}

TEST(CallerPolicyTest, NoFileMeansAnonymousWithEverything) {
  const CallerPolicies policies;
  EXPECT_FALSE(policies.requires_token());
  EXPECT_EQ(policies.anonymous().name, "anonymous");
  EXPECT_EQ(policies.anonymous().allowed.size(), 6u);
  EXPECT_EQ(policies.All().size(), 1u);
}

TEST(CallerPolicyTest, ErrorsNameTheLineAndTheFieldButNeverTheToken) {
  EXPECT_THAT(CallerPolicies::Parse("secret1 analyses=emoton\n", "t.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("t.txt line 1: analyses: 'emoton' is not an analysis"),
                             Not(HasSubstr("secret1")))));
  EXPECT_THAT(CallerPolicies::Parse("secret1\nsecret2 max_streams=-1\n", "t.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("line 2: max_streams"), Not(HasSubstr("secret2")))));
  EXPECT_THAT(CallerPolicies::Parse("secret1 max_requests_per_second=0\n", "t.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("max_requests_per_second: '0' is not a positive number")));
  EXPECT_THAT(CallerPolicies::Parse("secret1 colour=blue\n", "t.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown setting")));
  EXPECT_THAT(CallerPolicies::Parse("secret1 name\n", "t.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not key=value")));
  EXPECT_THAT(CallerPolicies::Parse("secret1\nsecret1 name=b\n", "t.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("line 2: the same token"), Not(HasSubstr("secret1")))));
  EXPECT_THAT(CallerPolicies::Parse("s1 name=a\ns2 name=a\n", "t.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'a' is already used")));
  EXPECT_THAT(CallerPolicies::Parse("# only a comment\n\n", "t.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.txt is empty")));
}

TEST(CallerPolicyTest, ToProtoShowsNameAnalysesAndCapsButNotTheToken) {
  auto policies = CallerPolicies::Parse(kFile, "tokens.txt");
  ASSERT_THAT(policies, IsOk());
  const v1::CallerInfo info = policies->Find("tok-desk")->ToProto();
  EXPECT_EQ(info.name(), "support-desk");
  EXPECT_THAT(info.allowed_analyses(), ElementsAre(v1::ANALYSIS_SCENE, v1::ANALYSIS_VOICE));
  EXPECT_EQ(info.max_streams(), 2u);
  EXPECT_FALSE(info.has_max_requests_per_second());
  EXPECT_THAT(info.DebugString(), Not(HasSubstr("tok-desk")));
}

TEST(CallerPolicyTest, PlanRefusesAnAnalysisTheCallerMayNotUseWithPermissionDenied) {
  auto policies = CallerPolicies::Parse(kFile, "tokens.txt");
  ASSERT_THAT(policies, IsOk());
  const CallerPolicy* desk = policies->Find("tok-desk");
  google::protobuf::RepeatedField<int> analyses;
  analyses.Add(v1::ANALYSIS_SCENE);
  analyses.Add(v1::ANALYSIS_EMOTION);
  const auto available = [](v1::Analysis) { return absl::OkStatus(); };
  EXPECT_THAT(MakeAnalysisPlan(analyses, {}, true, false, {}, available, "analyses", "options",
                               desk),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("analyses[1]: ANALYSIS_EMOTION is not allowed"),
                             HasSubstr("'support-desk'"))));
  EXPECT_THAT(MakeAnalysisPlan(analyses, {}, true, false, {v1::ANALYSIS_EMOTION}, available,
                               "analyses", "options", desk),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("switched off")))
      << "switched off for everyone stays FAILED_PRECONDITION";
}

TEST(CallerPolicyTest, EmptyAnalysesMeansEveryOneTheCallerMayUse) {
  auto policies = CallerPolicies::Parse(kFile, "tokens.txt");
  ASSERT_THAT(policies, IsOk());
  const CallerPolicy* desk = policies->Find("tok-desk");
  const auto available = [](v1::Analysis) { return absl::OkStatus(); };
  auto plan = MakeAnalysisPlan({}, {}, true, true, {}, available, "analyses", "options", desk);
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(plan->List(), ElementsAre(v1::ANALYSIS_SCENE, v1::ANALYSIS_VOICE));

  CallerPolicy voice_only;
  voice_only.name = "listener";
  voice_only.allowed = {v1::ANALYSIS_VOICE};
  EXPECT_THAT(MakeAnalysisPlan({}, {}, true, false, {}, available, "analyses", "options",
                               &voice_only),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("ANALYSIS_EMOTION is not allowed for caller 'listener'")))
      << "an image alone leaves the voice-only caller nothing it may run";
}

}  // namespace
}  // namespace affect

// The client's flag parser: absl-style syntax, typed values, clear errors.
#include "client/cli/flags.h"

#include "client/bench/bench_cli.h"
#include "client/cli/command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect::client {
namespace {

using ::affect::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<FlagSpec> Specs() {
  return {
      {"server", FlagType::kString, "localhost:50051", "Address."},
      {"fps", FlagType::kDouble, "0", "Rate."},
      {"count", FlagType::kInt, "3", "Count."},
      {"json", FlagType::kBool, "false", "JSON."},
      {"deadline", FlagType::kDuration, "30s", "Deadline."},
  };
}

TEST(FlagsTest, AcceptsEqualsAndSpaceSeparatedValues) {
  auto flags = ParseFlags(Specs(), {"--server=a:1", "--fps", "2.5", "file.jpg", "-count=7"});
  ASSERT_THAT(flags, testing::IsOk());
  EXPECT_EQ(flags->GetString("server"), "a:1");
  EXPECT_DOUBLE_EQ(flags->GetDouble("fps"), 2.5);
  EXPECT_EQ(flags->GetInt("count"), 7) << "a single dash works as in absl";
  EXPECT_THAT(flags->positional(), ElementsAre("file.jpg"));
}

TEST(FlagsTest, DefaultsApplyWhenAFlagIsAbsent) {
  auto flags = ParseFlags(Specs(), {});
  ASSERT_THAT(flags, testing::IsOk());
  EXPECT_FALSE(flags->Has("server"));
  EXPECT_EQ(flags->GetString("server"), "localhost:50051");
  EXPECT_EQ(flags->GetInt("count"), 3);
  EXPECT_EQ(flags->GetDuration("deadline"), absl::Seconds(30));
  EXPECT_FALSE(flags->GetBool("json"));
}

TEST(FlagsTest, BooleansTakeBareNegatedAndExplicitForms) {
  EXPECT_TRUE(ParseFlags(Specs(), {"--json"})->GetBool("json"));
  EXPECT_FALSE(ParseFlags(Specs(), {"--json", "--nojson"})->GetBool("json"))
      << "the last occurrence wins";
  EXPECT_FALSE(ParseFlags(Specs(), {"--json=false"})->GetBool("json"));
  auto positional = ParseFlags(Specs(), {"--json", "x"});
  EXPECT_THAT(positional->positional(), ElementsAre("x")) << "a bare bool takes no value";
}

TEST(FlagsTest, DoubleDashEndsFlagsAndNumbersArePositional) {
  auto flags = ParseFlags(Specs(), {"--", "--json", "-1"});
  ASSERT_THAT(flags, testing::IsOk());
  EXPECT_THAT(flags->positional(), ElementsAre("--json", "-1"));
  EXPECT_FALSE(flags->Has("json"));
}

TEST(FlagsTest, UnknownFlagIsNamed) {
  EXPECT_THAT(ParseFlags(Specs(), {"--fsp=3"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown flag --fsp")));
}

TEST(FlagsTest, BadValuesNameTheFlagAndTheProblem) {
  EXPECT_THAT(
      ParseFlags(Specs(), {"--fps=ten"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--fps: 'ten' is not a number")));
  EXPECT_THAT(ParseFlags(Specs(), {"--count=1.5"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a whole number")));
  EXPECT_THAT(ParseFlags(Specs(), {"--deadline=30"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--deadline: '30' is not a duration")));
  EXPECT_THAT(ParseFlags(Specs(), {"--json=maybe"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not true or false")));
  EXPECT_THAT(ParseFlags(Specs(), {"--server"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--server needs a value")));
}

TEST(FlagsTest, HelpIsRecognisedAnywhere) {
  EXPECT_TRUE(ParseFlags(Specs(), {"x", "--help"})->help_requested());
  EXPECT_TRUE(ParseFlags(Specs(), {"-h"})->help_requested());
}

TEST(FlagsTest, HelpShowsPlaceholdersAndDefaults) {
  const std::string help = FormatFlagHelp(Specs());
  EXPECT_THAT(help, HasSubstr("--server=TEXT"));
  EXPECT_THAT(help, HasSubstr("(default: localhost:50051)"));
  EXPECT_THAT(help, HasSubstr("--json\n")) << "booleans take no placeholder";
}

// Every declared default must parse as its type, or a getter would abort.
void ExpectDefaultsParse(const std::vector<FlagSpec>& specs, const std::string& where) {
  for (const FlagSpec& spec : specs) {
    if (spec.default_value.empty() && spec.type != FlagType::kString) continue;  // "unset"
    EXPECT_THAT(CheckFlagValue(spec.type, spec.default_value), testing::IsOk())
        << where << " --" << spec.name << " default '" << spec.default_value << "'";
  }
}

TEST(FlagsTest, EveryCommandsDefaultsParse) {
  for (const Command& command : AllCommands()) ExpectDefaultsParse(command.flags, command.name);
  ExpectDefaultsParse(bench::BenchFlagSpecs(), "affect-bench");
}

TEST(FlagsTest, NoCommandDeclaresAFlagTwice) {
  for (const Command& command : AllCommands()) {
    std::set<std::string> names;
    for (const FlagSpec& spec : command.flags) {
      EXPECT_TRUE(names.insert(spec.name).second) << command.name << " --" << spec.name;
    }
  }
}

}  // namespace
}  // namespace affect::client

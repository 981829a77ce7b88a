// affect-client's command line without a server: help, usage errors (exit
// 2 with a one-line message), input checks before anything is sent.

#include <utility>

#include "absl/strings/match.h"
#include "client/cli/command.h"
#include "client/cli/rpc_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/client_runner.h"
#include "tests/testing/temp_dir.h"

namespace affect::client {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

RunOutput Client(std::vector<std::string> args) { return RunAffectClient(std::move(args)); }

// A server address nothing listens on: usage errors must be found before
// any call, so they never reach it.
constexpr char kNowhere[] = "--server=127.0.0.1:1";

TEST(CliTest, HelpListsEveryCommandAndTheExitCodes) {
  const RunOutput run = Client({"--help"});
  EXPECT_EQ(run.code, kExitOk);
  for (const char* command : {"analyze", "stream", "models", "info", "health"}) {
    EXPECT_THAT(run.out, HasSubstr(std::string("  ") + command)) << command;
  }
  EXPECT_THAT(run.out, HasSubstr("Exit codes: 0 success; 1 a call failed"));
  EXPECT_THAT(run.out, HasSubstr("--token_file"));
}

TEST(CliTest, EachCommandHasItsOwnHelp) {
  const RunOutput analyze = Client({"analyze", "--help"});
  EXPECT_EQ(analyze.code, kExitOk);
  EXPECT_THAT(analyze.out, HasSubstr("Usage: affect-client analyze FILE..."));
  EXPECT_THAT(analyze.out, HasSubstr("--annotate=OUT.png"));
  const RunOutput stream = Client({"help", "stream"});
  EXPECT_EQ(stream.code, kExitOk);
  EXPECT_THAT(stream.out, HasSubstr("--drop_policy=POLICY"));
  EXPECT_THAT(stream.out, HasSubstr("--fps=N"));
}

TEST(CliTest, NoCommandIsAUsageError) {
  const RunOutput run = Client({});
  EXPECT_EQ(run.code, kExitUsageError);
  EXPECT_THAT(run.err, HasSubstr("affect-client: no command given"));
}

TEST(CliTest, UnknownCommandIsAUsageError) {
  const RunOutput run = Client({"analyse", "x.jpg"});
  EXPECT_EQ(run.code, kExitUsageError);
  EXPECT_THAT(run.err, HasSubstr("unknown command 'analyse'"));
}

TEST(CliTest, AFlagOfAnotherCommandIsRefused) {
  const RunOutput run = Client({"analyze", "x.jpg", "--fps=5"});
  EXPECT_EQ(run.code, kExitUsageError);
  EXPECT_THAT(run.err, HasSubstr("affect-client: unknown flag --fps\n"
                                 "Run 'affect-client analyze --help' for usage."));
}

TEST(CliTest, ConnectionFlagsMayComeBeforeTheCommand) {
  testing::TempDir dir;
  const RunOutput run = Client({"--server", "127.0.0.1:1", "analyze", dir.Join("missing.jpg")});
  EXPECT_EQ(run.code, kExitUsageError) << "the file is checked first, not the server";
  EXPECT_THAT(run.err, HasSubstr("cannot read"));
}

TEST(CliTest, MissingAndExtraArgumentsAreUsageErrors) {
  EXPECT_THAT(Client({"analyze"}).err, HasSubstr("missing argument"));
  const RunOutput extra = Client({"models", "emotion"});
  EXPECT_EQ(extra.code, kExitUsageError);
  EXPECT_THAT(extra.err, HasSubstr("unexpected argument 'emotion'"));
}

TEST(CliTest, BadFlagValuesAreUsageErrors) {
  EXPECT_THAT(Client({"models", kNowhere, "--deadline=5"}).err,
              HasSubstr("--deadline: '5' is not a duration"));
  EXPECT_THAT(Client({"models", kNowhere, "--output=yaml"}).err,
              HasSubstr("--output: unknown format 'yaml'"));
  EXPECT_THAT(Client({"models", kNowhere, "--tls_cert=c.pem"}).err,
              HasSubstr("--tls_cert and --tls_key go together"));
  EXPECT_THAT(Client({"models", kNowhere, "--token=a", "--token_file=b"}).err,
              HasSubstr("give --token or --token_file, not both"));
  EXPECT_THAT(Client({"models", kNowhere, "--token_file=/nonexistent/token"}).err,
              HasSubstr("--token_file: cannot read '/nonexistent/token'"));
  EXPECT_EQ(Client({"models", kNowhere, "--deadline=-1s"}).code, kExitUsageError);
}

TEST(CliTest, AnalyzeChecksAnalysesAndAnnotationPathsBeforeSending) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteFile(dir.Join("a.jpg"), "\xFF\xD8\xFF\xE0 not really"));
  const RunOutput analyses =
      Client({"analyze", kNowhere, dir.Join("a.jpg"), "--analyses=emotion,age"});
  EXPECT_EQ(analyses.code, kExitUsageError);
  EXPECT_THAT(analyses.err, HasSubstr("--analyses: unknown analysis 'age'"));
  const RunOutput video = Client({"analyze", kNowhere, dir.Join("a.jpg"), "--annotate=out.mp4"});
  EXPECT_EQ(video.code, kExitUsageError);
  EXPECT_THAT(video.err, HasSubstr("use 'affect-client stream'"));
  const RunOutput negative = Client({"analyze", kNowhere, dir.Join("a.jpg"), "--max_faces=-1"});
  EXPECT_THAT(negative.err, HasSubstr("--max_faces must be >= 0"));
}

TEST(CliTest, BlurFacesNeedsAnAnnotationAndEvalChartNeedsAPng) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteFile(dir.Join("a.jpg"), "\xFF\xD8\xFF\xE0 not really"));
  const RunOutput blur = Client({"analyze", kNowhere, dir.Join("a.jpg"), "--blur_faces"});
  EXPECT_EQ(blur.code, kExitUsageError);
  EXPECT_THAT(blur.err, HasSubstr("--blur_faces applies to --annotate=OUT.png"));
  const RunOutput chart = RunAffectClient({"eval", "--dataset=" + dir.path(), "--chart=c.jpg"});
  EXPECT_EQ(chart.code, kExitUsageError);
  EXPECT_THAT(chart.err, HasSubstr("--chart: 'c.jpg' must end in .png"));
}

TEST(CliTest, EvalChecksItsSplitAndLimitBeforeLoadingModels) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteFile(dir.Join("happy/a.jpg"), "x")) << "fixture";
  const std::string dataset = "--dataset=" + dir.path();
  const RunOutput split = RunAffectClient({"eval", dataset, "--split=train"});
  EXPECT_EQ(split.code, kExitUsageError) << split.err;
  EXPECT_THAT(split.err, HasSubstr("--split: 'train' is not a split: use all, tune or test"));
  const RunOutput fraction = RunAffectClient({"eval", dataset, "--split_fraction=1"});
  EXPECT_EQ(fraction.code, kExitUsageError) << fraction.err;
  EXPECT_THAT(fraction.err, HasSubstr("between 0 and 1"));
  const RunOutput limit = RunAffectClient({"eval", dataset, "--limit_per_class=-1"});
  EXPECT_EQ(limit.code, kExitUsageError) << limit.err;
  EXPECT_THAT(limit.err, HasSubstr("the limit per class must be 0 (none) or more"));
  // One image: with seed 1 it lies in one part only, so one of the parts is empty.
  const RunOutput tune =
      RunAffectClient({"eval", dataset, "--split=tune", "--model_repository=/x"});
  const RunOutput test =
      RunAffectClient({"eval", dataset, "--split=test", "--model_repository=/x"});
  EXPECT_EQ(
      absl::StrContains(tune.err, "leave no image") + absl::StrContains(test.err, "leave no image"),
      1)
      << "exactly one part is empty\n"
      << tune.err << test.err;
}

TEST(CliTest, StreamChecksItsInputsBeforeConnecting) {
  testing::TempDir dir;
  EXPECT_THAT(Client({"stream", kNowhere}).err, HasSubstr("give a VIDEO"));
  EXPECT_THAT(Client({"stream", kNowhere, dir.Join("none.mp4")}).err,
              HasSubstr("cannot open video '" + dir.Join("none.mp4") + "': no such file"));
  EXPECT_THAT(Client({"stream", kNowhere, "x.mp4", "--drop_policy=random"}).err,
              HasSubstr("--drop_policy: unknown policy 'random'"));
  EXPECT_THAT(Client({"stream", kNowhere, "x.mp4", "--annotate=out.png"}).err,
              HasSubstr("must end in .mp4, .avi or .mkv"));
  EXPECT_THAT(Client({"stream", kNowhere, "x.mp4", "--jpeg_quality=0"}).err,
              HasSubstr("--jpeg_quality must be in 1..100"));
}

TEST(CliTest, UnreachableServerIsExitOneWithAHint) {
  const RunOutput run = Client({"info", kNowhere, "--deadline=5s"});
  EXPECT_EQ(run.code, kExitRpcError);
  EXPECT_THAT(run.err, HasSubstr("affect-client: info: UNAVAILABLE"));
  EXPECT_THAT(run.err, HasSubstr("is the server running at 127.0.0.1:1?"));
  EXPECT_THAT(run.out, IsEmpty());
}

}  // namespace
}  // namespace affect::client

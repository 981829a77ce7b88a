#include "server/common/logging.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace affect {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override { SetLogSinkForTesting(&captured_); }
  void TearDown() override {
    SetLogSinkForTesting(nullptr);
    SetLogLevel(LogLevel::kInfo);
    SetLogFormat(LogFormat::kText);
  }
  std::string captured_;
};

TEST_F(LoggingTest, TextLineCarriesLevelMessageAndFields) {
  AFFECT_LOG(WARNING).With("request_id", "r-1").With("model", "emotion") << "queue " << 3;
  EXPECT_THAT(captured_, HasSubstr("WARNING")) << captured_;
  EXPECT_THAT(captured_, HasSubstr("queue 3")) << captured_;
  EXPECT_THAT(captured_, HasSubstr("request_id=r-1 model=emotion")) << captured_;
}

TEST_F(LoggingTest, LinesBelowTheLevelAreDropped) {
  SetLogLevel(LogLevel::kWarning);
  AFFECT_LOG(INFO) << "hidden";
  AFFECT_LOG(ERROR) << "shown";
  EXPECT_THAT(captured_, Not(HasSubstr("hidden")));
  EXPECT_THAT(captured_, HasSubstr("shown"));
}

TEST_F(LoggingTest, JsonLinesEscapeAndCarryFields) {
  SetLogFormat(LogFormat::kJson);
  AFFECT_LOG(INFO).With("stream_id", "s\"1") << "a \"quoted\"\nline";
  EXPECT_THAT(captured_, HasSubstr(R"("level":"info")")) << captured_;
  EXPECT_THAT(captured_, HasSubstr(R"("msg":"a \"quoted\"\nline")")) << captured_;
  EXPECT_THAT(captured_, HasSubstr(R"("stream_id":"s\"1")")) << captured_;
  EXPECT_EQ(captured_.back(), '\n');
  EXPECT_EQ(std::count(captured_.begin(), captured_.end(), '\n'), 1) << "one line per message";
}

TEST(LogParsingTest, ParsesLevelsAndFormats) {
  EXPECT_EQ(*ParseLogLevel("DEBUG"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("warn"), LogLevel::kWarning);
  EXPECT_THAT(ParseLogLevel("loud").status().message(), HasSubstr("unknown log level 'loud'"));
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_FALSE(ParseLogFormat("xml").ok());
}

}  // namespace
}  // namespace affect

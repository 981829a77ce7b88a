#include "server/common/logging.h"

#include <algorithm>
#include <string>

#include "server/common/log_escape.h"

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

// The defect: an 8 MiB request_id containing a newline was logged raw, one
// 8 MiB line per request, and the newline forged a line of its own.
TEST_F(LoggingTest, AHugeClientValueWithANewlineStaysOneBoundedLine) {
  const std::string forged = "2026-12-07T00:00:00.000000Z ERROR auth.cc:1] admin logged in";
  const std::string request_id = "r-1\n" + forged + std::string(8 << 20, 'x');
  for (const LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    captured_.clear();
    SetLogFormat(format);
    AFFECT_LOG(INFO).With("request_id", request_id).With("code", "INVALID_ARGUMENT")
        << "Analyze failed: request_id: " << request_id;
    EXPECT_EQ(std::count(captured_.begin(), captured_.end(), '\n'), 1)
        << "one line, ending in its newline";
    EXPECT_EQ(captured_.back(), '\n');
    EXPECT_LT(captured_.size(), kMaxLogFieldBytes + kMaxLogMessageBytes + 512)
        << "bounded, whatever the client sent";
    EXPECT_THAT(captured_, HasSubstr("more bytes)")) << "truncation is marked";
    EXPECT_THAT(captured_, HasSubstr("r-1\\n2026-12-07")) << "the newline is escaped";
    EXPECT_THAT(captured_, HasSubstr("code")) << "fields after the huge one survive";
  }
}

TEST_F(LoggingTest, TextFormatEscapesControlCharactersInMessagesAndFields) {
  AFFECT_LOG(INFO).With("model", "a\rb\x1b[31mred").With("peer", "x y=\"z\"")
      << "name '\x07\x7f' tab\tend";
  EXPECT_EQ(std::count(captured_.begin(), captured_.end(), '\n'), 1);
  for (char c : captured_.substr(0, captured_.size() - 1)) {
    EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        << "control byte " << static_cast<int>(c) << " in " << captured_;
  }
  EXPECT_THAT(captured_, HasSubstr(R"(name '\x07\x7f' tab\tend)")) << captured_;
  EXPECT_THAT(captured_, HasSubstr(R"(model=a\rb\x1b[31mred)")) << captured_;
  EXPECT_THAT(captured_, HasSubstr(R"(peer="x y=\"z\"")"))
      << "a value cannot pass for another field: " << captured_;
}

TEST_F(LoggingTest, JsonFormatStaysValidUtf8) {
  SetLogFormat(LogFormat::kJson);
  AFFECT_LOG(INFO).With("model", "caf\xc3\xa9 \xff\xfe") << "bad \xc3";
  EXPECT_THAT(captured_, HasSubstr(R"("model":"café \ufffd\ufffd")")) << captured_;
  EXPECT_THAT(captured_, HasSubstr(R"("msg":"bad \ufffd")")) << captured_;
}

TEST(LogEscapeTest, TruncationKeepsUtf8CharactersWholeAndCountsTheRest) {
  EXPECT_EQ(TruncateForLog("short", 256), "short");
  EXPECT_EQ(TruncateForLog("abcdef", 3), "abc...(3 more bytes)");
  // "é" is two bytes: cutting inside it backs up to before it.
  EXPECT_EQ(TruncateForLog("ab\xc3\xa9z", 3), "ab...(3 more bytes)");
}

TEST(LogEscapeTest, EscapesBackslashesSoEscapesAreUnambiguous) {
  EXPECT_EQ(EscapeLogText("a\\nb"), "a\\\\nb") << "a literal backslash-n is not a newline";
  EXPECT_EQ(EscapeLogText("a\nb"), "a\\nb");
  EXPECT_EQ(EscapeLogText("\xed\xa0\x80"), "\\xed\\xa0\\x80") << "surrogates are invalid UTF-8";
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

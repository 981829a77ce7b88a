#include "server/metrics/http_request.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect {
namespace {

using ::testing::_;

TEST(HttpRequestTest, HeadEndsAtTheFirstBlankLine) {
  EXPECT_EQ(HttpHeadLength("GET / HTTP/1.0\r\n"), 0u) << "incomplete";
  EXPECT_EQ(HttpHeadLength("GET / HTTP/1.0\r\n\r\nbody"), 18u);
  EXPECT_EQ(HttpHeadLength("GET / HTTP/1.0\n\n"), 16u) << "lenient LF-only clients";
  EXPECT_EQ(HttpHeadLength(""), 0u);
}

TEST(HttpRequestTest, ParsesRequestLinePathAndAuthorization) {
  auto head = ParseHttpRequestHead(
      "GET /metrics?name[]=x HTTP/1.1\r\nHost: a\r\nAUTHORIZATION:  Bearer t0k \r\n\r\n");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->method, "GET");
  EXPECT_EQ(head->target, "/metrics?name[]=x");
  EXPECT_EQ(head->path, "/metrics");
  EXPECT_TRUE(head->has_authorization);
  EXPECT_EQ(head->authorization, "Bearer t0k");
}

TEST(HttpRequestTest, MalformedRequestLinesAreInvalid) {
  for (const char* head : {"\r\n\r\n", "GET\r\n\r\n", "GET /metrics\r\n\r\n",
                           "GET /metrics FTP/1.0\r\n\r\n", "GET  /metrics HTTP/1.0\r\n\r\n"}) {
    EXPECT_THAT(ParseHttpRequestHead(head),
                testing::StatusIs(absl::StatusCode::kInvalidArgument, _))
        << head;
  }
}

TEST(HttpRequestTest, BearerTokenNeedsTheBearerScheme) {
  absl::string_view token;
  EXPECT_TRUE(BearerToken("Bearer abc", &token));
  EXPECT_EQ(token, "abc");
  EXPECT_TRUE(BearerToken("bEaReR abc", &token));
  EXPECT_FALSE(BearerToken("Basic abc", &token));
  EXPECT_FALSE(BearerToken("Bearer", &token));
  EXPECT_FALSE(BearerToken("", &token));
}

}  // namespace
}  // namespace affect

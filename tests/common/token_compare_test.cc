#include "server/common/token_compare.h"

#include <string>

#include "gtest/gtest.h"

namespace affect {
namespace {

TEST(TokenCompareTest, EqualTokensMatch) {
  EXPECT_TRUE(TokensEqual("s3cret-token", "s3cret-token"));
  EXPECT_TRUE(TokenDigest("s3cret-token").Matches("s3cret-token"));
}

TEST(TokenCompareTest, PrefixesExtensionsAndNearMissesDoNotMatch) {
  const TokenDigest digest("s3cret-token");
  for (const char* presented : {"", "s", "s3cret-toke", "s3cret-token ", "s3cret-tokenX",
                                "S3cret-token", "s3cret-tokem"}) {
    EXPECT_FALSE(digest.Matches(presented)) << "'" << presented << "'";
  }
}

TEST(TokenCompareTest, EmbeddedNulBytesAreCompared) {
  // Digests cover the whole string_view, not a C string up to its first NUL.
  EXPECT_FALSE(TokensEqual(std::string("ab\0c", 4), std::string("ab\0d", 4)));
  EXPECT_FALSE(TokensEqual(std::string("ab\0c", 4), "ab"));
}

TEST(TokenCompareTest, LongPresentedTokensAreHandled) {
  const std::string long_token(1 << 20, 'x');
  EXPECT_FALSE(TokensEqual(long_token, "x"));
  EXPECT_TRUE(TokensEqual(long_token, long_token));
}

}  // namespace
}  // namespace affect

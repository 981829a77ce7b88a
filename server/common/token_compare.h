// Comparing a presented secret (a bearer token) with the configured one
// without telling the caller anything through the time it takes.
//
// A byte-wise compare that stops at the first difference leaks the length
// of the matching prefix; one that first compares sizes leaks the secret's
// length. Here both sides are reduced to SHA-256 digests and the 32-byte
// digests are compared in constant time (CRYPTO_memcmp), so the time depends
// only on the length of what the caller sent, which the caller already
// knows.
#ifndef AFFECT_SERVER_COMMON_TOKEN_COMPARE_H_
#define AFFECT_SERVER_COMMON_TOKEN_COMPARE_H_

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace affect {

// The SHA-256 digest of a secret, computed once when the secret is loaded.
// Thread-compatible value type.
class TokenDigest {
 public:
  TokenDigest() = default;
  explicit TokenDigest(absl::string_view secret);

  // True when SHA-256(presented) equals this digest. Constant time in the
  // stored secret (neither its length nor its content changes the time).
  bool Matches(absl::string_view presented) const;
  // The same test against a digest already computed (one hash of the
  // presented token serves every configured one). Constant time.
  bool Matches(const TokenDigest& presented) const;

 private:
  std::array<uint8_t, 32> digest_{};
};

// TokenDigest(expected).Matches(presented), for callers that do not keep the
// digest.
bool TokensEqual(absl::string_view presented, absl::string_view expected);

}  // namespace affect

#endif  // AFFECT_SERVER_COMMON_TOKEN_COMPARE_H_

#include "server/common/token_compare.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace affect {
namespace {

std::array<uint8_t, 32> Sha256(absl::string_view text) {
  static_assert(SHA256_DIGEST_LENGTH == 32, "SHA-256 digests are 32 bytes");
  std::array<uint8_t, 32> digest;
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

}  // namespace

TokenDigest::TokenDigest(absl::string_view secret) : digest_(Sha256(secret)) {}

bool TokenDigest::Matches(absl::string_view presented) const {
  return Matches(TokenDigest(presented));
}

bool TokenDigest::Matches(const TokenDigest& presented) const {
  return CRYPTO_memcmp(digest_.data(), presented.digest_.data(), digest_.size()) == 0;
}

bool TokensEqual(absl::string_view presented, absl::string_view expected) {
  return TokenDigest(expected).Matches(presented);
}

}  // namespace affect

// A retry pushback travels with a refusal from where it is decided (an
// admission queue, a model queue) to the RPC edge, which sends it to the
// client as gRPC's `grpc-retry-pushback-ms` trailing metadata: the time after
// which a retry has a fair chance. It rides on the absl::Status as a payload,
// so every layer in between passes it on without knowing about it.
#ifndef AFFECT_SERVER_COMMON_RETRY_PUSHBACK_H_
#define AFFECT_SERVER_COMMON_RETRY_PUSHBACK_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"

namespace affect {

// gRPC's metadata key for server-suggested retry delays (gRPC A6).
inline constexpr char kRetryPushbackMetadataKey[] = "grpc-retry-pushback-ms";
inline constexpr char kRetryPushbackPayloadUrl[] = "type.affectserve/retry-pushback-ms";

// Bounds that keep a pushback meaningful: never "retry at once", never
// "come back in an hour".
inline constexpr absl::Duration kMinRetryPushback = absl::Milliseconds(5);
inline constexpr absl::Duration kMaxRetryPushback = absl::Seconds(10);

// `status` with a pushback of `delay` (clamped to the bounds above).
inline absl::Status WithRetryPushback(absl::Status status, absl::Duration delay) {
  const absl::Duration clamped = std::clamp(delay, kMinRetryPushback, kMaxRetryPushback);
  status.SetPayload(kRetryPushbackPayloadUrl,
                    absl::Cord(std::to_string(absl::ToInt64Milliseconds(clamped))));
  return status;
}

// The pushback `status` carries, if any.
inline std::optional<absl::Duration> RetryPushbackOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kRetryPushbackPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  int64_t millis = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &millis) || millis < 0) return std::nullopt;
  return absl::Milliseconds(millis);
}

}  // namespace affect

#endif  // AFFECT_SERVER_COMMON_RETRY_PUSHBACK_H_

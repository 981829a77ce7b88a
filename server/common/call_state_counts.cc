#include "server/common/call_state_counts.h"

#include <atomic>

namespace affect {
namespace {

struct Counters {
  std::atomic<int64_t> created{0};
  std::atomic<int64_t> released{0};
};

Counters& For(CallStateKind kind) {
  static Counters counters[kNumCallStateKinds];
  return counters[static_cast<int>(kind)];
}

}  // namespace

void CountCallStateCreated(CallStateKind kind) {
  For(kind).created.fetch_add(1, std::memory_order_relaxed);
}

void CountCallStateReleased(CallStateKind kind) {
  For(kind).released.fetch_add(1, std::memory_order_relaxed);
}

CallStateCounts GetCallStateCounts(CallStateKind kind) {
  CallStateCounts counts;
  // Released first: a call released between the two loads can then only make
  // created look larger, never released larger than created.
  counts.released = For(kind).released.load(std::memory_order_relaxed);
  counts.created = For(kind).created.load(std::memory_order_relaxed);
  return counts;
}

const char* CallStateKindName(CallStateKind kind) {
  switch (kind) {
    case CallStateKind::kAdmittedCall:
      return "admitted_call";
    case CallStateKind::kStreamSession:
      return "stream_session";
  }
  return "unknown";
}

}  // namespace affect

// Process-wide counts of per-call state created and released, so that tests
// and the soak can check that every call's state is freed: once the server
// is idle, created equals released for every kind. /metrics exposes them as
// affect_call_state_created_total and affect_call_state_released_total with
// a `kind` label.
#ifndef AFFECT_SERVER_COMMON_CALL_STATE_COUNTS_H_
#define AFFECT_SERVER_COMMON_CALL_STATE_COUNTS_H_

#include <cstdint>

namespace affect {

enum class CallStateKind {
  // An admitted RPC, from CallTracker::Admit to CallTracker::Done (unary
  // calls: the AnalyzeCall reactor is created just after Admit and deleted
  // just after Done).
  kAdmittedCall,
  // A stream session object (every DrainableStream), from its constructor to
  // its destructor: it outlives OnDone while callbacks still hold it.
  kStreamSession,
};
inline constexpr int kNumCallStateKinds = 2;

struct CallStateCounts {
  int64_t created = 0;
  int64_t released = 0;
};

// Thread-safe (relaxed atomics; a snapshot may be a moment stale).
void CountCallStateCreated(CallStateKind kind);
void CountCallStateReleased(CallStateKind kind);
CallStateCounts GetCallStateCounts(CallStateKind kind);
// The `kind` label: "admitted_call", "stream_session".
const char* CallStateKindName(CallStateKind kind);

}  // namespace affect

#endif  // AFFECT_SERVER_COMMON_CALL_STATE_COUNTS_H_

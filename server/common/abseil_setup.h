// Process-wide Abseil settings every binary applies first thing in main().
#ifndef AFFECT_SERVER_COMMON_ABSEIL_SETUP_H_
#define AFFECT_SERVER_COMMON_ABSEIL_SETUP_H_

namespace affect {

// Turns off absl::Mutex's deadlock detector. Debian builds libabsl without
// NDEBUG, so the detector is on (and aborts on a cycle), while our code is
// built with NDEBUG, whose inline ~Mutex() does not tell the detector that a
// mutex is gone: a later mutex at the same heap address inherits the dead
// one's lock-order history, and the detector aborts on cycles that never
// existed. It also adds graph bookkeeping to every Lock on the hot path.
// Lock ordering is checked by ThreadSanitizer in CI instead.
void DisableMutexDeadlockDetection();

}  // namespace affect

#endif  // AFFECT_SERVER_COMMON_ABSEIL_SETUP_H_

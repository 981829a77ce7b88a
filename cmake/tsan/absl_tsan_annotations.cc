// ThreadSanitizer builds only (AFFECT_SANITIZER=thread): makes Abseil's
// synchronisation visible to TSan.
//
// Debian's Abseil is not built with ThreadSanitizer, so what happens inside
// its shared libraries is invisible to TSan:
//   * absl::Mutex and absl::CondVar (ours, and gRPC's, which are absl's):
//     every access they guard looks unsynchronised and is reported as a race;
//   * absl::Status's reference count: a non-OK status keeps its message and
//     payloads in a shared rep whose decrement and delete run in
//     libabsl_status (Status::UnrefNonInlined), so the delete of a status
//     copied across threads is reported against the other owners' reads.
// This library interposes those out-of-line entry points (it is linked into
// every executable ahead of Abseil, so the dynamic linker resolves every
// caller, gRPC included, to these definitions), calls the real ones (dlsym
// RTLD_NEXT) and tells TSan what they did with its annotation interface
// (sanitizer/tsan_interface.h), as Abseil does itself when it is built with
// TSan (absl/base/internal/tsan_mutex_interface.h). Nothing is suppressed:
// TSan then checks every access that our code makes, with the real
// happens-before edges.
//
// Functions the library calls internally (LockSlow, UnrefSlow, AwaitCommon,
// WaitCommon ...) are not interposed: the public entry points bracket them.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/base/options.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace {

#define AFFECT_STRINGIFY_INNER(x) #x
#define AFFECT_STRINGIFY(x) AFFECT_STRINGIFY_INNER(x)

// "_ZN4absl<len><inline namespace>" + rest, e.g. rest = "5Mutex4LockEv".
std::string Mangled(const char* rest) {
  const std::string inline_namespace = AFFECT_STRINGIFY(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  return "_ZN4absl" + std::to_string(inline_namespace.size()) + inline_namespace + rest;
}

template <typename Fn>
Fn Real(const char* rest) {
  const std::string name = Mangled(rest);
  void* symbol = dlsym(RTLD_NEXT, name.c_str());
  if (symbol == nullptr) {
    std::fprintf(stderr, "absl_tsan_annotations: %s not found in Abseil\n", name.c_str());
    std::abort();
  }
  return reinterpret_cast<Fn>(symbol);
}

// Abseil's entry points call one another through the PLT (WaitWithTimeout
// calls WaitWithDeadline, ...), so they reach these definitions again: only
// the outermost call on a thread is annotated.
thread_local int interposed_depth = 0;
class Outermost {
 public:
  Outermost() : outermost_(interposed_depth++ == 0) {}
  ~Outermost() { --interposed_depth; }
  Outermost(const Outermost&) = delete;
  Outermost& operator=(const Outermost&) = delete;
  explicit operator bool() const { return outermost_; }

 private:
  const bool outermost_;
};

// Locking: pre_lock, the real call, post_lock (or try_lock_failed).
template <typename Call>
auto Locking(void* mu, unsigned flags, Call call) {
  __tsan_mutex_pre_lock(mu, flags);
  auto acquired = call();
  __tsan_mutex_post_lock(mu, acquired ? flags : (flags | __tsan_mutex_try_lock_failed), 0);
  return acquired;
}

void Unlocking(void* mu, unsigned flags) {
  __tsan_mutex_pre_unlock(mu, flags);
  __tsan_mutex_post_unlock(mu, flags);
}

// The mutex is released while the call waits and held again when it returns
// (Await, CondVar::Wait): an unlock before, a lock after.
template <typename Call>
auto ReleasedDuring(void* mu, Call call) {
  Unlocking(mu, 0);
  auto result = call();
  __tsan_mutex_pre_lock(mu, 0);
  __tsan_mutex_post_lock(mu, 0, 0);
  return result;
}

// Abseil evaluates a Condition with the mutex held, but inside the library
// (in the waiting thread, or in the thread that unlocks), where TSan sees
// no lock: the wrapped condition acquires what the mutex's unlocks released
// and releases after it, like a critical section of its own, so the guarded
// reads it makes are ordered with the writes made under the lock.
struct AnnotatedCondition {
  const absl::Condition* condition;
  void* mu;
};
bool EvalAnnotated(AnnotatedCondition* wrapped) {
  __tsan_acquire(wrapped->mu);
  const bool result = wrapped->condition->Eval();
  __tsan_release(wrapped->mu);
  return result;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex4LockEv");
  Outermost call;
  if (!call) return real(this);
  Locking(this, 0, [&] { return real(this), true; });
}

void Mutex::Unlock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex6UnlockEv");
  Outermost call;
  if (!call) return real(this);
  __tsan_mutex_pre_unlock(this, 0);
  real(this);
  __tsan_mutex_post_unlock(this, 0);
}

bool Mutex::TryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("5Mutex7TryLockEv");
  Outermost call;
  if (!call) return real(this);
  return Locking(this, __tsan_mutex_try_lock, [&] { return real(this); });
}

void Mutex::ReaderLock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex10ReaderLockEv");
  Outermost call;
  if (!call) return real(this);
  Locking(this, __tsan_mutex_read_lock, [&] { return real(this), true; });
}

void Mutex::ReaderUnlock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex12ReaderUnlockEv");
  Outermost call;
  if (!call) return real(this);
  __tsan_mutex_pre_unlock(this, __tsan_mutex_read_lock);
  real(this);
  __tsan_mutex_post_unlock(this, __tsan_mutex_read_lock);
}

bool Mutex::ReaderTryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("5Mutex13ReaderTryLockEv");
  Outermost call;
  if (!call) return real(this);
  return Locking(this, __tsan_mutex_read_lock | __tsan_mutex_try_lock, [&] { return real(this); });
}

void Mutex::LockWhen(const Condition& cond) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("5Mutex8LockWhenERKNS0_9ConditionE");
  Outermost call;
  if (!call) return real(this, cond);
  AnnotatedCondition wrapped{&cond, this};
  const Condition annotated(&EvalAnnotated, &wrapped);
  Locking(this, 0, [&] { return real(this, annotated), true; });
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  // Returns whether the condition held; the mutex is held either way.
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Outermost call;
  if (!call) return real(this, cond, timeout);
  AnnotatedCondition wrapped{&cond, this};
  const Condition annotated(&EvalAnnotated, &wrapped);
  bool result = false;
  Locking(this, 0, [&] { return result = real(this, annotated, timeout), true; });
  return result;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Time)>(
      "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Outermost call;
  if (!call) return real(this, cond, deadline);
  AnnotatedCondition wrapped{&cond, this};
  const Condition annotated(&EvalAnnotated, &wrapped);
  bool result = false;
  Locking(this, 0, [&] { return result = real(this, annotated, deadline), true; });
  return result;
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Outermost call;
  if (!call) return real(this, cond);
  AnnotatedCondition wrapped{&cond, this};
  const Condition annotated(&EvalAnnotated, &wrapped);
  Locking(this, __tsan_mutex_read_lock, [&] { return real(this, annotated), true; });
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Outermost call;
  if (!call) return real(this, cond, timeout);
  AnnotatedCondition wrapped{&cond, this};
  const Condition annotated(&EvalAnnotated, &wrapped);
  bool result = false;
  Locking(this, __tsan_mutex_read_lock,
          [&] { return result = real(this, annotated, timeout), true; });
  return result;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Time)>(
      "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Outermost call;
  if (!call) return real(this, cond, deadline);
  AnnotatedCondition wrapped{&cond, this};
  const Condition annotated(&EvalAnnotated, &wrapped);
  bool result = false;
  Locking(this, __tsan_mutex_read_lock,
          [&] { return result = real(this, annotated, deadline), true; });
  return result;
}

void Mutex::Await(const Condition& cond) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("5Mutex5AwaitERKNS0_9ConditionE");
  Outermost call;
  if (!call) return real(this, cond);
  AnnotatedCondition wrapped{&cond, this};
  const Condition annotated(&EvalAnnotated, &wrapped);
  ReleasedDuring(this, [&] { return real(this, annotated), true; });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Outermost call;
  if (!call) return real(this, cond, timeout);
  AnnotatedCondition wrapped{&cond, this};
  const Condition annotated(&EvalAnnotated, &wrapped);
  return ReleasedDuring(this, [&] { return real(this, annotated, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Time)>(
      "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Outermost call;
  if (!call) return real(this, cond, deadline);
  AnnotatedCondition wrapped{&cond, this};
  const Condition annotated(&EvalAnnotated, &wrapped);
  return ReleasedDuring(this, [&] { return real(this, annotated, deadline); });
}

void CondVar::Wait(Mutex* mu) {
  static const auto real = Real<void (*)(CondVar*, Mutex*)>("7CondVar4WaitEPNS0_5MutexE");
  Outermost call;
  if (!call) return real(this, mu);
  ReleasedDuring(mu, [&] { return real(this, mu), true; });
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, absl::Duration)>(
      "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Outermost call;
  if (!call) return real(this, mu, timeout);
  return ReleasedDuring(mu, [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, absl::Time)>(
      "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Outermost call;
  if (!call) return real(this, mu, deadline);
  return ReleasedDuring(mu, [&] { return real(this, mu, deadline); });
}

// The rep's count is decremented with acq_rel (and the last owner may skip
// the decrement after an acquire load of 1): every unref is a release and an
// acquire on the rep, so the owner that deletes it has seen every other
// owner's accesses.
void Status::UnrefNonInlined(uintptr_t rep) {
  static const auto real = Real<void (*)(uintptr_t)>("6Status15UnrefNonInlinedEm");
  void* shared_rep = reinterpret_cast<void*>(rep - 1);  // Status::RepToPointer
  __tsan_release(shared_rep);
  __tsan_acquire(shared_rep);
  real(rep);
}

ABSL_NAMESPACE_END
}  // namespace absl

// Injected time. Components that wait or time things (the batcher's queue
// delay, request deadlines, drain timeouts) take a Clock* so that tests can
// drive time by hand with FakeClock instead of sleeping, as TF Serving's
// schedulers take an Env* (shared_batch_scheduler_test.cc, ObeysTimeout).
//
// Waits are on std::mutex / std::condition_variable rather than
// absl::Mutex / absl::CondVar: Debian's Abseil is not built with
// ThreadSanitizer, so TSan cannot see absl::Mutex's synchronisation and
// reports every access it guards as a race, while it intercepts the pthread
// calls behind the std types. Code that must be checked by TSan (the engine)
// therefore synchronises with std primitives.
//
// Header-only: any component can use it without a link dependency.
#ifndef AFFECT_SERVER_COMMON_CLOCK_H_
#define AFFECT_SERVER_COMMON_CLOCK_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace affect {

// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() const = 0;

  // Like cv->wait_until(*lock, deadline), with the deadline measured on this
  // clock: blocks until `cv` is notified, this clock reaches `deadline`
  // (InfiniteFuture: never), or a spurious wake-up. Returns true when it
  // returned because the deadline had passed. Callers re-check their
  // condition in a loop, as with any condition variable. REQUIRES: `*lock`
  // owns its mutex; it owns it again on return (it may have been released
  // and re-acquired meanwhile).
  virtual bool WaitUntil(std::condition_variable* cv, std::unique_lock<std::mutex>* lock,
                         absl::Time deadline) = 0;

  // The process's real clock; never null, never destroyed.
  static Clock* Real();
};

// absl::Now() and condition_variable::wait_until on the system clock.
// Stateless.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  bool WaitUntil(std::condition_variable* cv, std::unique_lock<std::mutex>* lock,
                 absl::Time deadline) override {
    if (deadline == absl::InfiniteFuture()) {
      cv->wait(*lock);
      return false;
    }
    return cv->wait_until(*lock, absl::ToChronoTime(deadline)) == std::cv_status::timeout;
  }
};

inline Clock* Clock::Real() {
  static RealClock* const clock = new RealClock();
  return clock;
}

// A clock that moves only when a test calls Advance. Waiters block (with no
// real timeout) until Advance passes their deadline or their condition
// variable is notified. Thread-safe.
class FakeClock final : public Clock {
 public:
  // Starts at an arbitrary fixed time, so that results do not depend on the
  // wall clock.
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000)) : now_(start) {}
  // REQUIRES: no thread is waiting on this clock.
  ~FakeClock() override = default;

  absl::Time Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }

  // Moves time forward by `delta` (negative: no change) and wakes every
  // waiter whose deadline has been reached. When it returns, those waiters
  // have been notified (they may not have run yet).
  void Advance(absl::Duration delta) {
    std::vector<Waiter*> due;
    {
      std::lock_guard<std::mutex> lock(mu_);
      now_ += std::max(delta, absl::ZeroDuration());
      for (Waiter* waiter : waiters_) {
        if (waiter->deadline <= now_) {
          ++waiter->pins;
          due.push_back(waiter);
        }
      }
      waiters_changed_.notify_all();
    }
    // Notify under the waiter's own mutex: the waiter holds it from the
    // moment it registers until wait() releases it, so the notification
    // cannot fall between the two and be lost. mu_ is not held here because
    // waiters take it while holding theirs.
    for (Waiter* waiter : due) {
      {
        std::lock_guard<std::mutex> waiter_lock(*waiter->mu);
        waiter->cv->notify_all();
      }
      std::lock_guard<std::mutex> lock(mu_);
      --waiter->pins;
      waiters_changed_.notify_all();
    }
  }

  // Blocks (in real time, at most `timeout`) until at least `count` threads
  // wait on this clock with a finite deadline that has not been reached:
  // lets a test advance time only once the code under test waits. Returns
  // false on timeout.
  bool AwaitTimedWaiters(int count, absl::Duration timeout = absl::Seconds(30)) const {
    std::unique_lock<std::mutex> lock(mu_);
    return waiters_changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
      return std::count_if(waiters_.begin(), waiters_.end(), [this](const Waiter* w) {
               return w->deadline != absl::InfiniteFuture() && w->deadline > now_;
             }) >= count;
    });
  }

  bool WaitUntil(std::condition_variable* cv, std::unique_lock<std::mutex>* lock,
                 absl::Time deadline) override {
    Waiter self{cv, lock->mutex(), deadline};
    {
      std::lock_guard<std::mutex> clock_lock(mu_);
      if (deadline <= now_) return true;
      waiters_.push_back(&self);
      waiters_changed_.notify_all();
    }
    cv->wait(*lock);
    std::unique_lock<std::mutex> clock_lock(mu_);
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &self));
    waiters_changed_.notify_all();
    if (self.pins > 0) {
      // An Advance has picked `self` and is about to lock the caller's mutex
      // to notify it; `self` lives on this stack, so wait until it is done,
      // with the caller's mutex released so that it can finish. (Lock order
      // is always caller's mutex, then mu_.)
      lock->unlock();
      waiters_changed_.wait(clock_lock, [&self] { return self.pins == 0; });
      clock_lock.unlock();
      lock->lock();
      clock_lock.lock();
    }
    return deadline <= now_;
  }

 private:
  struct Waiter {
    std::condition_variable* cv;
    std::mutex* mu;
    absl::Time deadline;
    int pins = 0;  // Advance calls about to notify this waiter; guarded by mu_
  };

  mutable std::mutex mu_;
  mutable std::condition_variable waiters_changed_;
  absl::Time now_;                // guarded by mu_
  std::vector<Waiter*> waiters_;  // guarded by mu_
};

}  // namespace affect

#endif  // AFFECT_SERVER_COMMON_CLOCK_H_

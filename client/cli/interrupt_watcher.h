// Ctrl-C for long-running commands. Each SIGINT (or SIGTERM) calls a
// callback with the count so far (1: finish gently, 2: cancel); the third
// exits the process at once, for when even cancelling hangs.
//
// A signal handler only counts (async-signal-safe); a watcher thread turns
// the count into callbacks. A handler, not sigwait with blocked signals,
// because libraries start threads before main (OpenBLAS, loaded through
// OpenCV, does) and a process-directed signal may land on any of them.
#ifndef AFFECT_CLIENT_CLI_INTERRUPT_WATCHER_H_
#define AFFECT_CLIENT_CLI_INTERRUPT_WATCHER_H_

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace affect::client {

// At most one at a time per process (it owns the SIGINT/SIGTERM handlers).
class InterruptWatcher {
 public:
  // Installs the handlers and starts watching. The callback runs on the
  // watcher thread.
  explicit InterruptWatcher(std::function<void(int count)> on_interrupt);
  // Stops watching and restores the previous handlers.
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

  bool interrupted() const;

 private:
  void Watch();

  std::function<void(int count)> on_interrupt_;
  struct sigaction previous_int_;
  struct sigaction previous_term_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace affect::client

#endif  // AFFECT_CLIENT_CLI_INTERRUPT_WATCHER_H_

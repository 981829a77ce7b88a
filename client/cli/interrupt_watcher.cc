#include "client/cli/interrupt_watcher.h"

#include <unistd.h>

#include <chrono>

#include "client/cli/rpc_error.h"

namespace affect::client {
namespace {

// Signals received since the watcher was installed. Lock-free, so the
// handler may touch it.
std::atomic<int> g_interrupts{0};
static_assert(std::atomic<int>::is_always_lock_free);

constexpr auto kPollInterval = std::chrono::milliseconds(50);

void OnSignal(int) {
  if (g_interrupts.fetch_add(1) + 1 >= 3) {
    static constexpr char kMessage[] = "\naffect-client: interrupted again, exiting now\n";
    (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
    _exit(kExitInterrupted);
  }
}

}  // namespace

InterruptWatcher::InterruptWatcher(std::function<void(int count)> on_interrupt)
    : on_interrupt_(std::move(on_interrupt)) {
  g_interrupts = 0;
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  // Restart interrupted system calls: the handler only counts.
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
  thread_ = std::thread([this] { Watch(); });
}

InterruptWatcher::~InterruptWatcher() {
  stop_ = true;
  thread_.join();
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
}

bool InterruptWatcher::interrupted() const { return g_interrupts.load() > 0; }

void InterruptWatcher::Watch() {
  int seen = 0;
  while (!stop_.load()) {
    const int count = g_interrupts.load();
    while (seen < count) on_interrupt_(++seen);
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace affect::client

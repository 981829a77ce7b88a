// Results on stdout and a one-line progress bar on stderr without the two
// garbling each other when both are the same terminal. Thread-safe.
#ifndef AFFECT_CLIENT_CLI_CONSOLE_H_
#define AFFECT_CLIENT_CLI_CONSOLE_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace affect::client {

// "[#########...........]  45%  135/300 frames  00:12  <detail>", fitted to
// `width` columns. total <= 0: no bar, only counts and time.
std::string RenderProgressLine(int64_t done, int64_t total, absl::Duration elapsed,
                               const std::string& detail, int width);

class Console {
 public:
  // `progress`: draw the bar (only when stderr is a terminal).
  Console(std::ostream* out, std::ostream* err, bool progress);

  // Writes to out (clearing and redrawing the bar around it).
  void Print(const std::string& text);
  // Writes to err, same care.
  void Note(const std::string& text);
  // Updates the bar; redraws at most 10 times a second.
  void Progress(int64_t done, int64_t total, const std::string& detail);
  // Starts drawing the bar (for a Console made before it was known whether
  // there is one).
  void EnableProgress();
  // Removes the bar for good.
  void EndProgress();

 private:
  void ClearLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void DrawLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  absl::Mutex mutex_;
  std::ostream* const out_;
  std::ostream* const err_;
  bool progress_ ABSL_GUARDED_BY(mutex_);
  const absl::Time started_ = absl::Now();
  absl::Time last_draw_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  bool drawn_ ABSL_GUARDED_BY(mutex_) = false;
  int64_t done_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t total_ ABSL_GUARDED_BY(mutex_) = 0;
  std::string detail_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace affect::client

#endif  // AFFECT_CLIENT_CLI_CONSOLE_H_

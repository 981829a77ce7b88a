// Runs a program as a child process (tests of the real binaries: flags,
// signals, exit codes). Output (stdout and stderr together) goes to a file.
#ifndef AFFECT_TESTS_TESTING_SUBPROCESS_H_
#define AFFECT_TESTS_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace affect::testing {

class Subprocess {
 public:
  // Starts `argv[0]` with arguments argv[1..]. Check started().
  explicit Subprocess(const std::vector<std::string>& argv);
  // Kills (SIGKILL) a child still running.
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // Exit code, 128+signal if killed by a signal, or nullopt on timeout.
  std::optional<int> Wait(absl::Duration timeout);
  bool Signal(int signal);
  // Everything written so far.
  std::string Output() const;
  // Polls Output() until it contains `text` or the timeout passes.
  bool WaitForOutput(const std::string& text, absl::Duration timeout) const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string output_path_;
};

// Runs to completion and returns {exit code (-1 on timeout), output}.
std::pair<int, std::string> RunToCompletion(const std::vector<std::string>& argv,
                                            absl::Duration timeout);

}  // namespace affect::testing

#endif  // AFFECT_TESTS_TESTING_SUBPROCESS_H_

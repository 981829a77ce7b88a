#include "tests/testing/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/time/clock.h"

namespace affect::testing {

Subprocess::Subprocess(const std::vector<std::string>& argv) {
  std::string pattern = (std::filesystem::temp_directory_path() / "affect-out-XXXXXX").string();
  const int fd = mkstemp(pattern.data());
  if (fd < 0) return;
  output_path_ = pattern;
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    // The test runner may block signals; the child starts with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fd);
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exit_code_.has_value()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (!output_path_.empty()) std::remove(output_path_.c_str());
}

std::optional<int> Subprocess::Wait(absl::Duration timeout) {
  if (exit_code_.has_value()) return exit_code_;
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

bool Subprocess::Signal(int signal) { return pid_ > 0 && kill(pid_, signal) == 0; }

std::string Subprocess::Output() const {
  std::ifstream file(output_path_);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

bool Subprocess::WaitForOutput(const std::string& text, absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (Output().find(text) != std::string::npos) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return Output().find(text) != std::string::npos;
}

std::pair<int, std::string> RunToCompletion(const std::vector<std::string>& argv,
                                            absl::Duration timeout) {
  Subprocess process(argv);
  const std::optional<int> code = process.Wait(timeout);
  return {code.value_or(-1), process.Output()};
}

}  // namespace affect::testing

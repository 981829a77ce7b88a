// affect-client: the command-line client of AffectServe. Everything but
// the process plumbing lives in the affect::client library (cli.cc and the
// *_command.cc files), so tests run the same code in-process.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "server/common/abseil_setup.h"
#include "client/cli/command.h"
#include "opencv2/core/utils/logger.hpp"

int main(int argc, char** argv) {
  // Same process settings as the server (absl::Mutex and NDEBUG, see there).
  affect::DisableMutexDeadlockDetection();
  // OpenCV's backends log warnings (GStreamer, FFmpeg) that mean nothing to
  // a user; the client reports failures itself.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
  const std::vector<std::string> args(argv, argv + argc);
  affect::client::CommandEnv env;
  env.out = &std::cout;
  env.err = &std::cerr;
  env.out_is_tty = isatty(STDOUT_FILENO) == 1;
  env.err_is_tty = isatty(STDERR_FILENO) == 1;
  env.handle_interrupts = true;
  return affect::client::RunClient(args, env);
}

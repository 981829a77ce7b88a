// affect-bench: load generator for AffectServe. The logic lives in the
// affect::bench library (bench_cli.cc, load_generator.cc).
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "server/common/abseil_setup.h"
#include "client/bench/bench_cli.h"

int main(int argc, char** argv) {
  // Same process settings as the server (absl::Mutex and NDEBUG, see there).
  affect::DisableMutexDeadlockDetection();
  affect::client::CommandEnv env;
  env.out = &std::cout;
  env.err = &std::cerr;
  env.out_is_tty = isatty(STDOUT_FILENO) == 1;
  env.err_is_tty = isatty(STDERR_FILENO) == 1;
  return affect::bench::RunBench(std::vector<std::string>(argv, argv + argc), env);
}

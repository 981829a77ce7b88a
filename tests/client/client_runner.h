// Runs affect-client's command table in-process with captured output, the
// way the binary would run with the same arguments.
#ifndef AFFECT_TESTS_CLIENT_CLIENT_RUNNER_H_
#define AFFECT_TESTS_CLIENT_CLIENT_RUNNER_H_

#include <sstream>
#include <string>
#include <vector>

#include "client/cli/command.h"

namespace affect::client {

struct RunOutput {
  int code = -1;  // the exit code
  std::string out;
  std::string err;
};

// `affect-client <args>`; the program name is added here.
inline RunOutput RunAffectClient(std::vector<std::string> args) {
  std::ostringstream out, err;
  CommandEnv env;
  env.out = &out;
  env.err = &err;
  args.insert(args.begin(), "affect-client");
  RunOutput run;
  run.code = RunClient(args, env);
  run.out = out.str();
  run.err = err.str();
  return run;
}

}  // namespace affect::client

#endif  // AFFECT_TESTS_CLIENT_CLIENT_RUNNER_H_

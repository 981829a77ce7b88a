// Server options for a test's in-process server: an ephemeral loopback port,
// no metrics endpoint, CPU, and models loaded before Start returns (so a
// started server is ready). Tests change what they exercise on top.
#ifndef AFFECT_TESTS_TESTING_LOOPBACK_SERVER_OPTIONS_H_
#define AFFECT_TESTS_TESTING_LOOPBACK_SERVER_OPTIONS_H_

#include <string>

#include "server/api/server_options.h"

namespace affect::testing {

inline ServerOptions LoopbackServerOptions(const std::string& model_repository) {
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.metrics_port = -1;
  options.model_repository = model_repository;
  options.device = DeviceSpec::Cpu();
  options.load_models_in_background = false;
  return options;
}

}  // namespace affect::testing

#endif  // AFFECT_TESTS_TESTING_LOOPBACK_SERVER_OPTIONS_H_

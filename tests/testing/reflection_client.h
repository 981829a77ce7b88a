// Asks a server's reflection service which services it offers (what
// grpcurl's `list` does), over the wire-compatible messages in
// reflection_wire.proto.
#ifndef AFFECT_TESTS_TESTING_REFLECTION_CLIENT_H_
#define AFFECT_TESTS_TESTING_REFLECTION_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"

namespace affect::testing {

absl::StatusOr<std::vector<std::string>> ListServicesByReflection(
    const std::shared_ptr<grpc::Channel>& channel);

}  // namespace affect::testing

#endif  // AFFECT_TESTS_TESTING_REFLECTION_CLIENT_H_

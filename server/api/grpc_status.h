// absl::Status -> grpc::Status, once, at the RPC edge. Abseil's codes are
// numerically the canonical gRPC codes.
#ifndef AFFECT_SERVER_API_GRPC_STATUS_H_
#define AFFECT_SERVER_API_GRPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace affect {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

inline absl::Status FromGrpcStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace affect

#endif  // AFFECT_SERVER_API_GRPC_STATUS_H_

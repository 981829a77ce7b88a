#include "client/cli/rpc_error.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace affect::client {
namespace {

bool LooksLikeConnectFailure(absl::string_view message) {
  for (absl::string_view marker :
       {"failed to connect", "Connection refused", "DNS resolution failed", "connections to all",
        "Socket closed", "Connection reset", "No route to host", "Name or service not known"}) {
    if (absl::StrContains(message, marker)) return true;
  }
  return false;
}

std::string Hint(const grpc::Status& status, absl::string_view server) {
  // A copy: grpc::Status::error_message() returns its string by value, so a
  // string_view of it dangled (ASan: heap-use-after-free).
  const std::string message = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      if (LooksLikeConnectFailure(message) || message.empty()) {
        return absl::StrCat("is the server running at ", server,
                            "? A TLS server needs --tls or --tls_ca");
      }
      return "the server is starting, draining, or a model it needs is not ready: retry shortly "
             "('affect-client models' shows model states)";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "pass --token or --token_file with the server's token";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "raise --deadline (e.g. --deadline=2m), or check the server's load";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "the server is overloaded (retry with back-off) or the input is too large";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "'affect-client info' lists the analyses this server has enabled";
    case grpc::StatusCode::NOT_FOUND:
      if (absl::StrContains(message, "model")) return "'affect-client models' lists the models";
      return "";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "resize the image below the server's max_image_pixels ('affect-client info')";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "this server does not offer the call (an older version?)";
    case grpc::StatusCode::INTERNAL:
      return "a server-side failure: please report it with the message above";
    default:
      return "";
  }
}

}  // namespace

std::string StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    default:
      return absl::StrCat("CODE_", static_cast<int>(code));
  }
}

std::string StatusCodeName(int code) {
  if (code < 0 || code > static_cast<int>(grpc::StatusCode::UNAUTHENTICATED)) {
    return absl::StrCat("CODE_", code);
  }
  return StatusCodeName(static_cast<grpc::StatusCode>(code));
}

std::string DescribeRpcError(const grpc::Status& status, absl::string_view server) {
  std::string line = StatusCodeName(status.error_code());
  if (!status.error_message().empty()) absl::StrAppend(&line, ": ", status.error_message());
  const std::string hint = Hint(status, server);
  if (!hint.empty()) absl::StrAppend(&line, " (", hint, ")");
  return line;
}

}  // namespace affect::client

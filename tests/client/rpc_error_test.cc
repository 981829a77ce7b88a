// One clear line per failed call: code name, the server's message, a hint.
#include "client/cli/rpc_error.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace affect::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Describe(grpc::StatusCode code, const std::string& message) {
  return DescribeRpcError(grpc::Status(code, message), "localhost:50051");
}

TEST(RpcErrorTest, UnreachableServerAsksWhetherItIsRunning) {
  const std::string line = Describe(grpc::StatusCode::UNAVAILABLE,
                                    "failed to connect to all addresses; Connection refused");
  EXPECT_THAT(line, testing::StartsWith("UNAVAILABLE: failed to connect"));
  EXPECT_THAT(line, HasSubstr("is the server running at localhost:50051?"));
}

TEST(RpcErrorTest, UnavailableFromAServerThatAnsweredSuggestsRetrying) {
  const std::string line =
      Describe(grpc::StatusCode::UNAVAILABLE, "server is shutting down: retry on another instance");
  EXPECT_THAT(line, HasSubstr("server is shutting down"));
  EXPECT_THAT(line, HasSubstr("retry shortly"));
  EXPECT_THAT(line, Not(HasSubstr("is the server running")));
}

TEST(RpcErrorTest, UnauthenticatedSuggestsAToken) {
  EXPECT_THAT(Describe(grpc::StatusCode::UNAUTHENTICATED, "invalid bearer token"),
              HasSubstr("UNAUTHENTICATED: invalid bearer token (pass --token or --token_file"));
}

TEST(RpcErrorTest, DeadlineExceededSuggestsRaisingTheDeadline) {
  EXPECT_THAT(Describe(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"),
              HasSubstr("raise --deadline"));
}

TEST(RpcErrorTest, ResourceExhaustedMentionsLoadShedding) {
  EXPECT_THAT(Describe(grpc::StatusCode::RESOURCE_EXHAUSTED, "model 'centernet' queue full"),
              HasSubstr("overloaded (retry with back-off)"));
}

TEST(RpcErrorTest, FailedPreconditionPointsAtInfo) {
  EXPECT_THAT(Describe(grpc::StatusCode::FAILED_PRECONDITION, "attire is disabled"),
              HasSubstr("'affect-client info'"));
}

TEST(RpcErrorTest, InvalidArgumentIsTheServersMessageAlone) {
  EXPECT_EQ(Describe(grpc::StatusCode::INVALID_ARGUMENT, "image: cannot decode JPEG"),
            "INVALID_ARGUMENT: image: cannot decode JPEG");
}

TEST(RpcErrorTest, EveryCanonicalCodeHasItsName) {
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::OUT_OF_RANGE), "OUT_OF_RANGE");
  EXPECT_EQ(StatusCodeName(3), "INVALID_ARGUMENT");
  EXPECT_EQ(StatusCodeName(16), "UNAUTHENTICATED");
  EXPECT_EQ(StatusCodeName(99), "CODE_99");
}

}  // namespace
}  // namespace affect::client

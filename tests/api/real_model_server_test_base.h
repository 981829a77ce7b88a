// A test fixture sharing one in-process server on the real converted models
// across a test suite (loading and warming the five models takes seconds).
// Tests skip cleanly when the models have not been prepared.
#ifndef AFFECT_TESTS_API_REAL_MODEL_SERVER_TEST_BASE_H_
#define AFFECT_TESTS_API_REAL_MODEL_SERVER_TEST_BASE_H_

#include <memory>

#include "absl/strings/str_cat.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "server/api/affect_server.h"
#include "tests/testing/loopback_server_options.h"
#include "tests/testing/real_models.h"

namespace affect::testing {

class RealModelServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!MissingRealModels().empty()) return;
    ServerOptions options = LoopbackServerOptions(RealModelRepository());
    auto server = AffectServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    AFFECT_REQUIRE_REAL_MODELS();
    ASSERT_NE(server_, nullptr) << "the server started in SetUpTestSuite";
    stub_ = v1::AffectService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }

  // Each suite deriving from this fixture gets its own server (gtest runs
  // SetUpTestSuite per derived suite), shared by that suite's tests.
  static inline AffectServer* server_ = nullptr;
  std::unique_ptr<v1::AffectService::Stub> stub_;
};

}  // namespace affect::testing

#endif  // AFFECT_TESTS_API_REAL_MODEL_SERVER_TEST_BASE_H_

// Uncertain expressions through the whole service on the real models: the
// shipped min_confidence (0.55) keeps confident faces labelled, and a
// repository whose ensemble demands more reports every face as
// EXPRESSION_UNCERTAIN with its seven scores and the reason.
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "server/api/affect_server.h"
#include "tests/testing/loopback_server_options.h"
#include "tests/testing/real_models.h"
#include "tests/testing/temp_dir.h"

namespace affect::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A copy of the real repository (configs copied, version folders linked)
// whose `expression` ensemble has `min_confidence`.
void CopyRepositoryWithMinConfidence(const std::string& to, const std::string& min_confidence) {
  for (const auto& model : fs::directory_iterator(RealModelRepository())) {
    if (!fs::exists(model.path() / "config.pbtxt")) continue;
    const fs::path target = fs::path(to) / model.path().filename();
    fs::create_directories(target);
    for (const auto& entry : fs::directory_iterator(model.path())) {
      if (entry.is_directory()) {
        fs::create_directory_symlink(entry.path(), target / entry.path().filename());
      }
    }
    std::ifstream in(model.path() / "config.pbtxt");
    std::stringstream text;
    text << in.rdbuf();
    std::string config = text.str();
    if (model.path().filename() == "expression") {
      const size_t at = config.find("min_confidence: 0.55");
      ASSERT_NE(at, std::string::npos) << "the shipped ensemble config sets min_confidence";
      config.replace(at, 20, absl::StrCat("min_confidence: ", min_confidence));
    }
    std::ofstream(target / "config.pbtxt") << config;
  }
}

v1::AnalyzeResponse AnalyzePhoto(AffectServer& server, int photo) {
  auto stub = v1::AffectService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server.port()), grpc::InsecureChannelCredentials()));
  v1::AnalyzeRequest request;
  request.mutable_image()->set_encoded(ReadBinaryFile(DemoPhotoPath(photo)));
  request.add_analyses(v1::ANALYSIS_EMOTION);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
  v1::AnalyzeResponse response;
  const grpc::Status status = stub->Analyze(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

TEST(UncertainExpressionTest, ShippedThresholdKeepsConfidentFacesLabelled) {
  AFFECT_REQUIRE_REAL_MODELS();
  auto server = AffectServer::Start(LoopbackServerOptions(RealModelRepository()));
  ASSERT_TRUE(server.ok()) << server.status();
  const v1::AnalyzeResponse response = AnalyzePhoto(**server, 3);
  int labelled = 0;
  for (const v1::Face& face : response.image().faces()) {
    if (!face.has_expression()) continue;
    const v1::ExpressionResult& expression = face.expression();
    if (expression.dominant() == v1::EXPRESSION_UNCERTAIN) {
      EXPECT_TRUE(expression.dominant_score() < 0.55f ||
                  expression.uncertainty().member_disagreement() > 0.5f)
          << "uncertain only below 0.55 or when the members disagree: "
          << expression.uncertainty().reason();
      EXPECT_TRUE(expression.has_uncertainty());
    } else {
      ++labelled;
      EXPECT_GE(expression.dominant_score(), 0.55f) << "a label needs min_confidence";
    }
  }
  EXPECT_GT(labelled, 0) << "sample3's clear smiles keep their label";
}

TEST(UncertainExpressionTest, AStricterThresholdMakesTheLessCertainFacesUncertainWithScores) {
  AFFECT_REQUIRE_REAL_MODELS();
  TempDir repository;
  CopyRepositoryWithMinConfidence(repository.path(), "0.999");
  auto server = AffectServer::Start(LoopbackServerOptions(repository.path()));
  ASSERT_TRUE(server.ok()) << server.status();
  const v1::AnalyzeResponse response = AnalyzePhoto(**server, 3);
  int uncertain = 0;
  for (const v1::Face& face : response.image().faces()) {
    if (!face.has_expression()) continue;
    const v1::ExpressionResult& expression = face.expression();
    EXPECT_EQ(expression.scores_size(), 7) << "the scores are always reported";
    // A broad smile can reach 0.999 (both members near 1): such a face
    // keeps its label; every other face must now be uncertain.
    if (expression.dominant_score() >= 0.999f) {
      EXPECT_NE(expression.dominant(), v1::EXPRESSION_UNCERTAIN);
      continue;
    }
    ++uncertain;
    EXPECT_EQ(expression.dominant(), v1::EXPRESSION_UNCERTAIN)
        << "top score " << expression.dominant_score() << " < 0.999";
    EXPECT_NE(expression.uncertainty().top(), v1::EXPRESSION_UNSPECIFIED);
    EXPECT_FLOAT_EQ(expression.uncertainty().min_confidence(), 0.999f);
    EXPECT_THAT(expression.uncertainty().reason(), HasSubstr("below min_confidence 1.00"));
  }
  EXPECT_GT(uncertain, 0) << "sample3's neutral face does not reach 0.999";
}

}  // namespace
}  // namespace affect::testing

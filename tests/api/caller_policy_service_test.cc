// Per-caller policy through gRPC, with several tokens in one token file:
// analyses a caller may not use are PERMISSION_DENIED (naming them),
// analyses switched off for everyone stay FAILED_PRECONDITION, the caller's
// own rate and stream caps, and GetServerInfo showing each caller its policy.
#include <memory>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "absl/strings/str_cat.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "server/api/affect_server.h"
#include "tests/testing/loopback_server_options.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model_repository.h"

namespace affect {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTokens[] = R"(# one line per caller
tok-face     name=face-only   analyses=emotion
tok-voice    name=voice-only  analyses=voice
tok-all
tok-slow     name=slow        max_requests_per_second=0.001
tok-one      name=one-stream  max_streams=1
)";

std::string Jpeg() {
  cv::Mat image(32, 32, CV_8UC3, cv::Scalar(90, 120, 200));
  std::vector<uchar> bytes;
  cv::imencode(".jpg", image, bytes);
  return std::string(bytes.begin(), bytes.end());
}

// One second of quiet 16 kHz mono s16le.
v1::Audio QuietAudio() {
  v1::Audio audio;
  audio.mutable_raw()->set_data(std::string(32000, '\0'));
  audio.mutable_raw()->set_format(v1::SAMPLE_FORMAT_S16LE);
  audio.mutable_raw()->set_sample_rate_hz(16000);
  audio.mutable_raw()->set_channels(1);
  return audio;
}

class CallerPolicyServiceTest : public ::testing::Test {
 protected:
  void Start(std::set<v1::Analysis> disabled = {}) {
    ASSERT_TRUE(testing::WriteTinyFaceDetector(repository_.path(), "faces").ok());
    ASSERT_TRUE(testing::WriteTinyExpressionModel(repository_.path(), "expression").ok());
    ASSERT_TRUE(testing::WriteFile(repository_.Join("tokens.txt"), kTokens));
    ServerOptions options = testing::LoopbackServerOptions(repository_.path());
    options.auth_token_file = repository_.Join("tokens.txt");
    options.disabled_analyses = std::move(disabled);
    auto server = AffectServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = v1::AffectService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }
  static void Authorize(grpc::ClientContext* context, const std::string& token) {
    context->AddMetadata("authorization", "Bearer " + token);
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  }
  grpc::Status Analyze(const std::string& token, const v1::AnalyzeRequest& request) {
    grpc::ClientContext context;
    Authorize(&context, token);
    v1::AnalyzeResponse response;
    return stub_->Analyze(&context, request, &response);
  }
  static v1::AnalyzeRequest Request(std::vector<v1::Analysis> analyses, bool image, bool audio) {
    v1::AnalyzeRequest request;
    if (image) request.mutable_image()->set_encoded(Jpeg());
    if (audio) *request.mutable_audio() = QuietAudio();
    for (v1::Analysis analysis : analyses) request.add_analyses(analysis);
    return request;
  }
  absl::StatusOr<v1::CallerInfo> CallerInfo(const std::string& token) {
    grpc::ClientContext context;
    Authorize(&context, token);
    v1::ServerInfo info;
    const grpc::Status status = stub_->GetServerInfo(&context, {}, &info);
    if (!status.ok()) return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                          status.error_message());
    return info.caller();
  }

  testing::TempDir repository_;
  std::unique_ptr<AffectServer> server_;
  std::unique_ptr<v1::AffectService::Stub> stub_;
};

TEST_F(CallerPolicyServiceTest, EachCallerGetsWhatItsTokenAllows) {
  Start();
  EXPECT_TRUE(Analyze("tok-face", Request({v1::ANALYSIS_EMOTION}, true, false)).ok())
      << "face-only may read faces";
  const grpc::Status face_voice =
      Analyze("tok-face", Request({v1::ANALYSIS_VOICE}, false, true));
  EXPECT_EQ(face_voice.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(face_voice.error_message(),
              AllOf(HasSubstr("analyses[0]: ANALYSIS_VOICE is not allowed for caller "
                              "'face-only'"),
                    Not(HasSubstr("tok-face"))));

  EXPECT_TRUE(Analyze("tok-voice", Request({v1::ANALYSIS_VOICE}, false, true)).ok());
  const grpc::Status voice_face =
      Analyze("tok-voice", Request({v1::ANALYSIS_EMOTION}, true, false));
  EXPECT_EQ(voice_face.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(voice_face.error_message(), HasSubstr("ANALYSIS_EMOTION"));

  EXPECT_TRUE(Analyze("tok-all", Request({v1::ANALYSIS_EMOTION, v1::ANALYSIS_VOICE}, true, true))
                  .ok())
      << "a bare token allows everything";
}

TEST_F(CallerPolicyServiceTest, UnspecifiedAnalysesRunOnlyWhatTheCallerMayUse) {
  Start();
  grpc::ClientContext context;
  Authorize(&context, "tok-voice");
  v1::AnalyzeResponse response;
  ASSERT_TRUE(stub_->Analyze(&context, Request({}, true, true), &response).ok());
  EXPECT_THAT(response.analyses(), ElementsAre(v1::ANALYSIS_VOICE))
      << "image and audio sent, but this caller may only use the voice";
  EXPECT_EQ(Analyze("tok-voice", Request({}, true, false)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "an image alone leaves the voice-only caller nothing";
}

TEST_F(CallerPolicyServiceTest, SwitchedOffForEveryoneStaysFailedPrecondition) {
  Start({v1::ANALYSIS_EMOTION});
  const grpc::Status status = Analyze("tok-face", Request({v1::ANALYSIS_EMOTION}, true, false));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("switched off"));
}

TEST_F(CallerPolicyServiceTest, StreamConfigNamingAForbiddenAnalysisIsPermissionDenied) {
  Start();
  grpc::ClientContext context;
  Authorize(&context, "tok-voice");
  auto stream = stub_->AnalyzeStream(&context);
  v1::StreamRequest config;
  config.mutable_config()->add_analyses(v1::ANALYSIS_EMOTION);
  stream->Write(config);
  stream->WritesDone();
  v1::StreamResponse response;
  while (stream->Read(&response)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("config.analyses[0]: ANALYSIS_EMOTION is not allowed for caller "
                        "'voice-only'"));
}

TEST_F(CallerPolicyServiceTest, GetServerInfoShowsEachCallerItsOwnPolicy) {
  Start();
  auto face = CallerInfo("tok-face");
  ASSERT_TRUE(face.ok()) << face.status();
  EXPECT_EQ(face->name(), "face-only");
  EXPECT_THAT(face->allowed_analyses(), ElementsAre(v1::ANALYSIS_EMOTION));
  EXPECT_FALSE(face->has_max_streams());

  auto all = CallerInfo("tok-all");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->name(), "caller-4");
  EXPECT_THAT(all->allowed_analyses(),
              ElementsAre(v1::ANALYSIS_EMOTION, v1::ANALYSIS_ATTIRE, v1::ANALYSIS_SCENE,
                          v1::ANALYSIS_VOICE, v1::ANALYSIS_BODY, v1::ANALYSIS_ATTENTION));

  auto one = CallerInfo("tok-one");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->max_streams(), 1u);

  EXPECT_EQ(CallerInfo("tok-nobody").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(CallerPolicyServiceTest, CallerOverItsRateIsResourceExhaustedAndOthersAreNot) {
  Start();
  const v1::AnalyzeRequest request = Request({v1::ANALYSIS_EMOTION}, true, false);
  EXPECT_TRUE(Analyze("tok-slow", request).ok()) << "the first call uses the burst of 1";
  // The bucket refills at one call per 1000 s: the next call is refused
  // however long this test takes to get there.
  const grpc::Status second = Analyze("tok-slow", request);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(second.error_message(), HasSubstr("caller 'slow' is over its rate"));
  EXPECT_TRUE(Analyze("tok-all", request).ok()) << "another caller is not affected";
}

TEST_F(CallerPolicyServiceTest, CallerStreamCapRefusesASecondOpenStream) {
  Start();
  const std::string jpeg = Jpeg();
  grpc::ClientContext first_context;
  Authorize(&first_context, "tok-one");
  auto first = stub_->AnalyzeStream(&first_context);
  v1::StreamRequest config;
  config.mutable_config()->add_analyses(v1::ANALYSIS_EMOTION);
  ASSERT_TRUE(first->Write(config));
  v1::StreamRequest frame;
  frame.mutable_frame()->set_sequence(1);
  frame.mutable_frame()->mutable_image()->set_encoded(jpeg);
  ASSERT_TRUE(first->Write(frame));
  v1::StreamResponse response;
  ASSERT_TRUE(first->Read(&response)) << "a frame result: the first stream is open";

  grpc::ClientContext second_context;
  Authorize(&second_context, "tok-one");
  auto second = stub_->AnalyzeStream(&second_context);
  second->WritesDone();
  while (second->Read(&response)) {
  }
  const grpc::Status refused = second->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("caller 'one-stream' has 1 streams open"));

  first->WritesDone();
  while (first->Read(&response)) {
  }
  ASSERT_TRUE(first->Finish().ok());
  // The stream is returned when the server is done with the first call,
  // which may be a moment after the client saw its status.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  grpc::Status third;
  do {
    grpc::ClientContext context;
    Authorize(&context, "tok-one");
    auto stream = stub_->AnalyzeStream(&context);
    stream->Write(config);
    stream->WritesDone();
    while (stream->Read(&response)) {
    }
    third = stream->Finish();
    if (third.ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  } while (absl::Now() < deadline);
  EXPECT_TRUE(third.ok()) << "the closed stream gave its slot back: " << third.error_message();
}

}  // namespace
}  // namespace affect

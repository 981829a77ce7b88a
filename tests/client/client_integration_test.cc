// affect-client end to end, in-process: analyze and stream against a fake
// service with canned answers; models, info and health against the real
// server on a tiny generated model repository.

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/cli/command.h"
#include "client/cli/rpc_error.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "opencv2/videoio.hpp"
#include "server/api/affect_server.h"
#include "tests/client/client_runner.h"
#include "tests/client/fake_affect_service.h"
#include "tests/media/audio_wav_builder.h"
#include "tests/testing/loopback_server_options.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_certificates.h"
#include "tests/testing/tiny_model_repository.h"

namespace affect::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

RunOutput Client(std::vector<std::string> args) { return RunAffectClient(std::move(args)); }

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

cv::Mat TestPicture() {
  cv::Mat bgr(480, 640, CV_8UC3, cv::Scalar(90, 120, 150));
  cv::circle(bgr, cv::Point(160, 145), 60, cv::Scalar(180, 200, 230), cv::FILLED);
  return bgr;
}

std::string WriteJpeg(const testing::TempDir& dir, const std::string& name) {
  const std::string path = dir.Join(name);
  EXPECT_TRUE(cv::imwrite(path, TestPicture())) << path;
  return path;
}

std::string WriteWav(const testing::TempDir& dir, const std::string& name, double seconds) {
  std::vector<int16_t> pcm(static_cast<size_t>(16000 * seconds), 0);
  for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<int16_t>((i % 40) * 200 - 4000);
  const std::string path = dir.Join(name);
  EXPECT_TRUE(testing::WriteFile(path, testing::SimpleWav({}, testing::S16Bytes(pcm))));
  return path;
}

// 12 frames at 10 fps, MJPG in AVI (OpenCV's own writer: always available).
std::string WriteVideo(const testing::TempDir& dir, int frames = 12) {
  const std::string path = dir.Join("clip.avi");
  cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10.0,
                         cv::Size(160, 120));
  EXPECT_TRUE(writer.isOpened());
  for (int i = 0; i < frames; ++i) {
    cv::Mat frame(120, 160, CV_8UC3, cv::Scalar(20 * i % 255, 100, 50));
    writer.write(frame);
  }
  writer.release();
  return path;
}

class FakeServiceTest : public ::testing::Test {
 protected:
  FakeServiceTest() {
    service_.analyze_response = testing::SampleAnalyzeResponse();
    service_.analyze_response.clear_request_id();
    service_.frame_analysis = testing::SampleAnalyzeResponse().image();
  }
  void SetUp() override {
    server_ = std::make_unique<testing::FakeServer>(&service_);
    ASSERT_NE(server_->server, nullptr);
  }
  std::string ServerFlag() const { return "--server=" + server_->address(); }

  testing::FakeAffectService service_;
  std::unique_ptr<testing::FakeServer> server_;
  testing::TempDir dir_;
};

TEST_F(FakeServiceTest, AnalyzeSendsTheImageAndPrintsATable) {
  const std::string photo = WriteJpeg(dir_, "photo.jpg");
  const RunOutput run = Client({"analyze", ServerFlag(), photo, "--output=table",
                                "--analyses=emotion,scene", "--max_faces=3", "--request_id=r1"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("photo.jpg: 640x480 image"));
  EXPECT_THAT(run.out, HasSubstr("request r1"));
  EXPECT_THAT(run.out, HasSubstr("happy"));
  EXPECT_THAT(run.out, HasSubstr("living_room"));
  const v1::AnalyzeRequest request = service_.last_analyze_request();
  EXPECT_EQ(request.request_id(), "r1");
  EXPECT_EQ(request.image().encoded().substr(0, 3), "\xFF\xD8\xFF");
  EXPECT_THAT(request.analyses(), ::testing::ElementsAre(v1::ANALYSIS_EMOTION, v1::ANALYSIS_SCENE));
  EXPECT_TRUE(request.options().has_max_faces());
  EXPECT_EQ(request.options().max_faces(), 3u);
  EXPECT_FALSE(request.options().has_max_objects()) << "unset flags leave the server default";
}

TEST_F(FakeServiceTest, AnalyzeJsonIsTheResponseInTheProtoJsonMapping) {
  const std::string photo = WriteJpeg(dir_, "photo.jpg");
  const RunOutput run = Client({"analyze", ServerFlag(), photo, "--output=json"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  ASSERT_THAT(Lines(run.out), SizeIs(1));
  v1::AnalyzeResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(run.out, &parsed).ok()) << run.out;
  v1::AnalyzeResponse expected = service_.analyze_response;
  expected.set_request_id("fake-request");
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::ApproximatelyEquals(parsed, expected))
      << parsed.DebugString();
}

TEST_F(FakeServiceTest, AnalyzeSeveralFilesOneRequestEachImageOrAudio) {
  const std::string photo = WriteJpeg(dir_, "photo.jpg");
  const std::string clip = WriteWav(dir_, "clip.wav", 0.5);
  const RunOutput run = Client({"analyze", ServerFlag(), photo, clip, "--output=json"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_THAT(Lines(run.out), SizeIs(2));
  EXPECT_EQ(service_.analyze_calls(), 2);
  const v1::AnalyzeRequest last = service_.last_analyze_request();
  EXPECT_TRUE(last.audio().has_wav()) << "the WAV went as audio";
  EXPECT_FALSE(last.has_image());
}

TEST_F(FakeServiceTest, AnalyzeWithAudioSendsBothInOneRequest) {
  const std::string photo = WriteJpeg(dir_, "photo.jpg");
  const std::string clip = WriteWav(dir_, "clip.wav", 0.5);
  ASSERT_EQ(Client({"analyze", ServerFlag(), photo, "--audio=" + clip, "--output=json"}).code,
            kExitOk);
  const v1::AnalyzeRequest request = service_.last_analyze_request();
  EXPECT_TRUE(request.has_image());
  EXPECT_TRUE(request.audio().has_wav());
}

TEST_F(FakeServiceTest, AnnotateWritesTheImageWithTheResultsDrawn) {
  const std::string photo = WriteJpeg(dir_, "photo.jpg");
  const std::string annotated = dir_.Join("annotated.png");
  const RunOutput run =
      Client({"analyze", ServerFlag(), photo, "--annotate=" + annotated, "--output=json"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_THAT(run.err, HasSubstr("annotated image written to " + annotated));
  const cv::Mat written = cv::imread(annotated);
  ASSERT_FALSE(written.empty());
  EXPECT_EQ(written.size(), cv::Size(640, 480));
  const cv::Mat original = cv::imread(photo);
  cv::Mat difference;
  cv::absdiff(written, original, difference);
  EXPECT_GT(cv::countNonZero(difference.reshape(1)), 1000) << "boxes and labels were drawn";
}

TEST_F(FakeServiceTest, BlurFacesLeavesNoDetailInTheFaceBoxes) {
  // A 2-pixel checkerboard: as much detail as an image can hold.
  cv::Mat board(480, 640, CV_8UC3);
  for (int y = 0; y < board.rows; ++y) {
    for (int x = 0; x < board.cols; ++x) {
      const uchar v = ((x / 2 + y / 2) % 2 == 0) ? 20 : 230;
      board.at<cv::Vec3b>(y, x) = cv::Vec3b(v, v, v);
    }
  }
  const std::string photo = dir_.Join("board.png");
  ASSERT_TRUE(cv::imwrite(photo, board));
  auto detail_in_face = [&](const std::vector<std::string>& extra) {
    const std::string out = dir_.Join("out.png");
    std::vector<std::string> args = {"analyze", ServerFlag(), photo, "--annotate=" + out,
                                     "--output=json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const RunOutput run = Client(args);
    EXPECT_EQ(run.code, kExitOk) << run.err;
    cv::Mat gray, laplacian;
    cv::cvtColor(cv::imread(out), gray, cv::COLOR_BGR2GRAY);
    cv::Laplacian(gray(cv::Rect(110, 95, 100, 100)), laplacian, CV_32F);  // inside face 0
    return cv::mean(cv::abs(laplacian))[0];
  };
  const double sharp = detail_in_face({});
  const double blurred = detail_in_face({"--blur_faces"});
  EXPECT_LT(blurred, 0.2 * sharp) << "the face box keeps its detail without --blur_faces ("
                                  << sharp << ") and loses it with it (" << blurred << ")";
}

TEST_F(FakeServiceTest, AnalyzeErrorIsOneLineAndExitOne) {
  service_.analyze_status =
      grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "model 'centernet' queue full");
  const RunOutput run = Client({"analyze", ServerFlag(), WriteJpeg(dir_, "photo.jpg")});
  EXPECT_EQ(run.code, kExitRpcError);
  EXPECT_THAT(run.err,
              HasSubstr("analyze " + dir_.Join("photo.jpg") +
                        ": RESOURCE_EXHAUSTED: model 'centernet' queue full (the server is "
                        "overloaded"));
  EXPECT_EQ(run.out, "");
}

TEST_F(FakeServiceTest, TokenIsSentAsABearerHeader) {
  service_.token = "s3cret";
  const std::string photo = WriteJpeg(dir_, "photo.jpg");
  const RunOutput without = Client({"analyze", ServerFlag(), photo});
  EXPECT_EQ(without.code, kExitRpcError);
  EXPECT_THAT(without.err, HasSubstr("UNAUTHENTICATED: missing 'authorization: Bearer <token>' "
                                     "metadata (pass --token or --token_file"));
  ASSERT_TRUE(testing::WriteFile(dir_.Join("token"), "s3cret\n"));
  const RunOutput with =
      Client({"analyze", ServerFlag(), photo, "--token_file=" + dir_.Join("token")});
  EXPECT_EQ(with.code, kExitOk) << with.err;
  EXPECT_EQ(Client({"analyze", ServerFlag(), photo, "--token=s3cret"}).code, kExitOk);
}

TEST_F(FakeServiceTest, StreamSendsConfigThenSampledFramesAndPrintsResults) {
  const std::string video = WriteVideo(dir_);
  const RunOutput run = Client({"stream", ServerFlag(), video, "--fps=5", "--output=json",
                                "--stream_id=s1", "--analyses=emotion"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(service_.frames_received(), 6) << "12 frames at 10 fps sampled to 5 fps";
  const v1::StreamConfig config = service_.last_stream_config();
  EXPECT_EQ(config.stream_id(), "s1");
  EXPECT_EQ(config.drop_policy(), v1::DROP_POLICY_BACKPRESSURE) << "files lose nothing";
  EXPECT_THAT(config.analyses(), ::testing::ElementsAre(v1::ANALYSIS_EMOTION));
  int frames = 0, aggregates = 0, summaries = 0;
  for (const std::string& line : Lines(run.out)) {
    v1::StreamResponse response;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &response).ok()) << line;
    frames += response.has_frame();
    aggregates += response.has_aggregate();
    summaries += response.has_summary();
  }
  EXPECT_EQ(frames, 6);
  EXPECT_EQ(aggregates, 1) << "the fake aggregates every 5 frames";
  EXPECT_EQ(summaries, 1) << "the half-close brings the summary";
}

TEST_F(FakeServiceTest, StreamTableShowsFramesAggregatesAndSummary) {
  const std::string video = WriteVideo(dir_);
  const RunOutput run = Client({"stream", ServerFlag(), video, "--output=table", "--max_frames=5"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(service_.frames_received(), 5);
  EXPECT_THAT(run.out, HasSubstr("frame 0 "));
  EXPECT_THAT(run.out, HasSubstr("2 faces: #0 happy 0.88"));
  EXPECT_THAT(run.out, HasSubstr("aggregate"));
  EXPECT_THAT(run.out, HasSubstr("track 1: happy over 5 frames; positive-calm"));
  EXPECT_THAT(run.out, HasSubstr("summary: client finished; frames 5 received, 5 analysed"));
}

TEST_F(FakeServiceTest, StreamInterleavesAudioChunksAndDeclaresTheirFormat) {
  const std::string video = WriteVideo(dir_);
  const std::string audio = WriteWav(dir_, "voice.wav", 1.5);
  const RunOutput run =
      Client({"stream", ServerFlag(), video, "--audio=" + audio, "--output=json"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(service_.frames_received(), 12);
  EXPECT_EQ(service_.audio_chunks_received(), 15) << "1.5 s in 100 ms chunks";
  const v1::StreamConfig config = service_.last_stream_config();
  EXPECT_EQ(config.audio_format().format(), v1::SAMPLE_FORMAT_F32LE);
  EXPECT_EQ(config.audio_format().sample_rate_hz(), 16000u);
}

TEST_F(FakeServiceTest, StreamOfAudioAlone) {
  const RunOutput run =
      Client({"stream", ServerFlag(), "--audio=" + WriteWav(dir_, "v.wav", 0.3), "--output=json"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(service_.audio_chunks_received(), 3);
  EXPECT_EQ(service_.frames_received(), 0);
}

TEST_F(FakeServiceTest, StreamAnnotateWritesAVideoWithEveryFrame) {
  const std::string video = WriteVideo(dir_);
  const std::string annotated = dir_.Join("annotated.avi");
  const RunOutput run = Client(
      {"stream", ServerFlag(), video, "--fps=5", "--annotate=" + annotated, "--output=json"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_THAT(run.err, HasSubstr("annotated video written to " + annotated + " (6 frames)"));
  cv::VideoCapture capture(annotated);
  ASSERT_TRUE(capture.isOpened());
  int frames = 0;
  cv::Mat frame;
  while (capture.read(frame)) ++frames;
  EXPECT_EQ(frames, 6);
}

TEST_F(FakeServiceTest, StreamRefusedByTheServerIsExitOne) {
  service_.token = "s3cret";
  const RunOutput run = Client({"stream", ServerFlag(), WriteVideo(dir_), "--output=json"});
  EXPECT_EQ(run.code, kExitRpcError);
  EXPECT_THAT(run.err, HasSubstr("stream: UNAUTHENTICATED"));
}

// The real server, in-process, on a tiny generated repository.
class RealServerTest : public ::testing::Test {
 protected:
  void StartServer(const std::string& token_file = "") {
    ASSERT_TRUE(testing::WriteTinyExpressionModel(repository_.path(), "tiny_expression").ok());
    ServerOptions options = testing::LoopbackServerOptions(repository_.path());
    options.drain_timeout = absl::Seconds(2);
    options.auth_token_file = token_file;
    auto server = AffectServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  std::string ServerFlag() const { return absl::StrCat("--server=127.0.0.1:", server_->port()); }

  testing::TempDir repository_;
  testing::TempDir dir_;
  std::unique_ptr<AffectServer> server_;
};

TEST_F(RealServerTest, ModelsListsTheGeneratedModelReady) {
  StartServer();
  const RunOutput table = Client({"models", ServerFlag(), "--output=table"});
  ASSERT_EQ(table.code, kExitOk) << table.err;
  EXPECT_THAT(table.out, HasSubstr("tiny_expression  1        ready  facial_expression"));
  const RunOutput json = Client({"models", ServerFlag(), "--output=json"});
  v1::ListModelsResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.out, &parsed).ok()) << json.out;
  ASSERT_EQ(parsed.models_size(), 1);
  EXPECT_EQ(parsed.models(0).labels_size(), 7);
}

TEST_F(RealServerTest, ModelsWithAnUnknownNameIsNotFound) {
  StartServer();
  const RunOutput run = Client({"models", ServerFlag(), "--name=nope"});
  EXPECT_EQ(run.code, kExitRpcError);
  EXPECT_THAT(run.err, HasSubstr("models: NOT_FOUND: no model named 'nope'"));
}

TEST_F(RealServerTest, InfoShowsTheDeviceAndAnalyses) {
  StartServer();
  const RunOutput run = Client({"info", ServerFlag(), "--output=table"});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("device    cpu"));
  EXPECT_THAT(run.out, HasSubstr("analyses  emotion, attire, scene, voice"));
}

TEST_F(RealServerTest, HealthIsServingOverallAndForTheService) {
  StartServer();
  const RunOutput overall = Client({"health", ServerFlag(), "--output=table"});
  EXPECT_EQ(overall.code, kExitOk) << overall.err;
  EXPECT_EQ(overall.out, "server: SERVING\n");
  const RunOutput service =
      Client({"health", ServerFlag(), "--service=affect.v1.AffectService", "--output=json"});
  EXPECT_EQ(service.code, kExitOk);
  EXPECT_EQ(service.out, "{\"status\":\"SERVING\"}\n");
  const RunOutput unknown = Client({"health", ServerFlag(), "--service=no.Such"});
  EXPECT_EQ(unknown.code, kExitRpcError);
  EXPECT_THAT(unknown.err, HasSubstr("health: NOT_FOUND"));
}

TEST_F(RealServerTest, HealthAfterShutdownIsNotServing) {
  StartServer();
  server_->Shutdown();
  const RunOutput run = Client({"health", ServerFlag(), "--deadline=3s"});
  EXPECT_EQ(run.code, kExitRpcError) << run.out;
}

TEST_F(RealServerTest, TokenProtectedServerNeedsTheToken) {
  ASSERT_TRUE(testing::WriteFile(dir_.Join("token"), "t0ken\n"));
  StartServer(dir_.Join("token"));
  const RunOutput without = Client({"info", ServerFlag()});
  EXPECT_EQ(without.code, kExitRpcError);
  EXPECT_THAT(without.err, HasSubstr("UNAUTHENTICATED"));
  EXPECT_THAT(without.err, HasSubstr("pass --token"));
  const RunOutput with = Client({"info", ServerFlag(), "--token_file=" + dir_.Join("token")});
  EXPECT_EQ(with.code, kExitOk) << with.err;
  EXPECT_EQ(Client({"health", ServerFlag()}).code, kExitOk) << "health stays open for probes";
}

TEST_F(RealServerTest, MutualTlsWithTheClientsFlags) {
  ASSERT_TRUE(testing::MakeTestCertificates(dir_.path()));
  ASSERT_TRUE(testing::WriteTinyExpressionModel(repository_.path(), "tiny_expression").ok());
  ServerOptions options = testing::LoopbackServerOptions(repository_.path());
  options.drain_timeout = absl::Seconds(2);
  options.tls.cert_file = dir_.Join("server.pem");
  options.tls.key_file = dir_.Join("server.key");
  options.tls.client_ca_file = dir_.Join("ca.pem");
  auto server = AffectServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);

  const RunOutput mutual =
      Client({"info", ServerFlag(), "--tls_ca=" + dir_.Join("ca.pem"),
              "--tls_cert=" + dir_.Join("client.pem"), "--tls_key=" + dir_.Join("client.key"),
              "--output=json", "--deadline=10s"});
  EXPECT_EQ(mutual.code, kExitOk) << mutual.err;
  const RunOutput by_name = Client(
      {"info", absl::StrCat("--server=localhost:", server_->port()),
       "--tls_ca=" + dir_.Join("ca.pem"), "--tls_cert=" + dir_.Join("client.pem"),
       "--tls_key=" + dir_.Join("client.key"), "--tls_server_name=localhost", "--deadline=10s"});
  EXPECT_EQ(by_name.code, kExitOk) << by_name.err;
  const RunOutput no_client_certificate =
      Client({"info", ServerFlag(), "--tls_ca=" + dir_.Join("ca.pem"), "--deadline=10s"});
  EXPECT_EQ(no_client_certificate.code, kExitRpcError);
  EXPECT_THAT(no_client_certificate.err, HasSubstr("UNAVAILABLE"));
  const RunOutput plaintext = Client({"info", ServerFlag(), "--deadline=10s"});
  EXPECT_EQ(plaintext.code, kExitRpcError);
  EXPECT_THAT(plaintext.err, HasSubstr("A TLS server needs --tls or --tls_ca"));
}

}  // namespace
}  // namespace affect::client

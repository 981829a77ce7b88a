// affect-client on real photos with the real models (label `models`), as a
// new user would run it: analyze with --annotate, and a short stream.
// Skipped when models/repository or the sample photos are absent (run
// models/fetch and the conversion first).
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/cli/command.h"
#include "client/cli/rpc_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "opencv2/videoio.hpp"
#include "server/api/affect_server.h"
#include "tests/client/client_runner.h"
#include "tests/testing/loopback_server_options.h"
#include "tests/testing/temp_dir.h"

namespace affect::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kRepository = std::string(AFFECT_SOURCE_DIR) + "/models/repository";
const std::string kImages = std::string(AFFECT_SOURCE_DIR) + "/models/.cache/images";

bool ModelsPresent() {
  for (const char* model : {"blazeface", "emotion", "centernet", "selfie"}) {
    if (!std::filesystem::exists(absl::StrCat(kRepository, "/", model, "/1/model.pt"))) {
      return false;
    }
  }
  return std::filesystem::exists(kImages + "/sample1.jpg") &&
         std::filesystem::exists(kImages + "/sample2.jpg");
}

// One server for the suite: loading the real models takes a while.
class RealModelsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!ModelsPresent()) return;
    ServerOptions options = testing::LoopbackServerOptions(kRepository);
    auto server = AffectServer::Start(options);
    if (server.ok()) server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (!ModelsPresent()) GTEST_SKIP() << "models/repository or models/.cache/images missing";
    ASSERT_NE(server_, nullptr) << "the server did not start on the real models";
  }

  // affect-client <args> --server=<this suite's server>.
  RunOutput Client(std::vector<std::string> args) {
    args.push_back(absl::StrCat("--server=127.0.0.1:", server_->port()));
    return RunAffectClient(std::move(args));
  }

  static AffectServer* server_;
  testing::TempDir dir_;
};

AffectServer* RealModelsTest::server_ = nullptr;

TEST_F(RealModelsTest, AnalyzeAPhotoShowsFacesEmotionsAttireAndSceneAndAnnotates) {
  const std::string annotated = dir_.Join("annotated.png");
  const RunOutput run = Client({"analyze", kImages + "/sample1.jpg", "--output=table",
                                "--deadline=120s", "--annotate=" + annotated});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("sample1.jpg: 1920x1280 image"));
  EXPECT_THAT(run.out, Not(HasSubstr("Faces (0)"))) << run.out;
  EXPECT_THAT(run.out, HasSubstr("upper body")) << run.out;
  EXPECT_THAT(run.out, HasSubstr("category")) << run.out;
  EXPECT_THAT(run.out, HasSubstr("lighting")) << run.out;
  EXPECT_THAT(run.out, HasSubstr("Models   ")) << run.out;
  const cv::Mat written = cv::imread(annotated);
  ASSERT_FALSE(written.empty()) << "annotated image written";
  EXPECT_EQ(written.size(), cv::Size(1920, 1280));
}

TEST_F(RealModelsTest, AnalyzeBodyAndAttentionPrintsThemAndDrawsSkeletons) {
  const std::string plain = dir_.Join("plain.png");
  const std::string annotated = dir_.Join("skeletons.png");
  const RunOutput faces_only = Client({"analyze", kImages + "/sample1.jpg", "--output=table",
                                       "--deadline=120s", "--analyses=attention",
                                       "--annotate=" + plain});
  ASSERT_EQ(faces_only.code, kExitOk) << faces_only.err;
  const RunOutput run = Client({"analyze", kImages + "/sample1.jpg", "--output=table",
                                "--deadline=120s", "--analyses=body,attention",
                                "--annotate=" + annotated});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("Bodies (3)")) << run.out;
  EXPECT_THAT(run.out, HasSubstr("keypoints seen")) << run.out;
  EXPECT_THAT(run.out, HasSubstr("Attention")) << run.out;
  EXPECT_THAT(run.out, HasSubstr("movenet_multipose v1")) << run.out;
  EXPECT_THAT(run.out, HasSubstr("facemesh v1")) << run.out;
  // The skeleton colour (RGB 80, 255, 120; BGR on disk) appears only with BODY.
  const auto skeleton_pixels = [](const std::string& path) {
    const cv::Mat image = cv::imread(path);
    cv::Mat mask;
    cv::inRange(image, cv::Scalar(120, 255, 80), cv::Scalar(120, 255, 80), mask);
    return cv::countNonZero(mask);
  };
  EXPECT_EQ(skeleton_pixels(plain), 0) << "no skeleton without BODY";
  EXPECT_GT(skeleton_pixels(annotated), 500) << "three skeletons drawn";
}

TEST_F(RealModelsTest, StreamASlideshowTracksFacesAndEndsWithASummary) {
  // Four frames of each of two photos, 960 px wide, at 4 fps.
  const std::string video = dir_.Join("slideshow.avi");
  cv::VideoWriter writer(video, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 4.0,
                         cv::Size(960, 640));
  ASSERT_TRUE(writer.isOpened());
  for (const char* name : {"sample1.jpg", "sample2.jpg"}) {
    cv::Mat photo = cv::imread(kImages + "/" + name);
    ASSERT_FALSE(photo.empty()) << name;
    cv::resize(photo, photo, cv::Size(960, 640));
    for (int i = 0; i < 4; ++i) writer.write(photo);
  }
  writer.release();
  const RunOutput run = Client({"stream", video, "--output=table", "--analyses=emotion",
                                "--aggregate_interval=1s", "--annotate=" + dir_.Join("out.avi")});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("frame 7 "));
  // Track ids start at a random value in each stream (track_ids.h).
  EXPECT_THAT(run.out, ::testing::ContainsRegex("\\[[1-9][0-9]*\\] "))
      << "faces carry track ids";
  EXPECT_THAT(run.out, HasSubstr("aggregate"));
  EXPECT_THAT(run.out, HasSubstr("summary: client finished; frames 8 received, 8 analysed"));
  EXPECT_THAT(run.err, HasSubstr("(8 frames)"));
}

}  // namespace
}  // namespace affect::client

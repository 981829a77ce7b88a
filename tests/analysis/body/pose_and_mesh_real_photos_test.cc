// The converted pose and face-mesh models on face-api's demo photos, through
// the C++ pre-processing and decoders (no server): the face boxes come from
// the real BlazeFace path, as in the service.
//
// What a person can plainly see: every detected face belongs to a visible
// person, so each must get a pose whose nose and eyes lie in that face's box
// (from the whole-frame pass or the second look at the faces it missed);
// each face's mesh must lie around the face, its eyes where BlazeFace put
// them. Skips when the models or photos are not prepared.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "server/analysis/body/movenet_decoder.h"
#include "server/analysis/body/pose_second_look.h"
#include "server/analysis/face/face_detection_decoder.h"
#include "server/analysis/face/face_mesh.h"
#include "server/analysis/image_input.h"
#include "server/config/model_config_loader.h"
#include "server/torch/torch_module.h"
#include "tests/testing/real_models.h"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;

// MediaPipe face mesh: eye corners (the person's right eye: 33 outer, 133
// inner; left eye: 362 inner, 263 outer).
constexpr int kRightEyeCorners[2] = {33, 133};
constexpr int kLeftEyeCorners[2] = {362, 263};

struct LoadedModel {
  v1::ModelConfig config;
  std::unique_ptr<TorchModule> module;
};

LoadedModel Load(const std::string& name) {
  const std::string dir = absl::StrCat(::affect::testing::RealModelRepository(), "/", name);
  absl::StatusOr<v1::ModelConfig> config =
      LoadModelConfigFile(absl::StrCat(dir, "/config.pbtxt"), name);
  EXPECT_THAT(config, IsOk()) << name;
  absl::StatusOr<std::unique_ptr<TorchModule>> module =
      TorchModule::Load(absl::StrCat(dir, "/1/model.pt"), TorchModuleOptions{});
  EXPECT_THAT(module, IsOk()) << name;
  return LoadedModel{config.ok() ? *config : v1::ModelConfig{},
                     module.ok() ? std::move(*module) : nullptr};
}

// Runs one item (a tensor without the batch dimension); outputs without it.
std::vector<Tensor> RunOne(const LoadedModel& model, const Tensor& item) {
  std::vector<int64_t> shape = item.shape();
  shape.insert(shape.begin(), 1);
  const Tensor batch(shape, std::vector<float>(item.values().begin(), item.values().end()));
  absl::StatusOr<std::vector<Tensor>> outputs = model.module->Forward({batch});
  EXPECT_THAT(outputs, IsOk()) << model.config.name();
  std::vector<Tensor> items;
  if (!outputs.ok()) return items;
  for (const Tensor& out : *outputs) {
    std::vector<int64_t> item_shape(out.shape().begin() + 1, out.shape().end());
    items.emplace_back(item_shape, std::vector<float>(out.values().begin(), out.values().end()));
  }
  return items;
}

cv::Mat ReadRgb(int n) {
  cv::Mat bgr = cv::imread(::affect::testing::DemoPhotoPath(n), cv::IMREAD_COLOR);
  cv::Mat rgb;
  if (!bgr.empty()) cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

bool Inside(const Box& box, float x, float y) {
  return x >= box.x && x < box.right() && y >= box.y && y < box.bottom();
}

float Distance(Point a, float x, float y) { return std::hypot(a.x - x, a.y - y); }

class PoseAndMeshRealPhotosTest : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() {
    if (!::affect::testing::MissingRealModels().empty()) return;
    blazeface_ = new LoadedModel(Load("blazeface"));
    movenet_ = new LoadedModel(Load("movenet_multipose"));
    facemesh_ = new LoadedModel(Load("facemesh"));
  }
  static void TearDownTestSuite() {
    delete blazeface_;
    delete movenet_;
    delete facemesh_;
  }

  std::vector<FaceDetection> Faces(const cv::Mat& rgb) {
    absl::StatusOr<FaceDetectionDecoder> decoder =
        FaceDetectionDecoder::FromConfig(blazeface_->config);
    EXPECT_THAT(decoder, IsOk());
    absl::StatusOr<ImageTensor> input =
        MakeImageTensor(rgb, blazeface_->config.input(0), decoder->options().fit);
    EXPECT_THAT(input, IsOk());
    absl::StatusOr<std::vector<FaceDetection>> faces =
        decoder->Decode(RunOne(*blazeface_, input->tensor), input->transform);
    EXPECT_THAT(faces, IsOk());
    return faces.ok() ? *faces : std::vector<FaceDetection>{};
  }

  // The whole-frame pass, then the second look at faces it left without a
  // pose (pose_second_look.h), as the service runs them.
  std::vector<PersonPose> Poses(const cv::Mat& rgb, const std::vector<FaceDetection>& faces,
                                int* second_looks = nullptr) {
    absl::StatusOr<MoveNetDecoder> decoder = MoveNetDecoder::FromConfig(movenet_->config);
    EXPECT_THAT(decoder, IsOk());
    if (!decoder.ok()) return {};
    absl::StatusOr<ImageTensor> input =
        MakeImageTensor(rgb, movenet_->config.input(0), decoder->options().fit);
    EXPECT_THAT(input, IsOk());
    absl::StatusOr<std::vector<PersonPose>> poses =
        decoder->Decode(RunOne(*movenet_, input->tensor), input->transform);
    EXPECT_THAT(poses, IsOk());
    if (!poses.ok()) return {};
    std::vector<Box> boxes;
    for (const FaceDetection& face : faces) boxes.push_back(face.box);
    absl::StatusOr<std::vector<SecondLookItem>> items =
        MakeSecondLookItems(rgb, *poses, boxes, *decoder, movenet_->config.input(0));
    EXPECT_THAT(items, IsOk());
    if (!items.ok()) return *poses;
    std::vector<std::vector<Tensor>> outputs;
    for (const SecondLookItem& item : *items) outputs.push_back(RunOne(*movenet_, item.tensor));
    EXPECT_THAT(AddSecondLookPoses(*decoder, *items, outputs, boxes, &*poses), IsOk());
    if (second_looks != nullptr) *second_looks = static_cast<int>(items->size());
    return *poses;
  }

  static LoadedModel* blazeface_;
  static LoadedModel* movenet_;
  static LoadedModel* facemesh_;
};

LoadedModel* PoseAndMeshRealPhotosTest::blazeface_ = nullptr;
LoadedModel* PoseAndMeshRealPhotosTest::movenet_ = nullptr;
LoadedModel* PoseAndMeshRealPhotosTest::facemesh_ = nullptr;

TEST_P(PoseAndMeshRealPhotosTest, EveryFaceHasAPoseWithNoseAndEyesInItsBox) {
  AFFECT_REQUIRE_REAL_MODELS();
  const cv::Mat rgb = ReadRgb(GetParam());
  ASSERT_FALSE(rgb.empty()) << "sample" << GetParam();
  const std::vector<FaceDetection> faces = Faces(rgb);
  ASSERT_FALSE(faces.empty()) << "every demo photo shows faces";
  int second_looks = 0;
  const std::vector<PersonPose> poses = Poses(rgb, faces, &second_looks);
  // Which faces needed the second look, for the reader of the log.
  std::cout << "sample" << GetParam() << ": " << faces.size() << " faces, " << second_looks
            << " second look(s), " << poses.size() << " poses\n";
  for (size_t f = 0; f < faces.size(); ++f) {
    const Box& box = faces[f].box;
    bool found = false;
    std::string seen;
    for (const PersonPose& pose : poses) {
      const BodyKeypoint& nose = pose.at(BodyPart::kNose);
      const BodyKeypoint& left = pose.at(BodyPart::kLeftEye);
      const BodyKeypoint& right = pose.at(BodyPart::kRightEye);
      absl::StrAppend(&seen, " [score ", pose.score, " nose ", nose.x, ",", nose.y, "]");
      if (Inside(box, nose.x, nose.y) && Inside(box, left.x, left.y) &&
          Inside(box, right.x, right.y)) {
        found = true;
      }
    }
    EXPECT_TRUE(found) << "sample" << GetParam() << " face " << f << " box (" << box.x << ", "
                       << box.y << ", " << box.width << " x " << box.height
                       << ") has no pose with nose and eyes inside; poses:" << seen;
  }
}

TEST_P(PoseAndMeshRealPhotosTest, EveryFaceMeshLiesAroundItsFaceWithEyesOnBlazeFaceEyes) {
  AFFECT_REQUIRE_REAL_MODELS();
  const cv::Mat rgb = ReadRgb(GetParam());
  ASSERT_FALSE(rgb.empty()) << "sample" << GetParam();
  absl::StatusOr<FaceMeshReader> reader = FaceMeshReader::FromConfig(facemesh_->config);
  ASSERT_THAT(reader, IsOk());
  const std::vector<FaceDetection> faces = Faces(rgb);
  for (size_t f = 0; f < faces.size(); ++f) {
    const FaceDetection& face = faces[f];
    absl::StatusOr<FaceMeshInput> input = reader->MakeInput(rgb, face);
    ASSERT_THAT(input, IsOk());
    absl::StatusOr<FaceLandmarks> mesh =
        reader->Decode(RunOne(*facemesh_, input->tensor), input->region);
    ASSERT_THAT(mesh, IsOk());
    const std::string where = absl::StrCat("sample", GetParam(), " face ", f);
    EXPECT_TRUE(reader->Accepts(*mesh)) << where << ": mesh confidence " << mesh->confidence;
    // The face box enlarged by half its size on each side.
    const Box around = ExpandBox(face.box, 0.5f);
    int outside = 0;
    for (const Landmark3& p : mesh->points) outside += Inside(around, p.x, p.y) ? 0 : 1;
    EXPECT_EQ(outside, 0) << where << ": landmarks outside the enlarged face box";
    const auto centre = [&](const int(&corners)[2]) {
      const Landmark3& a = mesh->points[corners[0]];
      const Landmark3& b = mesh->points[corners[1]];
      return Point{0.5f * (a.x + b.x), 0.5f * (a.y + b.y)};
    };
    const Point right = centre(kRightEyeCorners);
    const Point left = centre(kLeftEyeCorners);
    const Point blaze_right = face.keypoint(FaceKeypoint::kRightEye);
    const Point blaze_left = face.keypoint(FaceKeypoint::kLeftEye);
    // Both models guess where a hidden eye is (sample2's near-profile face
    // hides its right eye behind the nose: the guesses were 42 px apart on a
    // 203 px face), so each eye gets a quarter of the face width and the
    // eyes' midpoint, which a hidden eye moves half as much, 0.15.
    const float width = face.box.width;
    EXPECT_LT(Distance(blaze_right, right.x, right.y), 0.25f * width)
        << where << ": mesh right eye (" << right.x << ", " << right.y << "), BlazeFace ("
        << blaze_right.x << ", " << blaze_right.y << ")";
    EXPECT_LT(Distance(blaze_left, left.x, left.y), 0.25f * width)
        << where << ": mesh left eye (" << left.x << ", " << left.y << "), BlazeFace ("
        << blaze_left.x << ", " << blaze_left.y << ")";
    const Point blaze_mid{0.5f * (blaze_right.x + blaze_left.x),
                          0.5f * (blaze_right.y + blaze_left.y)};
    EXPECT_LT(Distance(blaze_mid, 0.5f * (right.x + left.x), 0.5f * (right.y + left.y)),
              0.15f * width)
        << where << ": eye midpoints";
  }
}

INSTANTIATE_TEST_SUITE_P(DemoPhotos, PoseAndMeshRealPhotosTest, ::testing::Range(1, 7),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return absl::StrCat("sample", param.param);
                         });

}  // namespace
}  // namespace affect::analysis

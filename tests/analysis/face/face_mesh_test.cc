#include "server/analysis/face/face_mesh.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgproc.hpp"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kMeshInput = 192;

v1::TensorSpec MeshSpec() {
  v1::TensorSpec spec;
  spec.set_name("input_1");
  spec.add_dims(kMeshInput);
  spec.add_dims(kMeshInput);
  spec.add_dims(3);
  spec.set_layout(v1::TENSOR_LAYOUT_NHWC);
  spec.mutable_normalization()->set_color_format(v1::COLOR_FORMAT_RGB);
  spec.mutable_normalization()->set_scale(1.0f / 255.0f);
  return spec;
}

FaceMeshReader Reader(FaceMeshOptions options = {}) {
  absl::StatusOr<FaceMeshReader> reader = FaceMeshReader::Create(options, MeshSpec());
  EXPECT_THAT(reader, IsOk()) << "valid spec";
  return *std::move(reader);
}

TEST(FaceMeshCropBoxTest, EnlargesAboutTheCentreAndSquaresOnTheLongerSide) {
  absl::StatusOr<Box> crop = FaceMeshCropBox(Box{100, 50, 40, 60}, 1.5f);
  ASSERT_THAT(crop, IsOk());
  EXPECT_FLOAT_EQ(crop->width, 90.0f) << "1.5 x the longer side (60)";
  EXPECT_FLOAT_EQ(crop->height, 90.0f) << "square";
  EXPECT_FLOAT_EQ(crop->center_x(), 120.0f) << "same centre";
  EXPECT_FLOAT_EQ(crop->center_y(), 80.0f);
  EXPECT_THAT(FaceMeshCropBox(Box{0, 0, 0, 10}, 1.5f),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

// An upright face: eyes level, 20 px apart.
FaceDetection FaceIn(const Box& box) {
  FaceDetection face;
  face.box = box;
  face.keypoints.assign(kBlazeFaceKeypoints, Point{box.center_x(), box.center_y()});
  face.keypoints[static_cast<size_t>(FaceKeypoint::kRightEye)] = {box.center_x() - 10, box.y + 10};
  face.keypoints[static_cast<size_t>(FaceKeypoint::kLeftEye)] = {box.center_x() + 10, box.y + 10};
  return face;
}

TEST(FaceMeshRegionTest, TurnsTheCropWithTheEyeLine) {
  FaceDetection face = FaceIn(Box{100, 50, 40, 60});
  absl::StatusOr<FaceCropRegion> level = FaceMeshRegion(face, FaceMeshOptions{});
  ASSERT_THAT(level, IsOk());
  EXPECT_FLOAT_EQ(level->angle, 0.0f) << "level eyes";
  EXPECT_FLOAT_EQ(level->width, 90.0f);
  // Head tilted: the left eye (image right) 20 px lower than the right eye.
  face.keypoints[static_cast<size_t>(FaceKeypoint::kLeftEye)].y += 20.0f;
  absl::StatusOr<FaceCropRegion> tilted = FaceMeshRegion(face, FaceMeshOptions{});
  ASSERT_THAT(tilted, IsOk());
  EXPECT_NEAR(tilted->angle, std::atan2(20.0f, 20.0f), 1e-6f)
      << "45 degrees, clockwise in the image";
  face.keypoints.clear();
  EXPECT_THAT(FaceMeshRegion(face, FaceMeshOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("eye keypoints")));
  FaceMeshOptions unaligned;
  unaligned.align_eyes = false;
  EXPECT_THAT(FaceMeshRegion(face, unaligned), IsOk()) << "no keypoints needed unaligned";
}

TEST(FaceMeshReaderTest, DecodeTurnsLandmarksBackWithTheRegion) {
  FaceCropRegion region;
  region.center = {100, 100};
  region.width = 96;
  region.height = 96;
  region.angle = std::acos(-1.0f) / 2;  // a quarter turn: crop x axis = image +y
  std::vector<float> raw(3 * kFaceMeshLandmarkCount, 96.0f);
  raw[0] = 192.0f;  // landmark 0 at the crop's right edge, vertically centred
  const std::vector<Tensor> outputs = {Tensor({1}, {0.9f}),
                                       Tensor({3 * kFaceMeshLandmarkCount}, raw)};
  absl::StatusOr<FaceLandmarks> landmarks = Reader().Decode(outputs, region);
  ASSERT_THAT(landmarks, IsOk());
  EXPECT_NEAR(landmarks->points[0].x, 100.0f, 1e-4f) << "turned a quarter: right -> down";
  EXPECT_NEAR(landmarks->points[0].y, 148.0f, 1e-4f);
  EXPECT_NEAR(landmarks->points[1].x, 100.0f, 1e-4f) << "the centre stays";
}

TEST(FaceMeshReaderTest, DecodeMapsCropPixelsToTheImage) {
  FaceCropRegion crop;
  crop.center = {120, 80};
  crop.width = 90;
  crop.height = 90;
  std::vector<float> raw(3 * kFaceMeshLandmarkCount, 0.0f);
  raw[0] = 96.0f;  // landmark 0 at the crop centre, depth 10 crop pixels
  raw[1] = 96.0f;
  raw[2] = 10.0f;
  raw[3 * 467] = 192.0f;  // the last at the crop's bottom-right corner
  raw[3 * 467 + 1] = 192.0f;
  const std::vector<Tensor> outputs = {Tensor({1, 1}, {0.97f}),
                                       Tensor({1, 3 * kFaceMeshLandmarkCount}, raw)};
  absl::StatusOr<FaceLandmarks> landmarks = Reader().Decode(outputs, crop);
  ASSERT_THAT(landmarks, IsOk());
  EXPECT_FLOAT_EQ(landmarks->confidence, 0.97f);
  EXPECT_FLOAT_EQ(landmarks->points[0].x, 120.0f) << "75 + 96 x 90 / 192";
  EXPECT_FLOAT_EQ(landmarks->points[0].y, 80.0f);
  EXPECT_FLOAT_EQ(landmarks->points[0].z, 10.0f * 90.0f / 192.0f) << "same scale as x";
  EXPECT_FLOAT_EQ(landmarks->points[467].x, 165.0f) << "the crop's right edge";
  EXPECT_FLOAT_EQ(landmarks->points[467].y, 125.0f);
}

TEST(FaceMeshReaderTest, DecodeRejectsOtherShapes) {
  const std::vector<Tensor> outputs = {Tensor({1}), Tensor({266})};
  EXPECT_THAT(Reader().Decode(outputs, FaceCropRegion{{5, 5}, 10, 10, 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("landmarks")));
}

TEST(FaceMeshReaderTest, AcceptsOnlyConfidentMeshes) {
  FaceMeshOptions options;
  options.min_face_confidence = 0.6f;
  const FaceMeshReader reader = Reader(options);
  FaceLandmarks landmarks;
  landmarks.confidence = 0.59f;
  EXPECT_FALSE(reader.Accepts(landmarks));
  landmarks.confidence = 0.6f;
  EXPECT_TRUE(reader.Accepts(landmarks));
}

TEST(FaceMeshReaderTest, MakeInputCutsTheSquareCropBlackOutsideTheImage) {
  // A white 40 x 40 square at the top-left corner of a grey image; the crop
  // around it reaches past the image's top and left edges.
  cv::Mat image(200, 200, CV_8UC3, cv::Scalar(100, 100, 100));
  cv::rectangle(image, cv::Rect(0, 0, 40, 40), cv::Scalar(255, 255, 255), cv::FILLED);
  absl::StatusOr<FaceMeshInput> input = Reader().MakeInput(image, FaceIn(Box{0, 0, 40, 40}));
  ASSERT_THAT(input, IsOk());
  EXPECT_THAT(input->tensor.shape(), ::testing::ElementsAre(kMeshInput, kMeshInput, 3));
  EXPECT_FLOAT_EQ(input->region.width, 60.0f) << "60 px square around the 40 px box";
  EXPECT_FLOAT_EQ(input->region.center.x, 20.0f);
  const auto value = [&](int y, int x) { return input->tensor.data()[(y * kMeshInput + x) * 3]; };
  EXPECT_NEAR(value(96, 96), 1.0f, 1e-3f) << "the white face in the middle, x / 255";
  EXPECT_NEAR(value(5, 5), 0.0f, 1e-3f) << "outside the image is black";
  EXPECT_NEAR(value(185, 185), 100.0f / 255.0f, 1e-3f) << "the grey image below right";
}

TEST(FaceMeshOptionsTest, RejectsUnknownAndOutOfRangeParameters) {
  ParameterMap parameters;
  parameters["box_scale"] = "0.5";
  EXPECT_THAT(FaceMeshOptions::FromParameters(parameters),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("box_scale")));
  ParameterMap typo;
  typo["scale"] = "1.5";
  EXPECT_THAT(FaceMeshOptions::FromParameters(typo),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scale")));
}

}  // namespace
}  // namespace affect::analysis

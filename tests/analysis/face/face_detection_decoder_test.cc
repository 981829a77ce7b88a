#include "server/analysis/face/face_detection_decoder.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr float kOff = -100.0f;  // logit of a silent anchor

// Raw outputs of the back model, all anchors silent.
struct RawOutputs {
  Tensor scores_16{{512, 1}, std::vector<float>(512, kOff)};
  Tensor regressors_16{{512, 16}};
  Tensor scores_8{{384, 1}, std::vector<float>(384, kOff)};
  Tensor regressors_8{{384, 16}};

  // Fires anchor `index` of the 16x16 layer with the given regressors.
  void Fire16(int index, float logit, std::vector<float> values) {
    scores_16.data()[index] = logit;
    for (size_t i = 0; i < values.size(); ++i) regressors_16.data()[index * 16 + i] = values[i];
  }
  std::vector<Tensor> All() const { return {scores_16, regressors_16, scores_8, regressors_8}; }
};

// Anchor of cell (row 5, col 7), second anchor: centre (120, 88) px.
constexpr int kAnchor = (5 * 16 + 7) * 2 + 1;
const std::vector<float> kRegressors = {4, -2, 40, 48,  // box: centre offset, size
                                        -10, -5, 10, -5, 0, 5, 0, 15, -18, -3, 18, -3};

FaceDetectionDecoder Decoder(FaceDetectionOptions options = {}) {
  options.min_face_size = 0.0f;
  absl::StatusOr<FaceDetectionDecoder> decoder = FaceDetectionDecoder::Create(options, 256, 256);
  EXPECT_THAT(decoder, IsOk()) << "valid options";
  return *std::move(decoder);
}

const InputTransform kIdentity = MakeInputTransform(256, 256, 256, 256, FitMode::kStretch);

TEST(FaceDetectionDecoderTest, DecodesOneStrongAnchor) {
  RawOutputs raw;
  raw.Fire16(kAnchor, 5.0f, kRegressors);
  absl::StatusOr<std::vector<FaceDetection>> faces = Decoder().Decode(raw.All(), kIdentity);
  ASSERT_THAT(faces, IsOk()) << "well-formed outputs";
  ASSERT_THAT(*faces, SizeIs(1)) << "one anchor fired";
  const FaceDetection& face = (*faces)[0];
  EXPECT_NEAR(face.box.x, 104.0f, 1e-4f) << "120 + 4 - 40 / 2";
  EXPECT_NEAR(face.box.y, 62.0f, 1e-4f) << "88 - 2 - 48 / 2";
  EXPECT_NEAR(face.box.width, 40.0f, 1e-4f) << "w regressor";
  EXPECT_NEAR(face.box.height, 48.0f, 1e-4f) << "h regressor";
  EXPECT_NEAR(face.score, 1.0f / (1.0f + std::exp(-5.0f)), 1e-6f) << "sigmoid(logit)";
}

TEST(FaceDetectionDecoderTest, MapsKeypointsInTheModelsOrder) {
  RawOutputs raw;
  raw.Fire16(kAnchor, 5.0f, kRegressors);
  absl::StatusOr<std::vector<FaceDetection>> faces = Decoder().Decode(raw.All(), kIdentity);
  ASSERT_THAT(faces, IsOk()) << "well-formed outputs";
  ASSERT_THAT(*faces, SizeIs(1)) << "one face";
  const FaceDetection& face = (*faces)[0];
  // MediaPipe's order: the model's first keypoint is the person's right eye.
  EXPECT_NEAR(face.keypoint(FaceKeypoint::kRightEye).x, 110.0f, 1e-4f) << "120 - 10";
  EXPECT_NEAR(face.keypoint(FaceKeypoint::kRightEye).y, 83.0f, 1e-4f) << "88 - 5";
  EXPECT_NEAR(face.keypoint(FaceKeypoint::kLeftEye).x, 130.0f, 1e-4f) << "120 + 10";
  EXPECT_NEAR(face.keypoint(FaceKeypoint::kMouthCenter).y, 103.0f, 1e-4f) << "88 + 15";
  EXPECT_NEAR(face.keypoint(FaceKeypoint::kLeftEarTragion).x, 138.0f, 1e-4f) << "120 + 18";
}

TEST(FaceDetectionDecoderTest, MapsLetterboxedCoordinatesToTheImage) {
  RawOutputs raw;
  raw.Fire16(kAnchor, 5.0f, kRegressors);
  // A 512x256 image letterboxed into 256x256: scale 0.5, 64 px bars.
  const InputTransform t = MakeInputTransform(512, 256, 256, 256, FitMode::kLetterbox);
  absl::StatusOr<std::vector<FaceDetection>> faces = Decoder().Decode(raw.All(), t);
  ASSERT_THAT(faces, IsOk()) << "well-formed outputs";
  ASSERT_THAT(*faces, SizeIs(1)) << "one face";
  EXPECT_NEAR((*faces)[0].box.x, 208.0f, 1e-3f) << "104 / 0.5";
  EXPECT_NEAR((*faces)[0].box.y, -4.0f, 1e-3f) << "(62 - 64) / 0.5";
  EXPECT_NEAR((*faces)[0].box.width, 80.0f, 1e-3f) << "40 / 0.5";
}

TEST(FaceDetectionDecoderTest, AcceptsOutputsInAnyOrder) {
  RawOutputs raw;
  raw.Fire16(kAnchor, 5.0f, kRegressors);
  const std::vector<Tensor> shuffled = {raw.regressors_8, raw.scores_16, raw.scores_8,
                                        raw.regressors_16};
  absl::StatusOr<std::vector<FaceDetection>> faces = Decoder().Decode(shuffled, kIdentity);
  ASSERT_THAT(faces, IsOk()) << "matched by size";
  ASSERT_THAT(*faces, SizeIs(1)) << "same face";
  EXPECT_NEAR((*faces)[0].box.x, 104.0f, 1e-4f) << "same box";
}

TEST(FaceDetectionDecoderTest, AcceptsOneCombinedTensor) {
  RawOutputs raw;
  raw.Fire16(kAnchor, 5.0f, kRegressors);
  Tensor combined({896, 17});
  for (int a = 0; a < 896; ++a) {
    const bool fine = a < 512;
    const int i = fine ? a : a - 512;
    combined.data()[a * 17] = fine ? raw.scores_16.data()[i] : raw.scores_8.data()[i];
    for (int k = 0; k < 16; ++k) {
      combined.data()[a * 17 + 1 + k] =
          fine ? raw.regressors_16.data()[i * 16 + k] : raw.regressors_8.data()[i * 16 + k];
    }
  }
  absl::StatusOr<std::vector<FaceDetection>> faces =
      Decoder().Decode(std::vector<Tensor>{combined}, kIdentity);
  ASSERT_THAT(faces, IsOk()) << "896 x 17 layout";
  ASSERT_THAT(*faces, SizeIs(1)) << "one face";
  EXPECT_NEAR((*faces)[0].box.y, 62.0f, 1e-4f) << "same box";
}

TEST(FaceDetectionDecoderTest, MergesNeighbouringAnchorsOfOneFace) {
  RawOutputs raw;
  raw.Fire16(kAnchor, 4.0f, kRegressors);
  // The other anchor of the same cell sees the same face, 2 px to the left.
  std::vector<float> shifted = kRegressors;
  shifted[0] -= 2.0f;
  raw.Fire16(kAnchor - 1, 4.0f, shifted);
  absl::StatusOr<std::vector<FaceDetection>> faces = Decoder().Decode(raw.All(), kIdentity);
  ASSERT_THAT(faces, IsOk()) << "well-formed outputs";
  ASSERT_THAT(*faces, SizeIs(1)) << "duplicates merged";
  EXPECT_NEAR((*faces)[0].box.x, 103.0f, 1e-3f) << "equal weights average the boxes";
}

TEST(FaceDetectionDecoderTest, KeepsSeparateFaces) {
  RawOutputs raw;
  raw.Fire16(kAnchor, 4.0f, kRegressors);
  raw.Fire16(1, 3.0f, kRegressors);  // cell (0, 0): another face far away
  absl::StatusOr<std::vector<FaceDetection>> faces = Decoder().Decode(raw.All(), kIdentity);
  ASSERT_THAT(faces, IsOk()) << "well-formed outputs";
  ASSERT_THAT(*faces, SizeIs(2)) << "two faces";
  EXPECT_GT((*faces)[0].score, (*faces)[1].score) << "best first";
}

TEST(FaceDetectionDecoderTest, DropsWeakSmallAndSurplusFaces) {
  RawOutputs raw;
  raw.Fire16(kAnchor, -1.0f, kRegressors);  // score 0.27
  FaceDetectionOptions options;
  absl::StatusOr<std::vector<FaceDetection>> weak = Decoder(options).Decode(raw.All(), kIdentity);
  ASSERT_THAT(weak, IsOk()) << "well-formed outputs";
  EXPECT_THAT(*weak, SizeIs(0)) << "below score_threshold 0.5";

  raw.Fire16(kAnchor, 5.0f, kRegressors);
  options.min_face_size = 60.0f;
  absl::StatusOr<FaceDetectionDecoder> strict = FaceDetectionDecoder::Create(options, 256, 256);
  ASSERT_THAT(strict, IsOk()) << "valid options";
  absl::StatusOr<std::vector<FaceDetection>> small = strict->Decode(raw.All(), kIdentity);
  ASSERT_THAT(small, IsOk()) << "well-formed outputs";
  EXPECT_THAT(*small, SizeIs(0)) << "40 px face under min_face_size 60";

  raw.Fire16(1, 3.0f, kRegressors);
  FaceDetectionOptions one;
  one.max_detections = 1;
  absl::StatusOr<std::vector<FaceDetection>> capped = Decoder(one).Decode(raw.All(), kIdentity);
  ASSERT_THAT(capped, IsOk()) << "well-formed outputs";
  EXPECT_THAT(*capped, SizeIs(1)) << "max_detections 1";
}

TEST(FaceDetectionDecoderTest, SilentOutputsGiveNoFaces) {
  RawOutputs raw;
  absl::StatusOr<std::vector<FaceDetection>> faces = Decoder().Decode(raw.All(), kIdentity);
  ASSERT_THAT(faces, IsOk()) << "well-formed outputs";
  EXPECT_THAT(*faces, SizeIs(0)) << "no anchor fired";
}

TEST(FaceDetectionDecoderTest, RejectsOutputsThatDoNotFitTheAnchors) {
  RawOutputs raw;
  EXPECT_THAT(Decoder().Decode(std::vector<Tensor>{raw.scores_16, Tensor({100, 16})}, kIdentity),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("matches no anchor layer")))
      << "unknown size";
  EXPECT_THAT(Decoder().Decode(std::vector<Tensor>{raw.scores_16, raw.regressors_16}, kIdentity),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("anchor layer 1")))
      << "missing coarse layer";
  EXPECT_THAT(Decoder().Decode(std::vector<Tensor>{}, kIdentity),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lack")))
      << "no outputs";
}

TEST(FaceDetectionDecoderTest, ReadsItsSettingsFromTheModelConfig) {
  v1::ModelConfig config;
  config.set_name("blazeface");
  v1::TensorSpec* input = config.add_input();
  input->add_dims(256);
  input->add_dims(256);
  input->add_dims(3);
  input->set_layout(v1::TENSOR_LAYOUT_NHWC);
  input->mutable_normalization()->set_color_format(v1::COLOR_FORMAT_RGB);
  input->mutable_normalization()->set_scale(1.0f / 127.5f);
  auto& params = *config.mutable_parameters();
  params["anchor_strides"] = "16,32";
  params["anchors_per_cell"] = "2,6";
  params["keypoints"] = "left_eye,right_eye,nose,mouth,left_ear,right_ear";
  params["score_threshold"] = "0.7";
  absl::StatusOr<FaceDetectionDecoder> decoder = FaceDetectionDecoder::FromConfig(config);
  ASSERT_THAT(decoder, IsOk()) << "valid config";
  EXPECT_EQ(decoder->anchors().size(), 896u) << "layers from strides";
  EXPECT_FLOAT_EQ(decoder->options().score_threshold, 0.7f) << "parameter read";
  EXPECT_EQ(decoder->options().keypoint_order[0], FaceKeypoint::kLeftEye) << "order read";

  params["keypoints"] = "right_eye,left_eye,nose,mouth,right_ear";
  EXPECT_THAT(FaceDetectionDecoder::FromConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("blazeface")))
      << "five keypoints";
  params["keypoints"] = "right_eye,left_eye,nose,mouth,right_ear,left_ear";
  params["min_scor"] = "0.7";
  EXPECT_THAT(FaceDetectionDecoder::FromConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("min_scor")))
      << "unknown key";
}

TEST(FaceDetectionDecoderTest, FillsFaceMessages) {
  FaceDetection detection;
  detection.box = Box{10, 20, 30, 40};
  detection.score = 0.9f;
  for (int k = 0; k < kBlazeFaceKeypoints; ++k) {
    detection.keypoints.push_back(Point{static_cast<float>(k), 1.0f});
  }
  v1::ModelRef detector;
  detector.set_name("blazeface");
  const std::vector<v1::Face> faces =
      FaceDetectionDecoder::ToFaces({detection, detection}, 100, 200, detector);
  ASSERT_THAT(faces, SizeIs(2)) << "one message per face";
  EXPECT_EQ(faces[1].index(), 1) << "index by position";
  EXPECT_FLOAT_EQ(faces[0].box_normalized().height(), 0.2f) << "40 / 200";
  ASSERT_EQ(faces[0].landmarks_size(), 6) << "six landmarks";
  EXPECT_EQ(faces[0].landmarks(1).type(), v1::LANDMARK_TYPE_LEFT_EYE) << "slot 1 = left eye";
  EXPECT_EQ(faces[0].detector().name(), "blazeface") << "detector recorded";
  const FaceDetection back = FaceDetectionFromProto(faces[0]);
  ASSERT_THAT(back.keypoints, SizeIs(6)) << "round trip";
  EXPECT_FLOAT_EQ(back.keypoint(FaceKeypoint::kNoseTip).x, 2.0f) << "nose back in slot 2";
}

}  // namespace
}  // namespace affect::analysis

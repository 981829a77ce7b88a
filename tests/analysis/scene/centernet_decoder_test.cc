#include "server/analysis/scene/centernet_decoder.h"

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

// A 16 x 16 grid of 3 classes over a 64 x 64 input (stride 4).
constexpr int kGrid = 16;
constexpr int kClasses = 3;
constexpr int kInput = 64;

struct Heads {
  Tensor heatmap{{kGrid, kGrid, kClasses}};
  Tensor wh{{kGrid, kGrid, 4}};

  void Set(int y, int x, int c, float score) {
    heatmap.data()[(y * kGrid + x) * kClasses + c] = score;
  }
  void Size(int y, int x, float left, float top, float right, float bottom) {
    float* v = wh.data() + (y * kGrid + x) * 4;
    v[0] = left;
    v[1] = top;
    v[2] = right;
    v[3] = bottom;
  }
};

CenterNetDecoder Decoder(CenterNetOptions options = {}) {
  absl::StatusOr<CenterNetDecoder> decoder =
      CenterNetDecoder::Create(options, {"person", "cup", "tie"}, kInput, kInput);
  EXPECT_THAT(decoder, IsOk()) << "valid options";
  return *std::move(decoder);
}

const InputTransform kIdentity =
    MakeInputTransform(kInput, kInput, kInput, kInput, FitMode::kStretch);

TEST(CenterNetTopKTest, PeakBecomesABoxAtItsCell) {
  Heads heads;
  heads.Set(5, 9, 2, 0.8f);
  heads.Set(5, 10, 2, 0.5f);  // a neighbour, not a peak
  heads.Size(5, 9, 3, 4, 5, 6);
  absl::StatusOr<std::vector<CenterNetPeak>> peaks =
      CenterNetTopK(heads.heatmap, heads.wh, nullptr, kInput, kInput, 100, 0.3f);
  ASSERT_THAT(peaks, IsOk()) << "well-formed heads";
  ASSERT_THAT(*peaks, SizeIs(1)) << "the neighbour is below the 3x3 maximum";
  const CenterNetPeak& p = (*peaks)[0];
  EXPECT_EQ(p.class_id, 2) << "channel = class";
  EXPECT_FLOAT_EQ(p.score, 0.8f) << "heatmap value";
  EXPECT_FLOAT_EQ(p.box.x, 4 * 9 - 3) << "4x - left";
  EXPECT_FLOAT_EQ(p.box.y, 4 * 5 - 4) << "4y - top";
  EXPECT_FLOAT_EQ(p.box.right(), 4 * 9 + 5) << "4x + right";
  EXPECT_FLOAT_EQ(p.box.bottom(), 4 * 5 + 6) << "4y + bottom";
}

TEST(CenterNetTopKTest, EqualNeighboursAreBothPeaksAsInTheGraph) {
  Heads heads;
  heads.Set(3, 3, 0, 0.7f);
  heads.Set(3, 4, 0, 0.7f);
  absl::StatusOr<std::vector<CenterNetPeak>> peaks =
      CenterNetTopK(heads.heatmap, heads.wh, nullptr, kInput, kInput, 100, 0.3f);
  ASSERT_THAT(peaks, IsOk()) << "well-formed heads";
  ASSERT_THAT(*peaks, SizeIs(2)) << "heatmap == maxpool holds for both";
  EXPECT_FLOAT_EQ((*peaks)[0].box.x, 12.0f) << "equal scores in index order: x = 3 first";
}

TEST(CenterNetTopKTest, KeepsTheTopKInScoreOrder) {
  Heads heads;
  heads.Set(0, 0, 0, 0.4f);
  heads.Set(8, 8, 1, 0.9f);
  heads.Set(15, 15, 2, 0.6f);
  absl::StatusOr<std::vector<CenterNetPeak>> peaks =
      CenterNetTopK(heads.heatmap, heads.wh, nullptr, kInput, kInput, 2, 0.3f);
  ASSERT_THAT(peaks, IsOk()) << "well-formed heads";
  ASSERT_THAT(*peaks, SizeIs(2)) << "k = 2";
  EXPECT_FLOAT_EQ((*peaks)[0].score, 0.9f) << "best first";
  EXPECT_FLOAT_EQ((*peaks)[1].score, 0.6f) << "then the next";
}

TEST(CenterNetTopKTest, UsesTheGraphsMaxPoolWhenGiven) {
  Heads heads;
  heads.Set(5, 9, 1, 0.8f);
  Tensor pooled({kGrid, kGrid, kClasses});
  // A pooled map that disagrees with the heatmap marks no peak at all.
  absl::StatusOr<std::vector<CenterNetPeak>> none =
      CenterNetTopK(heads.heatmap, heads.wh, &pooled, kInput, kInput, 100, 0.3f);
  ASSERT_THAT(none, IsOk()) << "well-formed heads";
  EXPECT_THAT(*none, SizeIs(0)) << "peaks come from the given max-pool";
  absl::StatusOr<std::vector<CenterNetPeak>> same =
      CenterNetTopK(heads.heatmap, heads.wh, &heads.heatmap, kInput, kInput, 100, 0.3f);
  ASSERT_THAT(same, IsOk()) << "well-formed heads";
  EXPECT_THAT(*same, SizeIs(1)) << "heatmap == pooled";
}

TEST(CenterNetTopKTest, RejectsMismatchedShapes) {
  Heads heads;
  EXPECT_THAT(CenterNetTopK(heads.heatmap, Tensor({8, 8, 4}), nullptr, kInput, kInput, 100, 0.3f),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")))
      << "wh grid differs";
  EXPECT_THAT(CenterNetTopK(Tensor({kGrid * kGrid}), heads.wh, nullptr, kInput, kInput, 100, 0.3f),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("[H,W,C]")))
      << "flat heatmap";
}

TEST(CenterNetDecoderTest, MapsBoxesToTheImage) {
  Heads heads;
  heads.Set(8, 8, 1, 0.9f);
  heads.Size(8, 8, 4, 4, 4, 4);
  // A 128 x 64 image letterboxed into 64 x 64: scale 0.5, 16 px bars.
  const InputTransform t = MakeInputTransform(128, 64, kInput, kInput, FitMode::kLetterbox);
  absl::StatusOr<std::vector<Detection>> detections =
      Decoder().Decode(std::vector<Tensor>{heads.heatmap, heads.wh}, t);
  ASSERT_THAT(detections, IsOk()) << "well-formed heads";
  ASSERT_THAT(*detections, SizeIs(1)) << "one peak";
  EXPECT_FLOAT_EQ((*detections)[0].box.x, 56.0f) << "(32 - 4) / 0.5";
  EXPECT_FLOAT_EQ((*detections)[0].box.y, 24.0f) << "(28 - 16) / 0.5";
  EXPECT_EQ((*detections)[0].class_id, 1) << "cup";
}

TEST(CenterNetDecoderTest, NmsIsClassAware) {
  Heads heads;
  // A person with a tie on them, and a second person peak on the same body.
  heads.Set(8, 8, 0, 0.9f);
  heads.Size(8, 8, 20, 20, 20, 20);
  heads.Set(8, 6, 0, 0.6f);
  heads.Size(8, 6, 14, 20, 26, 20);
  heads.Set(10, 8, 2, 0.5f);
  heads.Size(10, 8, 2, 6, 2, 6);
  absl::StatusOr<std::vector<Detection>> detections =
      Decoder().Decode(std::vector<Tensor>{heads.heatmap, heads.wh}, kIdentity);
  ASSERT_THAT(detections, IsOk()) << "well-formed heads";
  ASSERT_THAT(*detections, SizeIs(2)) << "duplicate person dropped, tie kept";
  EXPECT_EQ((*detections)[0].class_id, 0) << "person";
  EXPECT_EQ((*detections)[1].class_id, 2) << "tie survives inside the person box";
}

TEST(CenterNetDecoderTest, SameBoxOfTwoClassesKeepsTheBetter) {
  Heads heads;
  heads.Set(8, 8, 0, 0.54f);
  heads.Set(8, 8, 1, 0.41f);
  heads.Size(8, 8, 6, 3, 6, 3);
  absl::StatusOr<std::vector<Detection>> detections =
      Decoder().Decode(std::vector<Tensor>{heads.heatmap, heads.wh}, kIdentity);
  ASSERT_THAT(detections, IsOk()) << "well-formed heads";
  ASSERT_THAT(*detections, SizeIs(1)) << "one object, two labels on one cell";
  EXPECT_EQ((*detections)[0].class_id, 0) << "higher score kept";
}

TEST(CenterNetDecoderTest, DropsScoresBelowTheThreshold) {
  Heads heads;
  heads.Set(4, 4, 0, 0.29f);
  absl::StatusOr<std::vector<Detection>> detections =
      Decoder().Decode(std::vector<Tensor>{heads.heatmap, heads.wh}, kIdentity);
  ASSERT_THAT(detections, IsOk()) << "well-formed heads";
  EXPECT_THAT(*detections, SizeIs(0)) << "below 0.3";
}

TEST(CenterNetDecoderTest, RejectsALabelCountMismatchAndBadOutputs) {
  absl::StatusOr<CenterNetDecoder> coco =
      CenterNetDecoder::Create(CenterNetOptions{}, {}, kInput, kInput);
  ASSERT_THAT(coco, IsOk()) << "defaults to COCO labels";
  Heads heads;
  EXPECT_THAT(coco->Decode(std::vector<Tensor>{heads.heatmap, heads.wh}, kIdentity),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("80 labels")))
      << "3 classes vs 80 labels";
  EXPECT_THAT(Decoder().Decode(std::vector<Tensor>{heads.heatmap}, kIdentity),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2 or 3 outputs")))
      << "wh missing";
}

TEST(CenterNetDecoderTest, ChecksTheConfiguredStride) {
  CenterNetOptions options;
  options.stride = 8.0f;
  Heads heads;
  EXPECT_THAT(Decoder(options).Decode(std::vector<Tensor>{heads.heatmap, heads.wh}, kIdentity),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stride")))
      << "64 / 16 is 4, not 8";
}

TEST(CenterNetDecoderTest, FillsObjectMessagesClippedToTheImage) {
  Detection d;
  d.box = Box{-10, 5, 30, 20};
  d.score = 0.7f;
  d.class_id = 1;
  const std::vector<v1::DetectedObject> objects = Decoder().ToObjects({d}, 100, 50);
  ASSERT_THAT(objects, SizeIs(1)) << "one object";
  EXPECT_EQ(objects[0].label(), "cup") << "label from the list";
  EXPECT_FLOAT_EQ(objects[0].box().x(), 0.0f) << "clipped";
  EXPECT_FLOAT_EQ(objects[0].box().width(), 20.0f) << "clipped";
  EXPECT_FLOAT_EQ(objects[0].box_normalized().height(), 0.4f) << "20 / 50";
}

}  // namespace
}  // namespace affect::analysis

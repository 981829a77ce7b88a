#include "server/analysis/geometry.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace affect::analysis {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatNear;
using ::testing::SizeIs;

Detection Det(Box box, float score, int class_id = -1, std::vector<Point> keypoints = {}) {
  Detection d;
  d.box = box;
  d.score = score;
  d.class_id = class_id;
  d.keypoints = std::move(keypoints);
  return d;
}

TEST(GeometryTest, IoUOfIdenticalBoxesIsOne) {
  EXPECT_FLOAT_EQ(IoU(Box{10, 10, 20, 20}, Box{10, 10, 20, 20}), 1.0f) << "same box";
}

TEST(GeometryTest, IoUOfDisjointBoxesIsZero) {
  EXPECT_FLOAT_EQ(IoU(Box{0, 0, 10, 10}, Box{20, 20, 10, 10}), 0.0f) << "no overlap";
  EXPECT_FLOAT_EQ(IoU(Box{0, 0, 10, 10}, Box{10, 0, 10, 10}), 0.0f) << "touching edges";
}

TEST(GeometryTest, IoUOfHalfShiftedBoxesIsOneThird) {
  // Intersection 50, union 150.
  EXPECT_NEAR(IoU(Box{0, 0, 10, 10}, Box{5, 0, 10, 10}), 1.0f / 3.0f, 1e-6f) << "half shift";
}

TEST(GeometryTest, IoUOfEmptyBoxesIsZero) {
  EXPECT_FLOAT_EQ(IoU(Box{0, 0, 0, 0}, Box{0, 0, 0, 0}), 0.0f) << "empty union";
}

TEST(GeometryTest, IntersectionOverAreaMeasuresTheInnerBox) {
  EXPECT_FLOAT_EQ(IntersectionOverArea(Box{0, 0, 10, 10}, Box{0, 0, 100, 100}), 1.0f)
      << "inner fully inside";
  EXPECT_FLOAT_EQ(IntersectionOverArea(Box{90, 0, 20, 10}, Box{0, 0, 100, 100}), 0.5f)
      << "half outside";
  EXPECT_FLOAT_EQ(IntersectionOverArea(Box{0, 0, 0, 10}, Box{0, 0, 100, 100}), 0.0f)
      << "empty inner";
}

TEST(GeometryTest, ClipBoxKeepsThePartInsideTheImage) {
  const Box clipped = ClipBox(Box{-10, 90, 50, 50}, 100, 120);
  EXPECT_FLOAT_EQ(clipped.x, 0.0f) << "left edge";
  EXPECT_FLOAT_EQ(clipped.y, 90.0f) << "top";
  EXPECT_FLOAT_EQ(clipped.width, 40.0f) << "width cut at 0";
  EXPECT_FLOAT_EQ(clipped.height, 30.0f) << "height cut at 120";
  EXPECT_TRUE(ClipBox(Box{200, 200, 10, 10}, 100, 100).empty()) << "outside box clips to empty";
}

TEST(GeometryTest, ExpandAndSquareKeepTheCentre) {
  const Box grown = ExpandBox(Box{10, 20, 100, 50}, 0.1f);
  EXPECT_FLOAT_EQ(grown.x, 0.0f) << "10% of width on the left";
  EXPECT_FLOAT_EQ(grown.width, 120.0f) << "10% on each side";
  EXPECT_FLOAT_EQ(grown.height, 60.0f) << "10% of height top and bottom";
  const Box square = SquareAround(Box{0, 0, 100, 50});
  EXPECT_FLOAT_EQ(square.height, 100.0f) << "longer side";
  EXPECT_FLOAT_EQ(square.center_y(), 25.0f) << "same centre";
}

TEST(NonMaxSuppressionTest, DropsOverlapsOfTheBestBox) {
  const std::vector<Detection> kept = NonMaxSuppression(
      {Det({0, 0, 10, 10}, 0.6f), Det({1, 0, 10, 10}, 0.9f), Det({50, 50, 10, 10}, 0.5f)},
      NmsOptions{0.5f, 0, false});
  ASSERT_THAT(kept, SizeIs(2)) << "the overlapping weaker box goes";
  EXPECT_FLOAT_EQ(kept[0].score, 0.9f) << "best first";
  EXPECT_FLOAT_EQ(kept[1].score, 0.5f) << "the separate box stays";
}

TEST(NonMaxSuppressionTest, ClassAwareKeepsOverlappingBoxesOfOtherClasses) {
  const std::vector<Detection> input = {Det({0, 0, 10, 10}, 0.9f, 0), Det({1, 0, 10, 10}, 0.8f, 27),
                                        Det({0, 1, 10, 10}, 0.7f, 0)};
  const std::vector<Detection> aware = NonMaxSuppression(input, NmsOptions{0.5f, 0, true});
  ASSERT_THAT(aware, SizeIs(2)) << "same class suppressed, other class kept";
  EXPECT_EQ(aware[1].class_id, 27) << "the other class survives";
  EXPECT_THAT(NonMaxSuppression(input, NmsOptions{0.5f, 0, false}), SizeIs(1))
      << "class-agnostic keeps one";
}

TEST(NonMaxSuppressionTest, StopsAtMaxDetections) {
  const std::vector<Detection> kept = NonMaxSuppression(
      {Det({0, 0, 10, 10}, 0.9f), Det({20, 0, 10, 10}, 0.8f), Det({40, 0, 10, 10}, 0.7f)},
      NmsOptions{0.5f, 2, false});
  EXPECT_THAT(kept, SizeIs(2)) << "max_detections = 2";
}

TEST(NonMaxSuppressionTest, EqualScoresKeepInputOrder) {
  const std::vector<Detection> kept = NonMaxSuppression(
      {Det({0, 0, 10, 10}, 0.5f, 1), Det({30, 0, 10, 10}, 0.5f, 2)}, NmsOptions{0.5f, 0, false});
  ASSERT_THAT(kept, SizeIs(2)) << "disjoint";
  EXPECT_EQ(kept[0].class_id, 1) << "ties keep input order";
}

TEST(WeightedNonMaxSuppressionTest, MergesDuplicatesByScore) {
  const std::vector<Detection> kept = WeightedNonMaxSuppression(
      {Det({0, 0, 10, 10}, 0.75f, -1, {{2, 2}}), Det({2, 0, 10, 10}, 0.25f, -1, {{6, 2}})},
      NmsOptions{0.3f, 0, false});
  ASSERT_THAT(kept, SizeIs(1)) << "one face";
  EXPECT_NEAR(kept[0].box.x, 0.5f, 1e-5f) << "0.75 * 0 + 0.25 * 2";
  EXPECT_NEAR(kept[0].box.right(), 10.5f, 1e-5f) << "0.75 * 10 + 0.25 * 12";
  EXPECT_NEAR(kept[0].keypoints[0].x, 3.0f, 1e-5f) << "0.75 * 2 + 0.25 * 6";
  EXPECT_FLOAT_EQ(kept[0].score, 0.75f) << "score of the top member";
}

TEST(WeightedNonMaxSuppressionTest, KeepsSeparateFacesApart) {
  const std::vector<Detection> kept = WeightedNonMaxSuppression(
      {Det({0, 0, 10, 10}, 0.9f), Det({100, 0, 10, 10}, 0.8f), Det({1, 0, 10, 10}, 0.7f)},
      NmsOptions{0.3f, 0, false});
  ASSERT_THAT(kept, SizeIs(2)) << "two faces";
  EXPECT_FLOAT_EQ(kept[1].box.x, 100.0f) << "the far face is untouched";
  EXPECT_THAT(std::vector<float>({kept[0].score, kept[1].score}),
              ElementsAre(FloatNear(0.9f, 1e-6f), FloatNear(0.8f, 1e-6f)))
      << "best first";
}

}  // namespace
}  // namespace affect::analysis

#include "server/analysis/face/blazeface_anchors.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace affect::analysis {
namespace {

TEST(BlazeFaceAnchorsTest, BackModelHas896Anchors) {
  EXPECT_EQ(GenerateAnchors(BlazeFaceBackLayers()).size(), 896u) << "16*16*2 + 8*8*6";
}

TEST(BlazeFaceAnchorsTest, FirstLayerStartsAtTheTopLeftCellCentre) {
  const std::vector<Point> anchors = GenerateAnchors(BlazeFaceBackLayers());
  EXPECT_FLOAT_EQ(anchors[0].x, 0.5f / 16.0f) << "cell (0,0) centre x";
  EXPECT_FLOAT_EQ(anchors[0].y, 0.5f / 16.0f) << "cell (0,0) centre y";
  EXPECT_FLOAT_EQ(anchors[1].x, anchors[0].x) << "two anchors share a cell";
  EXPECT_FLOAT_EQ(anchors[2].x, 1.5f / 16.0f) << "next cell to the right";
  EXPECT_FLOAT_EQ(anchors[32].y, 1.5f / 16.0f) << "second row after 16 cells x 2";
  EXPECT_FLOAT_EQ(anchors[511].x, 15.5f / 16.0f) << "last cell of the 16x16 grid";
}

TEST(BlazeFaceAnchorsTest, SecondLayerUsesTheCoarseGrid) {
  const std::vector<Point> anchors = GenerateAnchors(BlazeFaceBackLayers());
  EXPECT_FLOAT_EQ(anchors[512].x, 0.5f / 8.0f) << "8x8 grid starts at its first cell";
  EXPECT_FLOAT_EQ(anchors[517].x, 0.5f / 8.0f) << "six anchors per cell";
  EXPECT_FLOAT_EQ(anchors[518].x, 1.5f / 8.0f) << "then the next cell";
  EXPECT_FLOAT_EQ(anchors[895].y, 7.5f / 8.0f) << "last anchor in the last row";
}

}  // namespace
}  // namespace affect::analysis

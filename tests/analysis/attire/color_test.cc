#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/analysis/attire/color_clustering.h"
#include "server/analysis/attire/color_palette.h"
#include "server/analysis/attire/color_space.h"

namespace affect::analysis {
namespace {

using ::testing::SizeIs;

std::string NameOf(uint8_t r, uint8_t g, uint8_t b) {
  return GarmentPalette()[static_cast<size_t>(NearestPaletteColor(RgbToLab(Rgb{r, g, b})))].name;
}

std::vector<Rgb> Pixels(std::initializer_list<std::pair<Rgb, int>> runs) {
  std::vector<Rgb> pixels;
  for (const auto& [color, count] : runs) pixels.insert(pixels.end(), count, color);
  return pixels;
}

TEST(ColorSpaceTest, WhiteAndBlackHitTheEndsOfLightness) {
  const Lab white = RgbToLab(Rgb{255, 255, 255});
  EXPECT_NEAR(white.l, 100.0f, 0.01f) << "L* of white";
  EXPECT_NEAR(white.a, 0.0f, 0.01f) << "neutral";
  EXPECT_NEAR(white.b, 0.0f, 0.01f) << "neutral";
  EXPECT_NEAR(RgbToLab(Rgb{0, 0, 0}).l, 0.0f, 1e-4f) << "L* of black";
}

TEST(ColorSpaceTest, LabRoundTripsToTheSameRgb) {
  const Rgb back = LabToRgb(RgbToLab(Rgb{12, 200, 90}));
  EXPECT_EQ(back.r, 12) << "red";
  EXPECT_EQ(back.g, 200) << "green";
  EXPECT_EQ(back.b, 90) << "blue";
}

TEST(ColorSpaceTest, DeltaE2000MatchesSharmasTestData) {
  // Sharma, Wu & Dalal (2005), Table 1, pairs 1, 7 and 17.
  EXPECT_NEAR(DeltaE2000({50.0f, 2.6772f, -79.7751f}, {50.0f, 0.0f, -82.7485f}), 2.0425f, 1e-4f)
      << "pair 1";
  EXPECT_NEAR(DeltaE2000({50.0f, 0.0f, 0.0f}, {50.0f, -1.0f, 2.0f}), 2.3669f, 1e-4f) << "pair 7";
  EXPECT_NEAR(DeltaE2000({50.0f, 2.5f, 0.0f}, {73.0f, 25.0f, -18.0f}), 27.1492f, 1e-4f)
      << "pair 17";
}

TEST(ColorSpaceTest, LightnessWeightForgivesShading) {
  const Lab skin = RgbToLab(Rgb{200, 150, 130});
  const Lab shaded = RgbToLab(Rgb{140, 100, 85});
  EXPECT_LT(DeltaE2000(skin, shaded, 3.0f), DeltaE2000(skin, shaded)) << "kL = 3 vs 1";
}

TEST(ColorPaletteTest, NamesPureColours) {
  EXPECT_EQ(NameOf(255, 0, 0), "red") << "pure red";
  EXPECT_EQ(NameOf(0, 0, 255), "blue") << "pure blue";
  EXPECT_EQ(NameOf(0, 255, 0), "green") << "pure green";
  EXPECT_EQ(NameOf(255, 255, 255), "white") << "white";
  EXPECT_EQ(NameOf(0, 0, 0), "black") << "black";
  EXPECT_EQ(NameOf(128, 128, 128), "grey") << "mid grey";
  EXPECT_EQ(NameOf(255, 255, 0), "yellow") << "yellow";
  EXPECT_EQ(NameOf(0, 0, 128), "navy") << "CSS navy";
  EXPECT_EQ(NameOf(128, 0, 0), "maroon") << "CSS maroon";
  EXPECT_EQ(NameOf(255, 165, 0), "orange") << "CSS orange";
  EXPECT_EQ(NameOf(128, 0, 128), "purple") << "CSS purple";
  EXPECT_EQ(NameOf(255, 192, 203), "pink") << "CSS pink";
  EXPECT_EQ(NameOf(0, 128, 128), "teal") << "CSS teal";
  EXPECT_EQ(NameOf(128, 128, 0), "olive") << "CSS olive";
  EXPECT_EQ(NameOf(139, 69, 19), "brown") << "saddle brown";
  EXPECT_EQ(NameOf(173, 216, 230), "light blue") << "CSS light blue";
}

TEST(ColorPaletteTest, NamesGarmentColoursAsPhotographed) {
  EXPECT_EQ(NameOf(35, 45, 75), "navy") << "a navy shirt in daylight";
  EXPECT_EQ(NameOf(70, 90, 130), "blue") << "denim";
  EXPECT_EQ(NameOf(195, 176, 145), "beige") << "khaki";
  EXPECT_EQ(NameOf(60, 60, 65), "dark grey") << "charcoal";
}

TEST(ColorPaletteTest, EveryCentreNamesItself) {
  ASSERT_THAT(GarmentPalette(), SizeIs(21)) << "documented palette size";
  for (const PaletteColor& color : GarmentPalette()) {
    EXPECT_EQ(NameOf(color.rgb.r, color.rgb.g, color.rgb.b), color.name) << "centre of a name";
  }
}

TEST(DominantColorsTest, OneColourHasTheWholeShare) {
  const std::vector<NamedColorShare> colors =
      DominantColors(Pixels({{Rgb{200, 30, 35}, 500}}), ColorClusteringOptions{});
  ASSERT_THAT(colors, SizeIs(1)) << "one colour";
  EXPECT_EQ(colors[0].name, "red") << "named";
  EXPECT_FLOAT_EQ(colors[0].share, 1.0f) << "all pixels";
  EXPECT_EQ(colors[0].rgb.r, 200) << "mean RGB of the pixels";
}

TEST(DominantColorsTest, TwoColoursSplitTheShares) {
  const std::vector<NamedColorShare> colors = DominantColors(
      Pixels({{Rgb{30, 40, 80}, 700}, {Rgb{240, 240, 240}, 300}}), ColorClusteringOptions{});
  ASSERT_THAT(colors, SizeIs(2)) << "two colours";
  EXPECT_EQ(colors[0].name, "navy") << "largest first";
  EXPECT_NEAR(colors[0].share, 0.7f, 1e-6f) << "70%";
  EXPECT_EQ(colors[1].name, "white") << "then white";
  EXPECT_NEAR(colors[1].share, 0.3f, 1e-6f) << "30%";
}

TEST(DominantColorsTest, ShadesOfOneColourMergeUnderOneName) {
  const std::vector<NamedColorShare> colors =
      DominantColors(Pixels({{Rgb{190, 25, 30}, 300}, {Rgb{215, 40, 45}, 300},
                             {Rgb{170, 20, 28}, 300}}),
                     ColorClusteringOptions{});
  ASSERT_THAT(colors, SizeIs(1)) << "three reds, one name";
  EXPECT_EQ(colors[0].name, "red") << "named once";
  EXPECT_FLOAT_EQ(colors[0].share, 1.0f) << "all pixels";
}

// A red top in strong light: its lit side (170,60,35) is red, its shadowed
// side (100,17,7) is, by any palette, maroon.
TEST(DominantColorsTest, ShadedRedTopIsRed) {
  const std::vector<Rgb> top = Pixels({{Rgb{100, 17, 7}, 600}, {Rgb{170, 60, 35}, 400}});
  const std::vector<NamedColorShare> colors = DominantColors(top, ColorClusteringOptions{});
  ASSERT_THAT(colors, SizeIs(1)) << "light and shadow of one fabric";
  EXPECT_EQ(colors[0].name, "red") << "named by its lit side";
  EXPECT_FLOAT_EQ(colors[0].share, 1.0f) << "all pixels";

  ColorClusteringOptions ungrouped;
  ungrouped.shades.enabled = false;
  const std::vector<NamedColorShare> apart = DominantColors(top, ungrouped);
  ASSERT_THAT(apart, SizeIs(2)) << "without shade grouping";
  EXPECT_EQ(apart[0].name, "maroon") << "the larger shadowed side wins";
}

TEST(DominantColorsTest, BlackWithGreyHighlightsStaysBlack) {
  const std::vector<NamedColorShare> colors = DominantColors(
      Pixels({{Rgb{20, 20, 22}, 700}, {Rgb{70, 70, 72}, 300}}), ColorClusteringOptions{});
  ASSERT_THAT(colors, SizeIs(2)) << "achromatic clusters are never grouped";
  EXPECT_EQ(colors[0].name, "black") << "largest first";
  EXPECT_EQ(colors[1].name, "dark grey") << "the highlights keep their own name";
}

TEST(DominantColorsTest, RedTopAndSkinStayApart) {
  const std::vector<NamedColorShare> colors = DominantColors(
      Pixels({{Rgb{166, 45, 27}, 600}, {Rgb{200, 150, 130}, 400}}), ColorClusteringOptions{});
  ASSERT_THAT(colors, SizeIs(2)) << "skin is not the top's lit side";
  EXPECT_EQ(colors[0].name, "red") << "the top";
  EXPECT_NEAR(colors[0].share, 0.6f, 1e-6f) << "its pixels only";
}

TEST(DominantColorsTest, IsDeterministic) {
  std::vector<Rgb> pixels;
  for (int i = 0; i < 3000; ++i) {
    pixels.push_back(Rgb{static_cast<uint8_t>((i * 37) % 256), static_cast<uint8_t>((i * 91) % 256),
                         static_cast<uint8_t>((i * 53) % 256)});
  }
  const std::vector<NamedColorShare> first = DominantColors(pixels, ColorClusteringOptions{});
  const std::vector<NamedColorShare> second = DominantColors(pixels, ColorClusteringOptions{});
  ASSERT_EQ(first.size(), second.size()) << "same number of colours";
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].name, second[i].name) << "same names";
    EXPECT_EQ(first[i].share, second[i].share) << "same shares, bit for bit";
  }
}

TEST(DominantColorsTest, TooFewPixelsGiveNoColour) {
  EXPECT_TRUE(DominantColors(Pixels({{Rgb{255, 0, 0}, 10}}), ColorClusteringOptions{}).empty())
      << "below min_pixels";
}

TEST(DominantColorsTest, SmallSharesAreDropped) {
  const std::vector<NamedColorShare> colors = DominantColors(
      Pixels({{Rgb{200, 30, 35}, 950}, {Rgb{30, 75, 205}, 50}}), ColorClusteringOptions{});
  ASSERT_THAT(colors, SizeIs(1)) << "5% blue is under min_share";
  EXPECT_NEAR(colors[0].share, 0.95f, 1e-6f) << "shares stay of all pixels";
}

}  // namespace
}  // namespace affect::analysis

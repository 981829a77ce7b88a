#include "server/analysis/attire/shade_grouping.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/analysis/attire/color_palette.h"
#include "server/analysis/attire/color_space.h"

namespace affect::analysis {
namespace {

using ::testing::ElementsAre;

Lab LabOf(uint8_t r, uint8_t g, uint8_t b) { return RgbToLab(Rgb{r, g, b}); }

std::string NameOf(const Lab& lab) {
  return GarmentPalette()[static_cast<size_t>(NearestPaletteColor(lab))].name;
}

std::vector<Lab> Samples(std::initializer_list<std::pair<Rgb, int>> runs) {
  std::vector<Lab> samples;
  for (const auto& [color, count] : runs) samples.insert(samples.end(), count, RgbToLab(color));
  return samples;
}

TEST(ChromaAndHueTest, MatchTheLabDefinitions) {
  EXPECT_NEAR(Chroma(Lab{50.0f, 3.0f, 4.0f}), 5.0f, 1e-5f) << "hypot(a*, b*)";
  EXPECT_NEAR(HueDegrees(Lab{50.0f, 0.0f, 10.0f}), 90.0f, 1e-4f) << "+b* is 90 degrees";
  EXPECT_NEAR(HueDegrees(Lab{50.0f, 0.0f, -10.0f}), 270.0f, 1e-4f) << "angles in [0, 360)";
}

TEST(GroupShadesTest, LitAndShadowedRedAreOneMaterial) {
  // Measured on a red top in sample5: lit ~(165,45,25), shadow ~(85,15,5).
  const std::vector<Lab> centers = {LabOf(166, 45, 27), LabOf(84, 12, 5)};
  EXPECT_THAT(GroupShades(centers, ShadeGroupingOptions{}), ElementsAre(0, 0))
      << "hues 3.5 degrees apart, the lit side the more chromatic";
}

TEST(GroupShadesTest, PalerLighterColourOfASimilarHueIsAnotherMaterial) {
  // Skin (hue 48, chroma 24) beside a red top (hue 39, chroma 62): hues
  // within 12 degrees, but shade cannot make a colour paler and lighter.
  const std::vector<Lab> centers = {LabOf(166, 45, 27), LabOf(200, 150, 130)};
  EXPECT_THAT(GroupShades(centers, ShadeGroupingOptions{}), ElementsAre(0, 1))
      << "the lighter cluster has under 0.8 of the darker's chroma";
}

TEST(GroupShadesTest, DifferentHuesStayApart) {
  const std::vector<Lab> centers = {LabOf(166, 45, 27), LabOf(128, 44, 68)};
  EXPECT_THAT(GroupShades(centers, ShadeGroupingOptions{}), ElementsAre(0, 1))
      << "red (hue 39) and a purplish maroon (hue 7)";
}

TEST(GroupShadesTest, AchromaticClustersAreNeverGrouped) {
  const std::vector<Lab> centers = {LabOf(20, 20, 22), LabOf(70, 70, 72), LabOf(166, 45, 27)};
  EXPECT_THAT(GroupShades(centers, ShadeGroupingOptions{}), ElementsAre(0, 1, 2))
      << "black, dark grey and red are three materials";
}

TEST(GroupShadesTest, GroupsBySingleLinkageWithStableIds) {
  // Hues about 41, 34 and 27 degrees: neighbours within 12 degrees, the
  // ends 14 apart; a blue between them must not change the ids.
  const std::vector<Lab> centers = {Lab{40.0f, 45.0f, 39.0f}, Lab{30.0f, 120.0f, -80.0f},
                                    Lab{30.0f, 40.0f, 27.0f}, Lab{20.0f, 35.0f, 18.0f}};
  EXPECT_THAT(GroupShades(centers, ShadeGroupingOptions{}), ElementsAre(0, 1, 0, 0))
      << "a chain of shades is one material";
}

TEST(GroupShadesTest, DisabledGroupsNothing) {
  ShadeGroupingOptions options;
  options.enabled = false;
  const std::vector<Lab> centers = {LabOf(166, 45, 27), LabOf(84, 12, 5)};
  EXPECT_THAT(GroupShades(centers, options), ElementsAre(0, 1)) << "every cluster alone";
}

TEST(NamingColorTest, ChromaticGroupIsNamedByItsLitSurface) {
  const std::vector<Lab> top = Samples({{Rgb{100, 17, 7}, 600}, {Rgb{170, 60, 35}, 400}});
  ShadeGroupingOptions by_mean;
  by_mean.enabled = false;
  EXPECT_EQ(NameOf(NamingColor(top, by_mean)), "maroon") << "the mean is dark";
  EXPECT_EQ(NameOf(NamingColor(top, ShadeGroupingOptions{})), "red")
      << "the brightest quarter (less highlights) is the lit side";
}

TEST(NamingColorTest, AchromaticGroupKeepsItsMean) {
  const std::vector<Lab> dress = Samples({{Rgb{20, 20, 22}, 700}, {Rgb{70, 70, 72}, 300}});
  EXPECT_EQ(NameOf(NamingColor(dress, ShadeGroupingOptions{})), "black")
      << "highlights do not rename a black dress";
}

TEST(NamingColorTest, LeavesOutSpecularHighlights) {
  // 4 % near-white highlights on a red fabric, all above the 95th
  // percentile of lightness: the lit band holds the lit red alone.
  const Lab lit = LabOf(180, 50, 35);
  const std::vector<Lab> fabric =
      Samples({{Rgb{120, 25, 15}, 500}, {Rgb{180, 50, 35}, 460}, {Rgb{250, 235, 230}, 40}});
  const Lab naming = NamingColor(fabric, ShadeGroupingOptions{});
  EXPECT_NEAR(naming.l, lit.l, 0.01f) << "highlights would raise the lightness";
  EXPECT_NEAR(naming.a, lit.a, 0.01f) << "and pale the colour";
}

}  // namespace
}  // namespace affect::analysis

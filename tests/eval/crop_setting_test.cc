// Parsing of `affect-client eval --crop_policies`.
#include "client/eval/crop_setting.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect::eval {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;

TEST(CropSettingTest, ConfiguredKeepsEachModelsOwnPolicy) {
  const absl::StatusOr<CropSetting> setting = ParseCropSetting("configured");
  ASSERT_THAT(setting, IsOk()) << "a preset";
  EXPECT_EQ(setting->name, "configured") << "keeps its name";
  EXPECT_FALSE(setting->policy.has_value()) << "no policy: the config's face_crop is used";
}

TEST(CropSettingTest, PresetsGiveTheDocumentedPolicies) {
  const absl::StatusOr<CropSetting> margin = ParseCropSetting("margin20");
  ASSERT_THAT(margin, IsOk()) << "a preset";
  ASSERT_TRUE(margin->policy.has_value()) << "margin20 sets a policy";
  EXPECT_EQ(margin->policy->box_source(), v1::FaceCropPolicy::BOX_SOURCE_DETECTOR)
      << "detector box";
  EXPECT_TRUE(margin->policy->square()) << "made square";
  EXPECT_FLOAT_EQ(margin->policy->margin(), 0.2f) << "20% on each side";
  EXPECT_FALSE(margin->policy->align_eyes()) << "not aligned";

  const absl::StatusOr<CropSetting> aligned = ParseCropSetting("keypoints_aligned");
  ASSERT_THAT(aligned, IsOk()) << "a preset";
  EXPECT_EQ(aligned->policy->box_source(), v1::FaceCropPolicy::BOX_SOURCE_KEYPOINTS)
      << "keypoint box";
  EXPECT_TRUE(aligned->policy->align_eyes()) << "aligned";
}

TEST(CropSettingTest, EveryPresetParsesAndItsSpecReadsBack) {
  for (const CropPreset& preset : CropPresets()) {
    const absl::StatusOr<CropSetting> setting = ParseCropSetting(preset.name);
    ASSERT_THAT(setting, IsOk()) << preset.name;
    if (!setting->policy.has_value()) continue;
    EXPECT_EQ(DescribeCropPolicy(*setting->policy), preset.spec) << preset.name;
  }
}

TEST(CropSettingTest, SpecsCombineTerms) {
  const absl::StatusOr<CropSetting> setting = ParseCropSetting("keypoints+align+margin=0.05");
  ASSERT_THAT(setting, IsOk()) << "a spec";
  EXPECT_EQ(setting->name, "keypoints+align+margin=0.05") << "named as given";
  EXPECT_EQ(setting->policy->box_source(), v1::FaceCropPolicy::BOX_SOURCE_KEYPOINTS)
      << "box source";
  EXPECT_TRUE(setting->policy->align_eyes()) << "align";
  EXPECT_FLOAT_EQ(setting->policy->margin(), 0.05f) << "margin";
  EXPECT_EQ(DescribeCropPolicy(*setting->policy), "keypoints+align+margin=0.05")
      << "the description reads back";
}

TEST(CropSettingTest, RejectsUnknownNamesAndMalformedSpecs) {
  EXPECT_THAT(ParseCropSetting("loose"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown crop policy")))
      << "not a preset";
  EXPECT_THAT(ParseCropSetting("square+detector"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must start with a box")))
      << "box source first";
  EXPECT_THAT(ParseCropSetting("detector+keypoints"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must come first")))
      << "one box source";
  EXPECT_THAT(ParseCropSetting("detector+margin=-0.6"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("> -0.5")))
      << "a margin that empties the box";
  EXPECT_THAT(ParseCropSetting("detector+margin=wide"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be a number")))
      << "not a number";
  EXPECT_THAT(ParseCropSetting("detector+zoom"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown term 'zoom'")))
      << "unknown term";
}

TEST(CropSettingTest, ListsKeepTheirOrderAndRefuseRepeatsAndEmptiness) {
  const absl::StatusOr<std::vector<CropSetting>> settings =
      ParseCropSettings("square, aligned,,keypoints");
  ASSERT_THAT(settings, IsOk()) << "spaces and empty items are fine";
  ASSERT_EQ(settings->size(), 3u) << "three settings";
  EXPECT_EQ((*settings)[0].name, "square") << "in order";
  EXPECT_EQ((*settings)[2].name, "keypoints") << "in order";
  EXPECT_THAT(ParseCropSettings("square,square"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")))
      << "a repeat";
  EXPECT_THAT(ParseCropSettings(" , "),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no crop policy")))
      << "nothing to try";
}

TEST(CropSettingTest, TheDefaultListHasEveryPreset) {
  const absl::StatusOr<std::vector<CropSetting>> settings =
      ParseCropSettings(DefaultCropSettings());
  ASSERT_THAT(settings, IsOk()) << DefaultCropSettings();
  EXPECT_EQ(settings->size(), CropPresets().size()) << "one per preset";
}

}  // namespace
}  // namespace affect::eval

#include "server/analysis/scene/scene_evidence.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/analysis/scene/coco_labels.h"

namespace affect::analysis {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;

DetectedObjects Objects(std::initializer_list<std::pair<const char*, float>> list) {
  DetectedObjects objects;
  for (const auto& [label, score] : list) {
    v1::DetectedObject* o = objects.Add();
    o->set_label(label);
    o->set_score(score);
  }
  return objects;
}

TEST(SceneCategoriesTest, CouchTvAndRemoteMeanLivingRoom) {
  const auto categories =
      InferSceneCategories(Objects({{"couch", 0.8f}, {"tv", 0.7f}, {"remote", 0.6f}}), {});
  ASSERT_FALSE(categories.empty()) << "evidence present";
  EXPECT_EQ(categories[0].category(), "living_room") << "first candidate";
  EXPECT_THAT(categories[0].evidence(), ElementsAre("couch", "tv", "remote"))
      << "largest contribution first";
  EXPECT_GT(categories[0].score(), 0.5f) << "most of the evidence";
}

TEST(SceneCategoriesTest, CarsAndTrafficLightsMeanStreet) {
  const auto categories =
      InferSceneCategories(Objects({{"car", 0.8f}, {"traffic light", 0.6f}}), {});
  ASSERT_FALSE(categories.empty()) << "evidence present";
  EXPECT_EQ(categories[0].category(), "street") << "first candidate";
}

TEST(SceneCategoriesTest, ScoresAreSharesOfTheEvidence) {
  const auto categories =
      InferSceneCategories(Objects({{"bed", 1.0f}, {"laptop", 1.0f}}), {});
  ASSERT_EQ(categories.size(), 2u) << "bedroom and office";
  EXPECT_FLOAT_EQ(categories[0].score() + categories[1].score(), 1.0f) << "shares sum to 1";
  EXPECT_EQ(categories[0].category(), "office") << "equal scores: table order";
}

TEST(SceneCategoriesTest, ManyChairsDoNotOutweighOneBed) {
  const auto categories = InferSceneCategories(
      Objects({{"bed", 0.9f}, {"chair", 0.9f}, {"chair", 0.9f}, {"chair", 0.9f}, {"chair", 0.9f}}),
      {});
  ASSERT_FALSE(categories.empty()) << "evidence present";
  EXPECT_EQ(categories[0].category(), "bedroom") << "noisy-OR caps repeated labels";
}

TEST(SceneCategoriesTest, NoEvidenceMeansNoCategory) {
  EXPECT_TRUE(InferSceneCategories(Objects({{"person", 0.9f}}), {}).empty())
      << "people say nothing about the place";
  EXPECT_TRUE(InferSceneCategories(Objects({{"book", 0.5f}}), {}).empty())
      << "0.3 x 0.5 is below min_category_evidence";
}

TEST(EnvironmentTest, StreetObjectsMeanOutdoor) {
  const EnvironmentEstimate e =
      EstimateEnvironment(Objects({{"car", 0.8f}, {"traffic light", 0.6f}}), {});
  EXPECT_EQ(e.environment, v1::ENVIRONMENT_OUTDOOR) << "car + traffic light";
  EXPECT_FLOAT_EQ(e.confidence, 1.0f) << "all evidence agrees and saturates";
}

TEST(EnvironmentTest, FurnitureMeansIndoor) {
  const EnvironmentEstimate e = EstimateEnvironment(Objects({{"couch", 0.6f}}), {});
  EXPECT_EQ(e.environment, v1::ENVIRONMENT_INDOOR) << "couch";
  EXPECT_NEAR(e.confidence, 0.6f, 1e-6f) << "agreement 1 x evidence 0.6";
}

TEST(EnvironmentTest, MixedCuesLowerTheConfidence) {
  const EnvironmentEstimate e =
      EstimateEnvironment(Objects({{"couch", 1.0f}, {"car", 0.5f}}), {});
  EXPECT_EQ(e.environment, v1::ENVIRONMENT_INDOOR) << "indoor 1.0 vs outdoor 0.4";
  EXPECT_NEAR(e.confidence, 1.0f / 1.4f, 1e-5f) << "winner share";
}

TEST(EnvironmentTest, TooLittleEvidenceIsUnspecified) {
  const EnvironmentEstimate e = EstimateEnvironment(Objects({{"person", 0.9f}}), {});
  EXPECT_EQ(e.environment, v1::ENVIRONMENT_UNSPECIFIED) << "no cue";
  EXPECT_FLOAT_EQ(e.confidence, 0.0f) << "no confidence";
}

TEST(SceneTablesTest, EveryLabelIsACocoLabel) {
  const std::vector<std::string>& coco = CocoLabels();  // checked in coco_labels_test.cc
  for (const SceneCategoryRule& rule : SceneCategoryTable()) {
    for (const LabelWeight& entry : rule.evidence) {
      EXPECT_THAT(coco, Contains(entry.label)) << rule.category << " lists a non-COCO label";
    }
  }
  for (const auto* table : {&IndoorEvidenceTable(), &OutdoorEvidenceTable()}) {
    for (const LabelWeight& entry : *table) {
      EXPECT_THAT(coco, Contains(entry.label)) << "environment table label";
    }
  }
}

}  // namespace
}  // namespace affect::analysis

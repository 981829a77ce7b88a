// The decoder's built-in COCO labels (used when a config names none) are the
// ones the committed centernet config lists, in the same class order.
#include "server/analysis/scene/coco_labels.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/model_config_loader.h"

namespace affect::analysis {
namespace {

using ::testing::ElementsAreArray;

TEST(CocoLabelsTest, MatchTheCenterNetConfigInClassOrder) {
  const std::string path =
      std::string(AFFECT_SOURCE_DIR) + "/models/repository/centernet/config.pbtxt";
  auto config = LoadModelConfigFile(path, "centernet");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(CocoLabels().size(), static_cast<size_t>(kNumCocoLabels));
  EXPECT_THAT(CocoLabels(), ElementsAreArray(config->labels().begin(), config->labels().end()));
}

}  // namespace
}  // namespace affect::analysis

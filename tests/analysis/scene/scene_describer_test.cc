#include "server/analysis/scene/scene_describer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kGrid = 16;

// COCO class ids.
constexpr int kCouch = 57;
constexpr int kTv = 62;

TEST(SceneDescriberTest, DescribesObjectsCategoriesEnvironmentAndLighting) {
  absl::StatusOr<CenterNetDecoder> decoder =
      CenterNetDecoder::Create(CenterNetOptions{}, {}, 64, 64);
  ASSERT_THAT(decoder, IsOk()) << "COCO decoder";
  v1::ModelRef detector;
  detector.set_name("centernet");
  absl::StatusOr<SceneDescriber> describer =
      SceneDescriber::Create(*std::move(decoder), SceneDescriberOptions{}, detector);
  ASSERT_THAT(describer, IsOk()) << "describer";
  Tensor heatmap({kGrid, kGrid, 80});
  Tensor wh({kGrid, kGrid, 4});
  heatmap.data()[(8 * kGrid + 8) * 80 + kCouch] = 0.8f;
  heatmap.data()[(3 * kGrid + 3) * 80 + kTv] = 0.6f;
  for (int i = 0; i < kGrid * kGrid * 4; ++i) wh.data()[i] = 4.0f;
  const cv::Mat image(64, 64, CV_8UC3, cv::Scalar(128, 128, 128));
  absl::StatusOr<v1::Scene> scene = describer->Describe(
      std::vector<Tensor>{heatmap, wh}, MakeInputTransform(64, 64, 64, 64, FitMode::kStretch),
      image);
  ASSERT_THAT(scene, IsOk()) << "valid inputs";
  ASSERT_EQ(scene->objects_size(), 2) << "couch and tv";
  EXPECT_EQ(scene->objects(0).label(), "couch") << "best first";
  ASSERT_GT(scene->categories_size(), 0) << "categories inferred";
  EXPECT_EQ(scene->categories(0).category(), "living_room") << "couch + tv";
  EXPECT_EQ(scene->environment(), v1::ENVIRONMENT_INDOOR) << "furniture";
  EXPECT_EQ(scene->lighting().level(), v1::LIGHTING_LEVEL_NORMAL) << "mid grey";
  EXPECT_EQ(scene->detector().name(), "centernet") << "detector recorded";
}

TEST(SceneDescriberTest, RejectsAnEmptyImage) {
  absl::StatusOr<CenterNetDecoder> decoder =
      CenterNetDecoder::Create(CenterNetOptions{}, {}, 64, 64);
  ASSERT_THAT(decoder, IsOk()) << "COCO decoder";
  absl::StatusOr<SceneDescriber> describer =
      SceneDescriber::Create(*std::move(decoder), SceneDescriberOptions{}, v1::ModelRef());
  ASSERT_THAT(describer, IsOk()) << "describer";
  EXPECT_THAT(describer->Describe(std::vector<Tensor>{Tensor({kGrid, kGrid, 80}),
                                                      Tensor({kGrid, kGrid, 4})},
                                  MakeInputTransform(64, 64, 64, 64, FitMode::kStretch), cv::Mat()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")))
      << "empty Mat";
}

}  // namespace
}  // namespace affect::analysis

// Reading an eval dataset folder: classes from folder names, images only.
#include "client/eval/expression_dataset.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace affect::eval {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::affect::testing::TempDir;
using ::affect::testing::WriteFile;
using ::testing::HasSubstr;

TEST(ExpressionDatasetTest, ReadsClassesFromFolderNamesSortedByPath) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("happy/b.jpg"), "x")) << "fixture";
  ASSERT_TRUE(WriteFile(dir.Join("happy/a.PNG"), "x")) << "fixture";
  ASSERT_TRUE(WriteFile(dir.Join("fearful/c.webp"), "x")) << "fixture";
  ASSERT_TRUE(WriteFile(dir.Join("neutral/notes.txt"), "x")) << "fixture";
  ASSERT_TRUE(WriteFile(dir.Join("neutral/.hidden.jpg"), "x")) << "fixture";
  const absl::StatusOr<std::vector<DatasetImage>> images = ReadExpressionDataset(dir.path());
  ASSERT_THAT(images, IsOk()) << "a valid dataset";
  ASSERT_EQ(images->size(), 3u) << "images only: no .txt, no hidden file";
  EXPECT_EQ((*images)[0].path, dir.Join("fearful/c.webp")) << "sorted by path";
  EXPECT_EQ((*images)[0].truth, v1::EXPRESSION_FEAR) << "face-api's 'fearful' is FEAR";
  EXPECT_EQ((*images)[1].path, dir.Join("happy/a.PNG")) << "extensions in any case";
  EXPECT_EQ((*images)[2].truth, v1::EXPRESSION_HAPPY) << "from the folder name";
}

TEST(ExpressionDatasetTest, RefusesAFolderThatNamesNoClass) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("contempt/a.jpg"), "x")) << "fixture";
  EXPECT_THAT(ReadExpressionDataset(dir.path()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("folder 'contempt'")))
      << "not one of the seven classes";
}

TEST(ExpressionDatasetTest, RefusesAMissingOrEmptyDataset) {
  TempDir dir;
  EXPECT_THAT(ReadExpressionDataset(dir.Join("absent")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("is not a directory")))
      << "no such folder";
  ASSERT_TRUE(WriteFile(dir.Join("sad/readme.md"), "x")) << "fixture";
  EXPECT_THAT(ReadExpressionDataset(dir.path()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has no images")))
      << "class folders without images";
}

TEST(ExpressionDatasetTest, ReadsGroupsFromAnExtraFolderLevel) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("indoor/happy/a.jpg"), "x")) << "fixture";
  ASSERT_TRUE(WriteFile(dir.Join("indoor/sad/b.jpg"), "x")) << "fixture";
  ASSERT_TRUE(WriteFile(dir.Join("outdoor/happy/c.png"), "x")) << "fixture";
  const absl::StatusOr<std::vector<DatasetImage>> images = ReadExpressionDataset(dir.path());
  ASSERT_THAT(images, IsOk()) << "a grouped dataset";
  ASSERT_EQ(images->size(), 3u);
  EXPECT_EQ((*images)[0].group, "indoor");
  EXPECT_EQ((*images)[1].truth, v1::EXPRESSION_SAD);
  EXPECT_EQ((*images)[2].group, "outdoor");
  EXPECT_EQ((*images)[2].truth, v1::EXPRESSION_HAPPY);
}

TEST(ExpressionDatasetTest, UngroupedImagesHaveNoGroup) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("happy/a.jpg"), "x")) << "fixture";
  const absl::StatusOr<std::vector<DatasetImage>> images = ReadExpressionDataset(dir.path());
  ASSERT_THAT(images, IsOk());
  EXPECT_EQ((*images)[0].group, "");
}

TEST(ExpressionDatasetTest, RefusesAMixOfClassAndGroupFolders) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("happy/a.jpg"), "x")) << "fixture";
  ASSERT_TRUE(WriteFile(dir.Join("indoor/happy/b.jpg"), "x")) << "fixture";
  EXPECT_THAT(ReadExpressionDataset(dir.path()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("folder 'indoor'")));
}

TEST(ExpressionDatasetTest, RefusesAGroupFolderThatNamesNoClass) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("indoor/contempt/a.jpg"), "x")) << "fixture";
  EXPECT_THAT(ReadExpressionDataset(dir.path()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("group 'indoor': folder 'contempt'")));
}

}  // namespace
}  // namespace affect::eval

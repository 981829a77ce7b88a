// The seeded tuning/test split and the per-class limit of `affect-client eval`.
#include "client/eval/dataset_selection.h"

#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect::eval {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;

// `per_class` images of each of happy and sad, named like a real folder and
// sorted by path, as ReadExpressionDataset gives them.
std::vector<DatasetImage> TwoClasses(const std::string& root, int per_class) {
  std::vector<DatasetImage> images;
  for (const auto& [folder, truth] :
       {std::pair<std::string, v1::Expression>{"happy", v1::EXPRESSION_HAPPY},
        std::pair<std::string, v1::Expression>{"sad", v1::EXPRESSION_SAD}}) {
    for (int i = 0; i < per_class; ++i) {
      const std::string number = std::to_string(1000 + i).substr(1);  // 000..999
      images.push_back({root + "/" + folder + "/img" + number + ".jpg", truth, ""});
    }
  }
  return images;
}

std::set<std::string> Names(const std::vector<DatasetImage>& images) {
  std::set<std::string> names;
  for (const DatasetImage& image : images) names.insert(image.path.substr(image.path.find('/')));
  return names;
}

int CountOf(const std::vector<DatasetImage>& images, v1::Expression truth) {
  int count = 0;
  for (const DatasetImage& image : images) count += image.truth == truth ? 1 : 0;
  return count;
}

absl::StatusOr<std::vector<DatasetImage>> Select(const std::vector<DatasetImage>& images,
                                                 DatasetSplit split, uint64_t seed,
                                                 int64_t limit = 0, double fraction = 0.5) {
  DatasetSelection selection;
  selection.split = split;
  selection.seed = seed;
  selection.limit_per_class = limit;
  selection.tune_fraction = fraction;
  return SelectDatasetImages(images, selection);
}

TEST(DatasetSelectionTest, TuneAndTestAreDisjointAndTogetherEveryImage) {
  const std::vector<DatasetImage> images = TwoClasses("a", 200);
  const auto tune = Select(images, DatasetSplit::kTune, 7);
  const auto test = Select(images, DatasetSplit::kTest, 7);
  ASSERT_THAT(tune, IsOk()) << "valid selection";
  ASSERT_THAT(test, IsOk()) << "valid selection";
  EXPECT_EQ(tune->size() + test->size(), images.size()) << "every image in one part";
  std::set<std::string> both = Names(*tune);
  for (const std::string& name : Names(*test)) {
    EXPECT_TRUE(both.insert(name).second) << name << " is in both parts";
  }
  // 200 per class at one half: a fair hash leaves each part well inside 70-130.
  for (const v1::Expression truth : {v1::EXPRESSION_HAPPY, v1::EXPRESSION_SAD}) {
    EXPECT_GT(CountOf(*tune, truth), 70) << "about half of each class is tuning";
    EXPECT_GT(CountOf(*test, truth), 70) << "about half of each class is test";
  }
  const auto all = Select(images, DatasetSplit::kAll, 7);
  ASSERT_THAT(all, IsOk()) << "valid selection";
  EXPECT_EQ(all->size(), images.size()) << "no split, no limit: every image";
}

TEST(DatasetSelectionTest, SameSeedSameSplitWhereverTheFolderLies) {
  const auto here = Select(TwoClasses("here", 50), DatasetSplit::kTune, 3);
  const auto there = Select(TwoClasses("elsewhere", 50), DatasetSplit::kTune, 3);
  ASSERT_THAT(here, IsOk()) << "valid selection";
  ASSERT_THAT(there, IsOk()) << "valid selection";
  std::set<std::string> here_files, there_files;
  for (const DatasetImage& image : *here) here_files.insert(image.path.substr(4));
  for (const DatasetImage& image : *there) there_files.insert(image.path.substr(9));
  EXPECT_EQ(here_files, there_files) << "the split depends on file names, not the folder";
  const auto other_seed = Select(TwoClasses("here", 50), DatasetSplit::kTune, 4);
  ASSERT_THAT(other_seed, IsOk()) << "valid selection";
  EXPECT_NE(Names(*here), Names(*other_seed)) << "another seed, another split";
}

TEST(DatasetSelectionTest, SplitPositionIsPinnedSoRecordedSplitsStayReproducible) {
  // FNV-1a 64 of "1:x.jpg", top 53 bits over 2^53: a change here silently
  // changes every split recorded in docs/accuracy.md.
  EXPECT_DOUBLE_EQ(SplitPosition("any/folder/x.jpg", 1), SplitPosition("x.jpg", 1))
      << "file name only";
  EXPECT_NE(SplitPosition("x.jpg", 1), SplitPosition("x.jpg", 2)) << "seeded";
  EXPECT_DOUBLE_EQ(SplitPosition("x.jpg", 1), 0.027168356590801856)
      << "FNV-1a 64 of \"1:x.jpg\" (computed independently in Python)";
}

TEST(DatasetSelectionTest, LimitPerClassKeepsTheFirstInHashOrderAndOnlyGrows) {
  const std::vector<DatasetImage> images = TwoClasses("a", 100);
  const auto ten = Select(images, DatasetSplit::kTest, 9, 10);
  const auto twenty = Select(images, DatasetSplit::kTest, 9, 20);
  ASSERT_THAT(ten, IsOk()) << "valid selection";
  ASSERT_THAT(twenty, IsOk()) << "valid selection";
  EXPECT_EQ(CountOf(*ten, v1::EXPRESSION_HAPPY), 10) << "capped per class";
  EXPECT_EQ(CountOf(*ten, v1::EXPRESSION_SAD), 10) << "capped per class";
  const std::set<std::string> small = Names(*ten);
  const std::set<std::string> large = Names(*twenty);
  for (const std::string& name : small) {
    EXPECT_TRUE(large.count(name)) << name << ": a larger limit only adds images";
  }
  const auto test = Select(images, DatasetSplit::kTest, 9);
  ASSERT_THAT(test, IsOk()) << "valid selection";
  for (const std::string& name : large) {
    EXPECT_TRUE(Names(*test).count(name)) << name << ": the limit stays inside the test part";
  }
  for (size_t i = 1; i < twenty->size(); ++i) {
    EXPECT_LT((*twenty)[i - 1].path, (*twenty)[i].path) << "the dataset's order is kept";
  }
}

TEST(DatasetSelectionTest, LimitAppliesPerGroupAndClass) {
  std::vector<DatasetImage> images = TwoClasses("a", 30);
  for (DatasetImage& image : TwoClasses("b", 30)) {
    image.group = "dim";
    images.push_back(image);
  }
  const auto selected = Select(images, DatasetSplit::kAll, 1, 5);
  ASSERT_THAT(selected, IsOk()) << "valid selection";
  EXPECT_EQ(selected->size(), 20u) << "5 per class in each of 2 groups";
}

TEST(DatasetSelectionTest, RefusesABadFractionLimitOrSplitName) {
  const std::vector<DatasetImage> images = TwoClasses("a", 4);
  EXPECT_THAT(Select(images, DatasetSplit::kTune, 1, 0, 1.0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("between 0 and 1")))
      << "all tuning, no test";
  EXPECT_THAT(Select(images, DatasetSplit::kTune, 1, -1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit per class")))
      << "negative limit";
  EXPECT_THAT(ParseDatasetSplit("train"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("all, tune or test")))
      << "unknown split";
  EXPECT_THAT(ParseDatasetSplit("test"), IsOk()) << "a split name";
}

}  // namespace
}  // namespace affect::eval

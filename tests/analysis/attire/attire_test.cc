#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgproc.hpp"
#include "server/analysis/attire/accessories.h"
#include "server/analysis/attire/attire_describer.h"
#include "server/analysis/attire/garment_regions.h"
#include "server/analysis/attire/person_mask.h"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const cv::Scalar kSkin(200, 150, 130);
const cv::Scalar kRed(200, 30, 35);
const cv::Scalar kBlue(30, 75, 205);
const cv::Scalar kGrey(128, 128, 128);

// A face box of 60 px at (170, 50): chin at 110, centre x 200. Upper region
// x 152..248, y 155..260; lower region x 152..248, y 260..440.
const Box kFace{170, 50, 60, 60};

google::protobuf::RepeatedPtrField<v1::Face> Faces(std::initializer_list<Box> boxes) {
  google::protobuf::RepeatedPtrField<v1::Face> faces;
  int index = 0;
  for (const Box& b : boxes) {
    v1::Face* face = faces.Add();
    face->set_index(index++);
    face->mutable_box()->set_x(b.x);
    face->mutable_box()->set_y(b.y);
    face->mutable_box()->set_width(b.width);
    face->mutable_box()->set_height(b.height);
  }
  return faces;
}

cv::Mat Person(const cv::Scalar& shirt) {
  cv::Mat image(600, 400, CV_8UC3, kGrey);
  cv::rectangle(image, cv::Rect(130, 115, 140, 160), shirt, cv::FILLED);
  cv::rectangle(image, cv::Rect(170, 50, 60, 60), kSkin, cv::FILLED);
  return image;
}

cv::Mat FullMask(const cv::Mat& image) { return cv::Mat(image.size(), CV_8UC1, cv::Scalar(255)); }

AttireDescriber Describer() {
  absl::StatusOr<AttireDescriber> describer = AttireDescriber::Create(AttireOptions{});
  EXPECT_THAT(describer, IsOk()) << "default options";
  return *std::move(describer);
}

const v1::GarmentRegion* Part(const v1::PersonAttire& attire, v1::GarmentPart part) {
  for (const v1::GarmentRegion& g : attire.garments()) {
    if (g.part() == part) return &g;
  }
  return nullptr;
}

TEST(GarmentRegionsTest, FollowTheDocumentedRatios) {
  const GarmentBoxes boxes = GarmentRegionsFor(kFace);
  EXPECT_FLOAT_EQ(boxes.upper.y, 155.0f) << "chin + 0.75 s";
  EXPECT_FLOAT_EQ(boxes.upper.bottom(), 260.0f) << "chin + 2.5 s";
  EXPECT_FLOAT_EQ(boxes.upper.width, 96.0f) << "1.6 s wide";
  EXPECT_FLOAT_EQ(boxes.upper.center_x(), 200.0f) << "under the face";
  EXPECT_FLOAT_EQ(boxes.lower.bottom(), 440.0f) << "chin + 5.5 s";
  EXPECT_FLOAT_EQ(boxes.lower.width, 96.0f) << "1.6 s wide";
  EXPECT_FLOAT_EQ(boxes.body.y, 50.0f) << "from the face top";
  EXPECT_FLOAT_EQ(boxes.body.bottom(), 530.0f) << "chin + 7 s";
}

TEST(PersonMaskTest, StretchedOutputCoversTheImage) {
  Tensor probability({4, 4, 1});
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 2; ++x) probability.data()[y * 4 + x] = 1.0f;  // left half: person
  }
  absl::StatusOr<cv::Mat> mask =
      PersonMaskFromTensor(probability, MakeInputTransform(40, 20, 4, 4, FitMode::kStretch));
  ASSERT_THAT(mask, IsOk()) << "valid output";
  EXPECT_EQ(mask->size(), cv::Size(40, 20)) << "image size";
  EXPECT_EQ(mask->at<uint8_t>(10, 5), 255) << "left: person";
  EXPECT_EQ(mask->at<uint8_t>(10, 35), 0) << "right: background";
}

TEST(PersonMaskTest, LetterboxedOutputUsesOnlyTheContentArea) {
  Tensor probability({4, 4, 1});
  for (int x = 0; x < 4; ++x) {
    probability.data()[1 * 4 + x] = 1.0f;  // content rows 1..2: person
    probability.data()[2 * 4 + x] = 1.0f;
  }
  absl::StatusOr<cv::Mat> mask =
      PersonMaskFromTensor(probability, MakeInputTransform(40, 20, 4, 4, FitMode::kLetterbox));
  ASSERT_THAT(mask, IsOk()) << "valid output";
  EXPECT_EQ(cv::countNonZero(*mask), 40 * 20) << "the padding rows are not the image";
}

TEST(PersonMaskTest, RejectsAWrongSize) {
  EXPECT_THAT(PersonMaskFromTensor(Tensor({8, 8, 1}),
                                   MakeInputTransform(40, 20, 4, 4, FitMode::kStretch)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("4x4x1")))
      << "64 values for a 4x4 input";
}

TEST(AttireDescriberTest, RedShirtUnderAFaceIsRed) {
  const cv::Mat image = Person(kRed);
  absl::StatusOr<std::vector<v1::PersonAttire>> people =
      Describer().Describe(image, Faces({kFace}), FullMask(image), nullptr, {});
  ASSERT_THAT(people, IsOk()) << "valid inputs";
  ASSERT_THAT(*people, SizeIs(1)) << "one person";
  const v1::GarmentRegion* upper = Part((*people)[0], v1::GARMENT_PART_UPPER_BODY);
  ASSERT_NE(upper, nullptr) << "upper body reported";
  ASSERT_GE(upper->colors_size(), 1) << "a colour found";
  EXPECT_EQ(upper->colors(0).name(), "red") << "shirt colour";
  EXPECT_NEAR(upper->colors(0).share(), 1.0f, 0.01f) << "whole region";
  EXPECT_EQ(upper->colors(0).red(), 200u) << "mean RGB of the shirt";
  EXPECT_NEAR(upper->visible_share(), 1.0f, 0.01f) << "full mask";
}

TEST(AttireDescriberTest, MaskExcludesTheBackground) {
  cv::Mat image(600, 400, CV_8UC3, kBlue);
  cv::rectangle(image, cv::Rect(180, 115, 40, 160), kRed, cv::FILLED);  // a narrow red torso
  cv::rectangle(image, cv::Rect(170, 50, 60, 60), kSkin, cv::FILLED);
  cv::Mat mask(image.size(), CV_8UC1, cv::Scalar(0));
  mask(cv::Rect(180, 115, 40, 160)).setTo(255);
  absl::StatusOr<std::vector<v1::PersonAttire>> people =
      Describer().Describe(image, Faces({kFace}), mask, nullptr, {});
  ASSERT_THAT(people, IsOk()) << "valid inputs";
  const v1::GarmentRegion* upper = Part((*people)[0], v1::GARMENT_PART_UPPER_BODY);
  ASSERT_NE(upper, nullptr) << "upper body reported";
  ASSERT_EQ(upper->colors_size(), 1) << "only the masked torso";
  EXPECT_EQ(upper->colors(0).name(), "red") << "no blue background";
  EXPECT_NEAR(upper->visible_share(), 40.0f / 96.0f, 0.01f) << "40 of the region's 96 columns";

  absl::StatusOr<std::vector<v1::PersonAttire>> unmasked =
      Describer().Describe(image, Faces({kFace}), FullMask(image), nullptr, {});
  ASSERT_THAT(unmasked, IsOk()) << "valid inputs";
  EXPECT_EQ(Part((*unmasked)[0], v1::GARMENT_PART_UPPER_BODY)->colors(0).name(), "blue")
      << "without the mask the background dominates";
}

TEST(AttireDescriberTest, SkinOfTheWearerIsLeftOut) {
  cv::Mat image = Person(kRed);
  cv::rectangle(image, cv::Rect(140, 125, 40, 135), kSkin * 0.8, cv::FILLED);  // a shaded arm
  absl::StatusOr<std::vector<v1::PersonAttire>> people =
      Describer().Describe(image, Faces({kFace}), FullMask(image), nullptr, {});
  ASSERT_THAT(people, IsOk()) << "valid inputs";
  const v1::GarmentRegion* upper = Part((*people)[0], v1::GARMENT_PART_UPPER_BODY);
  ASSERT_NE(upper, nullptr) << "upper body reported";
  ASSERT_EQ(upper->colors_size(), 1) << "the arm is not a garment colour";
  EXPECT_EQ(upper->colors(0).name(), "red") << "shirt only";
}

TEST(AttireDescriberTest, LongHairOverTheShouldersIsNotTheTop) {
  cv::Mat image = Person(kRed);
  const cv::Scalar hair(25, 20, 20);
  // Two strands from the chin (y 110) down over the shoulders to y 150,
  // beside the neck, where long hair usually falls.
  cv::rectangle(image, cv::Rect(140, 110, 40, 40), hair, cv::FILLED);
  cv::rectangle(image, cv::Rect(220, 110, 40, 40), hair, cv::FILLED);
  absl::StatusOr<std::vector<v1::PersonAttire>> people =
      Describer().Describe(image, Faces({kFace}), FullMask(image), nullptr, {});
  ASSERT_THAT(people, IsOk()) << "valid inputs";
  const v1::GarmentRegion* upper = Part((*people)[0], v1::GARMENT_PART_UPPER_BODY);
  ASSERT_NE(upper, nullptr) << "upper body reported";
  ASSERT_EQ(upper->colors_size(), 1) << "the region starts below the shoulder line";
  EXPECT_EQ(upper->colors(0).name(), "red") << "shirt only";
}

TEST(AttireDescriberTest, GarmentsOutOfFrameAreNotReported) {
  cv::Mat image(300, 400, CV_8UC3, kGrey);  // ends at y = 300: the lower region is outside
  cv::rectangle(image, cv::Rect(130, 115, 140, 160), kRed, cv::FILLED);
  absl::StatusOr<std::vector<v1::PersonAttire>> people =
      Describer().Describe(image, Faces({kFace}), FullMask(image), nullptr, {});
  ASSERT_THAT(people, IsOk()) << "valid inputs";
  EXPECT_NE(Part((*people)[0], v1::GARMENT_PART_UPPER_BODY), nullptr) << "upper in frame";
  EXPECT_EQ(Part((*people)[0], v1::GARMENT_PART_LOWER_BODY), nullptr)
      << "only 40 of 180 lower rows in frame";
}

TEST(AttireDescriberTest, NeighboursKeepTheirOwnColours) {
  cv::Mat image(600, 600, CV_8UC3, kGrey);
  const Box left{170, 50, 60, 60};
  const Box right{290, 50, 60, 60};
  cv::rectangle(image, cv::Rect(130, 115, 130, 160), kRed, cv::FILLED);
  cv::rectangle(image, cv::Rect(260, 115, 130, 160), kBlue, cv::FILLED);
  absl::StatusOr<std::vector<v1::PersonAttire>> people =
      Describer().Describe(image, Faces({left, right}), FullMask(image), nullptr, {});
  ASSERT_THAT(people, IsOk()) << "valid inputs";
  ASSERT_THAT(*people, SizeIs(2)) << "two people";
  EXPECT_EQ(Part((*people)[0], v1::GARMENT_PART_UPPER_BODY)->colors(0).name(), "red")
      << "left person";
  EXPECT_EQ(Part((*people)[1], v1::GARMENT_PART_UPPER_BODY)->colors(0).name(), "blue")
      << "right person";
  EXPECT_EQ((*people)[1].face_index(), 1) << "face index carried";
}

TEST(AttireDescriberTest, RejectsABadMaskOrImage) {
  const cv::Mat image = Person(kRed);
  EXPECT_THAT(Describer().Describe(image, Faces({kFace}), cv::Mat(10, 10, CV_8UC1), nullptr, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mask")))
      << "mask of another size";
  EXPECT_THAT(Describer().Describe(cv::Mat(), Faces({kFace}), cv::Mat(), nullptr, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")))
      << "empty image";
}

google::protobuf::RepeatedPtrField<v1::DetectedObject> Objects(
    std::initializer_list<std::pair<const char*, Box>> list) {
  google::protobuf::RepeatedPtrField<v1::DetectedObject> objects;
  for (const auto& [label, box] : list) {
    v1::DetectedObject* o = objects.Add();
    o->set_label(label);
    o->set_score(0.6f);
    o->mutable_box()->set_x(box.x);
    o->mutable_box()->set_y(box.y);
    o->mutable_box()->set_width(box.width);
    o->mutable_box()->set_height(box.height);
  }
  return objects;
}

TEST(AccessoriesTest, GoToThePersonTheyOverlapMost) {
  const std::vector<Box> bodies = {Box{0, 0, 100, 300}, Box{200, 0, 100, 300}};
  const std::vector<Box> faces = {Box{30, 0, 40, 40}, Box{230, 0, 40, 40}};
  const auto assigned = AssignAccessories(
      bodies, faces,
      Objects({{"handbag", Box{250, 150, 40, 40}},
               {"suitcase", Box{500, 150, 40, 40}},
               {"cup", Box{20, 150, 20, 20}},
               {"tie", Box{80, 60, 40, 60}}}),
      AccessoryOptions{});
  ASSERT_THAT(assigned, SizeIs(2)) << "one list per person";
  ASSERT_THAT(assigned[1], SizeIs(1)) << "handbag on the right person";
  EXPECT_EQ(assigned[1][0].label(), "handbag") << "label";
  EXPECT_FLOAT_EQ(assigned[1][0].overlap(), 1.0f) << "inside the body region";
  ASSERT_THAT(assigned[0], SizeIs(1)) << "tie half over the left person; the cup is no accessory";
  EXPECT_FLOAT_EQ(assigned[0][0].overlap(), 0.5f) << "half the tie box";
}

TEST(AccessoriesTest, FarAccessoriesBelongToNobody) {
  const auto assigned = AssignAccessories({Box{0, 0, 100, 300}}, {Box{30, 0, 40, 40}},
                                          Objects({{"backpack", Box{90, 100, 50, 50}}}),
                                          AccessoryOptions{});
  EXPECT_THAT(assigned[0], SizeIs(0)) << "20% overlap is under min_overlap 0.3";
}

TEST(AttireDescriberTest, AttachesAccessories) {
  const cv::Mat image = Person(kRed);
  const auto objects = Objects({{"tie", Box{190, 120, 20, 80}}});
  v1::ModelRef selfie;
  selfie.set_name("selfie");
  absl::StatusOr<std::vector<v1::PersonAttire>> people =
      Describer().Describe(image, Faces({kFace}), FullMask(image), &objects, {selfie});
  ASSERT_THAT(people, IsOk()) << "valid inputs";
  ASSERT_EQ((*people)[0].accessories_size(), 1) << "tie attached";
  EXPECT_EQ((*people)[0].accessories(0).label(), "tie") << "label";
  ASSERT_EQ((*people)[0].models_size(), 1) << "models recorded";
  EXPECT_EQ((*people)[0].models(0).name(), "selfie") << "segmentation model";
}

}  // namespace
}  // namespace affect::analysis

// The pose-to-face link, and the second look at faces the whole-frame pose
// pass left without a body, on constructed poses, boxes and model heads.
#include "server/analysis/body/pose_refinement.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/analysis/body/movenet_decoder.h"
#include "server/analysis/body/pose_face_link.h"
#include "server/analysis/body/pose_second_look.h"
#include "tests/analysis/body/body_fixtures.h"
#include "tests/testing/status_matchers.h"

namespace affect::analysis {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using body_test::PoseWithHeadAt;

TEST(LinkPosesToFacesTest, LinksTheFaceHoldingNoseAndBothEyes) {
  const std::vector<Box> faces = {{0, 0, 60, 60}, {200, 100, 60, 60}};
  EXPECT_THAT(LinkPosesToFaces({PoseWithHeadAt(230, 130, 0.5f)}, faces), ElementsAre(1));
  EXPECT_THAT(LinkPosesToFaces({PoseWithHeadAt(30, 30, 0.5f)}, faces), ElementsAre(0));
  EXPECT_THAT(LinkPosesToFaces({PoseWithHeadAt(500, 500, 0.5f)}, faces), ElementsAre(-1))
      << "no face there";
  EXPECT_THAT(LinkPosesToFaces({PoseWithHeadAt(52, 30, 0.5f)}, faces), ElementsAre(-1))
      << "left eye at x 62 is outside the box [0, 60)";
  EXPECT_FALSE(HeadInside(PoseWithHeadAt(52, 30, 0.5f), faces[0]));
  EXPECT_TRUE(HeadInside(PoseWithHeadAt(30, 30, 0.5f), faces[0]));
}

TEST(LinkPosesToFacesTest, PrefersTheTightestBoxAndLinksEachFaceOnceBestFirst) {
  const std::vector<Box> nested = {{0, 0, 400, 400}, {100, 100, 60, 60}};
  EXPECT_THAT(LinkPosesToFaces({PoseWithHeadAt(130, 130, 0.5f)}, nested), ElementsAre(1));
  // Two poses on one head: the better one (second) gets the tight box, the
  // weaker one the only box left that holds its head.
  EXPECT_THAT(
      LinkPosesToFaces({PoseWithHeadAt(130, 130, 0.4f), PoseWithHeadAt(131, 131, 0.7f)}, nested),
      ElementsAre(0, 1));
  const std::vector<Box> one = {{100, 100, 60, 60}};
  EXPECT_THAT(
      LinkPosesToFaces({PoseWithHeadAt(130, 130, 0.4f), PoseWithHeadAt(131, 131, 0.7f)}, one),
      ElementsAre(-1, 0));
}

TEST(SameHeadTest, NearbyHeadsAreOneAndDistantHeadsTwo) {
  const PersonPose a = PoseWithHeadAt(100, 100, 0.6f);
  EXPECT_TRUE(SameHead(a, PoseWithHeadAt(103, 101, 0.3f), 0.5f)) << "3 px off, eyes 20 px apart";
  EXPECT_FALSE(SameHead(a, PoseWithHeadAt(115, 100, 0.3f), 0.5f)) << "15 px off";
}

TEST(FacesWithoutPoseTest, ListsUnlinkedFacesInOrderUpToTheLimit) {
  const std::vector<Box> faces = {{0, 0, 60, 60}, {200, 100, 60, 60}, {400, 100, 60, 60}};
  const std::vector<PersonPose> poses = {PoseWithHeadAt(230, 130, 0.5f)};
  PoseRefinementOptions options;
  EXPECT_THAT(FacesWithoutPose(poses, faces, options), ElementsAre(0, 2));
  options.max_faces = 1;
  EXPECT_THAT(FacesWithoutPose(poses, faces, options), ElementsAre(0));
  options.max_faces = 0;
  EXPECT_THAT(FacesWithoutPose(poses, faces, options), IsEmpty()) << "second look off";
  options.max_faces = 4;
  EXPECT_THAT(FacesWithoutPose(poses, {Box{10, 10, 0, 40}}, options), IsEmpty())
      << "an empty box has no region around it";
}

TEST(RegionAroundFaceTest, FramesHeadAndUpperBodyClippedToTheImage) {
  const PoseRefinementOptions options;  // 2 sizes each side, 1 above, 4 below the top
  // Face 40 x 50 at (100, 100): size 50, centre x 120.
  EXPECT_EQ(RegionAroundFace(Box{100, 100, 40, 50}, 1000, 1000, options),
            cv::Rect(20, 50, 200, 250));
  EXPECT_EQ(RegionAroundFace(Box{100, 100, 40, 50}, 180, 200, options),
            cv::Rect(20, 50, 160, 150))
      << "clipped to a 180 x 200 image";
  EXPECT_EQ(RegionAroundFace(Box{10, 10, 40, 40}, 1000, 1000, options), cv::Rect(0, 0, 110, 170))
      << "clipped at the top-left corner";
  EXPECT_TRUE(RegionAroundFace(Box{2000, 2000, 40, 40}, 1000, 1000, options).empty())
      << "a face outside the image";
  const float huge = std::numeric_limits<float>::max();
  EXPECT_EQ(RegionAroundFace(Box{0, 0, huge, huge}, 640, 480, options), cv::Rect(0, 0, 640, 480))
      << "no integer overflow: the whole image";
  EXPECT_TRUE(RegionAroundFace(Box{0, 0, std::nanf(""), 10}, 640, 480, options).empty());
  EXPECT_TRUE(RegionAroundFace(Box{0, 0, 10, 10}, 0, 480, options).empty()) << "no image";
}

TEST(PoseForFaceTest, TakesTheBestNewPoseWhoseHeadIsInTheFace) {
  const Box face{100, 100, 60, 60};
  const std::vector<PersonPose> found = {PoseWithHeadAt(400, 400, 0.9f),   // someone else
                                         PoseWithHeadAt(130, 130, 0.3f),   // in the face
                                         PoseWithHeadAt(131, 130, 0.5f)};  // better, in the face
  std::optional<PersonPose> pose = PoseForFace(found, face, {}, 0.5f);
  ASSERT_TRUE(pose.has_value());
  EXPECT_FLOAT_EQ(pose->score, 0.5f);
  EXPECT_FALSE(PoseForFace(found, face, {PoseWithHeadAt(130, 131, 0.6f)}, 0.5f).has_value())
      << "a person already found is not added twice";
  EXPECT_FALSE(PoseForFace({PoseWithHeadAt(400, 400, 0.9f)}, face, {}, 0.5f).has_value());
  EXPECT_FALSE(PoseForFace({}, face, {}, 0.5f).has_value());
}

TEST(PoseRefinementOptionsTest, ConfigParametersAreCheckedAndRead) {
  EXPECT_THAT(PoseRefinementOptions{}.Validate(), IsOk());
  const auto parse = [](const char* key, const char* value) {
    ParameterMap parameters;
    parameters[key] = value;
    return MoveNetOptions::FromParameters(parameters);
  };
  absl::StatusOr<MoveNetOptions> off = parse("refine_max_faces", "0");
  ASSERT_THAT(off, IsOk());
  EXPECT_EQ(off->refine.max_faces, 0);
  absl::StatusOr<MoveNetOptions> wide = parse("refine_half_width", "3");
  ASSERT_THAT(wide, IsOk());
  EXPECT_FLOAT_EQ(wide->refine.half_width, 3.0f);
  EXPECT_THAT(parse("refine_max_faces", "-1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("refine_max_faces")));
  EXPECT_THAT(parse("refine_max_faces", "1000"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("refine_max_faces")));
  EXPECT_THAT(parse("refine_below", "nan"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("refine_below")));
  EXPECT_THAT(parse("refine_half_width", "0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("positive")));
  EXPECT_THAT(parse("refine_above", "1e30"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("refine_above")));
}

// The second look's model I/O: a 1000 x 1000 frame, one face at
// (480, 200) of size 50, a 64 x 64 pose model (the constructed heads'
// size). The region is x [405, 605), y [150, 400): letterboxed at 64/250,
// 51 px of content centred (offset 6).
class SecondLookTest : public ::testing::Test {
 protected:
  SecondLookTest() : rgb_(1000, 1000, CV_8UC3, cv::Scalar(90, 90, 90)) {
    spec_.set_data_type(v1::DATA_TYPE_FLOAT32);
    spec_.add_dims(body_test::kInput);
    spec_.add_dims(body_test::kInput);
    spec_.add_dims(3);
    spec_.set_layout(v1::TENSOR_LAYOUT_NHWC);
    spec_.mutable_normalization()->set_scale(1.0f);
  }

  MoveNetDecoder Decoder(int max_faces = 4) const {
    MoveNetOptions options;
    options.refine.max_faces = max_faces;
    absl::StatusOr<MoveNetDecoder> decoder =
        MoveNetDecoder::Create(options, body_test::kInput, body_test::kInput);
    EXPECT_THAT(decoder, IsOk());
    return *decoder;
  }

  cv::Mat rgb_;
  v1::TensorSpec spec_;
  const std::vector<Box> faces_ = {Box{480, 200, 50, 50}};
};

TEST_F(SecondLookTest, OneItemPerUnlinkedFaceMappingModelPixelsToTheFrame) {
  absl::StatusOr<std::vector<SecondLookItem>> items =
      MakeSecondLookItems(rgb_, {}, faces_, Decoder(), spec_);
  ASSERT_THAT(items, IsOk());
  ASSERT_THAT(*items, SizeIs(1));
  const SecondLookItem& item = (*items)[0];
  EXPECT_EQ(item.face, 0u);
  EXPECT_THAT(item.tensor.shape(), ElementsAre(64, 64, 3));
  EXPECT_EQ(item.transform.image_width, 1000) << "answers in frame pixels";
  const Point top_left = item.transform.ToImage(Point{6.0f, 0.0f});
  EXPECT_NEAR(top_left.x, 405.0f, 0.5f) << "the region's left edge";
  EXPECT_NEAR(top_left.y, 150.0f, 0.5f) << "the region's top edge";
  const Point bottom_right = item.transform.ToImage(Point{57.0f, 64.0f});
  EXPECT_NEAR(bottom_right.x, 605.0f, 0.5f);
  EXPECT_NEAR(bottom_right.y, 400.0f, 0.5f);

  const std::vector<PersonPose> linked = {PoseWithHeadAt(505, 225, 0.5f)};
  absl::StatusOr<std::vector<SecondLookItem>> none =
      MakeSecondLookItems(rgb_, linked, faces_, Decoder(), spec_);
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(*none, IsEmpty()) << "the face already has its pose";
  absl::StatusOr<std::vector<SecondLookItem>> off =
      MakeSecondLookItems(rgb_, {}, faces_, Decoder(/*max_faces=*/0), spec_);
  ASSERT_THAT(off, IsOk());
  EXPECT_THAT(*off, IsEmpty()) << "second look off";
}

TEST_F(SecondLookTest, AddsThePoseFoundAroundTheFaceOnceAndOnlyInsideIt) {
  const MoveNetDecoder decoder = Decoder();
  absl::StatusOr<std::vector<SecondLookItem>> items =
      MakeSecondLookItems(rgb_, {}, faces_, decoder, spec_);
  ASSERT_THAT(items, IsOk());
  ASSERT_THAT(*items, SizeIs(1));
  // Every keypoint at model (x 31, y 13): frame (25 / 0.255 + 405,
  // 13 / 0.256 + 150) = (503.0, 200.8), inside the face box.
  const std::vector<std::vector<Tensor>> outputs = {body_test::Heads::OnePerson().tensors};
  std::vector<PersonPose> poses;
  ASSERT_THAT(AddSecondLookPoses(decoder, *items, outputs, faces_, &poses), IsOk());
  ASSERT_THAT(poses, SizeIs(1));
  EXPECT_NEAR(poses[0].at(BodyPart::kNose).x, 503.0f, 0.5f);
  EXPECT_NEAR(poses[0].at(BodyPart::kNose).y, 200.8f, 0.5f);
  EXPECT_THAT(LinkPosesToFaces(poses, faces_), ElementsAre(0)) << "it links to its face";

  ASSERT_THAT(AddSecondLookPoses(decoder, *items, outputs, faces_, &poses), IsOk());
  EXPECT_THAT(poses, SizeIs(1)) << "the same person is not added twice";

  std::vector<PersonPose> elsewhere;
  const std::vector<Box> other_face = {Box{420, 300, 50, 50}};
  ASSERT_THAT(AddSecondLookPoses(decoder, *items, outputs, other_face, &elsewhere), IsOk());
  EXPECT_THAT(elsewhere, IsEmpty()) << "a head outside the face box is someone else";

  const std::vector<std::vector<Tensor>> nobody = {body_test::Heads().tensors};
  ASSERT_THAT(AddSecondLookPoses(decoder, *items, nobody, faces_, &elsewhere), IsOk());
  EXPECT_THAT(elsewhere, IsEmpty()) << "empty heads find nobody";
}

TEST_F(SecondLookTest, MismatchedOrMalformedOutputsAreErrorsNotCrashes) {
  const MoveNetDecoder decoder = Decoder();
  absl::StatusOr<std::vector<SecondLookItem>> items =
      MakeSecondLookItems(rgb_, {}, faces_, decoder, spec_);
  ASSERT_THAT(items, IsOk());
  std::vector<PersonPose> poses;
  EXPECT_THAT(AddSecondLookPoses(decoder, *items, {}, faces_, &poses),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0 items for 1 regions")));
  const std::vector<std::vector<Tensor>> short_outputs = {{Tensor({4, 4, 1})}};
  EXPECT_FALSE(AddSecondLookPoses(decoder, *items, short_outputs, faces_, &poses).ok());
  EXPECT_THAT(AddSecondLookPoses(decoder, *items, {body_test::Heads::OnePerson().tensors}, {},
                                 &poses),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("face 0 of 0")));
  EXPECT_THAT(poses, IsEmpty());
}

}  // namespace
}  // namespace affect::analysis

// BODY and ATTENTION through the whole service on the real converted models
// (movenet_multipose, facemesh, blazeface): what the API answers for a demo
// photo, which models it names, that the pose and mesh models run only when
// asked, and how the server lists the new analyses. Skips when the models
// are not prepared.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/api/real_model_server_test_base.h"
#include "tests/testing/real_models.h"

namespace affect {
namespace {

using ::testing::Contains;
using ::testing::Not;
using ::testing::SizeIs;

class BodyAttentionServiceTest : public testing::RealModelServerTest {
 protected:
  v1::AnalyzeResponse Analyze(int photo, std::vector<v1::Analysis> analyses) {
    v1::AnalyzeRequest request;
    for (v1::Analysis analysis : analyses) request.add_analyses(analysis);
    request.mutable_image()->set_encoded(testing::ReadBinaryFile(testing::DemoPhotoPath(photo)));
    v1::AnalyzeResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    const grpc::Status status = stub_->Analyze(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
};

std::vector<std::string> ModelNames(const v1::AnalyzeResponse& response) {
  std::vector<std::string> names;
  for (const v1::ModelRef& model : response.models()) names.push_back(model.name());
  return names;
}

bool Inside(const v1::BoundingBox& box, const v1::Point& point) {
  return point.x() >= box.x() && point.x() < box.x() + box.width() && point.y() >= box.y() &&
         point.y() < box.y() + box.height();
}

TEST_F(BodyAttentionServiceTest, BodyAndAttentionOfADemoPhoto) {
  // sample1: three women at a table, all three faces and heads in view.
  const v1::AnalyzeResponse response = Analyze(1, {v1::ANALYSIS_BODY, v1::ANALYSIS_ATTENTION});
  EXPECT_THAT(response.analyses(),
              ::testing::ElementsAre(v1::ANALYSIS_BODY, v1::ANALYSIS_ATTENTION));
  const v1::ImageAnalysis& image = response.image();
  ASSERT_THAT(image.faces(), SizeIs(3)) << "faces are detected for ATTENTION and the link";
  ASSERT_THAT(image.bodies(), SizeIs(3)) << "one body per woman";
  std::vector<int> linked;
  for (const v1::PersonBody& body : image.bodies()) {
    const std::string where = absl::StrCat("body ", body.index());
    EXPECT_GT(body.score(), 0.15f) << where;
    ASSERT_THAT(body.keypoints(), SizeIs(17)) << where;
    EXPECT_EQ(body.keypoints(0).name(), "nose") << where;
    EXPECT_EQ(body.keypoints(10).name(), "right_wrist") << where;
    for (const v1::BodyKeypoint& keypoint : body.keypoints()) {
      EXPECT_NEAR(keypoint.position_normalized().x() * image.size().width(),
                  keypoint.position().x(), 0.01f)
          << where << " " << keypoint.name();
      EXPECT_GE(keypoint.score(), 0.0f) << where << " " << keypoint.name();
      EXPECT_LE(keypoint.score(), 1.0f) << where << " " << keypoint.name();
    }
    EXPECT_GT(body.box().width(), 0.0f) << where;
    EXPECT_LE(body.box_normalized().x() + body.box_normalized().width(), 1.0001f) << where;
    EXPECT_EQ(body.model().name(), "movenet_multipose") << where;
    EXPECT_GE(body.model().version(), 1) << where;
    ASSERT_GE(body.face_index(), 0) << where << " links to a face";
    ASSERT_LT(body.face_index(), image.faces_size()) << where;
    const v1::Face& face = image.faces(body.face_index());
    EXPECT_TRUE(Inside(face.box(), body.keypoints(0).position()))
        << where << ": the linked face holds the nose";
    linked.push_back(body.face_index());
  }
  std::sort(linked.begin(), linked.end());
  EXPECT_THAT(linked, ::testing::ElementsAre(0, 1, 2)) << "each face linked once";
  for (const v1::Face& face : image.faces()) {
    ASSERT_TRUE(face.has_attention()) << "face " << face.index();
    const v1::FaceAttention& attention = face.attention();
    EXPECT_GE(attention.mesh_confidence(), 0.2f) << "face " << face.index();
    EXPECT_LE(attention.mesh_confidence(), 1.0f) << "face " << face.index();
    EXPECT_EQ(attention.model().name(), "facemesh") << "face " << face.index();
    EXPECT_FALSE(face.has_expression()) << "EMOTION was not asked for";
    // The women look at the camera with open eyes and closed or smiling
    // mouths: the geometry rules on the real mesh must say so.
    ASSERT_TRUE(attention.has_head_pose()) << "face " << face.index();
    EXPECT_LT(std::abs(attention.head_pose().yaw_degrees()), 45.0f) << "face " << face.index();
    ASSERT_TRUE(attention.has_left_eye_openness() && attention.has_right_eye_openness())
        << "face " << face.index();
    EXPECT_GT(attention.left_eye_openness(), 0.3f) << "face " << face.index() << " eyes open";
    EXPECT_GT(attention.right_eye_openness(), 0.3f) << "face " << face.index() << " eyes open";
    EXPECT_GT(attention.left_eye_aspect_ratio(), 0.15f) << "face " << face.index();
    ASSERT_TRUE(attention.has_mouth_openness()) << "face " << face.index();
    EXPECT_LT(attention.mouth_openness(), 0.5f) << "face " << face.index() << " no yawn";
  }
  EXPECT_EQ(image.attire_size(), 0) << "ATTIRE was not asked for";
  EXPECT_FALSE(image.has_scene()) << "SCENE was not asked for";
  const std::vector<std::string> models = ModelNames(response);
  EXPECT_THAT(models, Contains("movenet_multipose"));
  EXPECT_THAT(models, Contains("facemesh"));
  EXPECT_THAT(models, Contains("blazeface"));
  EXPECT_THAT(models, Not(Contains("centernet")));
}

TEST_F(BodyAttentionServiceTest, EveryFaceOfACrowdedPhotoGetsItsBodyThroughTheSecondLook) {
  // sample4: four women; the whole-frame pose pass misses the second from
  // the left (her body hidden behind her neighbours). With faces detected
  // (ATTENTION) the second look at the region around her face finds her.
  const v1::AnalyzeResponse response = Analyze(4, {v1::ANALYSIS_BODY, v1::ANALYSIS_ATTENTION});
  const v1::ImageAnalysis& image = response.image();
  ASSERT_THAT(image.faces(), SizeIs(4));
  ASSERT_THAT(image.bodies(), SizeIs(4)) << "one body per woman";
  std::vector<int> linked;
  for (const v1::PersonBody& body : image.bodies()) {
    ASSERT_GE(body.face_index(), 0) << "body " << body.index() << " links to a face";
    ASSERT_LT(body.face_index(), image.faces_size());
    const v1::BoundingBox& face = image.faces(body.face_index()).box();
    for (int part : {0, 1, 2}) {  // nose and eyes
      EXPECT_TRUE(Inside(face, body.keypoints(part).position()))
          << "body " << body.index() << " " << body.keypoints(part).name();
    }
    linked.push_back(body.face_index());
  }
  std::sort(linked.begin(), linked.end());
  EXPECT_THAT(linked, ::testing::ElementsAre(0, 1, 2, 3)) << "each face linked once";

  // BODY alone detects the faces too (for the link and the second look).
  const v1::AnalyzeResponse body_only = Analyze(4, {v1::ANALYSIS_BODY});
  EXPECT_THAT(body_only.image().faces(), SizeIs(4));
  EXPECT_THAT(body_only.image().bodies(), SizeIs(4));
}

TEST_F(BodyAttentionServiceTest, AttireTakesTheUpperGarmentFromThePoseWhenBodyRuns) {
  const v1::AnalyzeResponse with_body = Analyze(1, {v1::ANALYSIS_ATTIRE, v1::ANALYSIS_BODY});
  const v1::AnalyzeResponse without = Analyze(1, {v1::ANALYSIS_ATTIRE});
  ASSERT_EQ(with_body.image().attire_size(), without.image().attire_size());
  ASSERT_GT(with_body.image().attire_size(), 0);
  int from_pose = 0;
  for (const v1::PersonAttire& person : with_body.image().attire()) {
    for (const v1::GarmentRegion& region : person.garments()) {
      if (region.source() == v1::REGION_SOURCE_POSE) ++from_pose;
    }
  }
  EXPECT_GT(from_pose, 0) << "the women's shoulders and hips are in view";
  EXPECT_THAT(ModelNames(with_body), Contains("movenet_multipose"));
  for (const v1::PersonAttire& person : without.image().attire()) {
    for (const v1::GarmentRegion& region : person.garments()) {
      EXPECT_EQ(region.source(), v1::REGION_SOURCE_FACE_GEOMETRY) << "no pose without BODY";
    }
  }
}

TEST_F(BodyAttentionServiceTest, PoseAndMeshRunOnlyWhenAsked) {
  const v1::AnalyzeResponse defaults = Analyze(1, {});
  EXPECT_THAT(defaults.analyses(), Not(Contains(v1::ANALYSIS_BODY))) << "not in the defaults";
  EXPECT_THAT(defaults.analyses(), Not(Contains(v1::ANALYSIS_ATTENTION)));
  EXPECT_EQ(defaults.image().bodies_size(), 0);
  for (const v1::Face& face : defaults.image().faces()) EXPECT_FALSE(face.has_attention());
  EXPECT_THAT(ModelNames(defaults), Not(Contains("movenet_multipose")));
  EXPECT_THAT(ModelNames(defaults), Not(Contains("facemesh")));

  // BODY alone: faces are detected for the link, without expressions, and
  // neither the mesh nor the expression models run.
  const v1::AnalyzeResponse body = Analyze(3, {v1::ANALYSIS_BODY});
  EXPECT_THAT(body.image().bodies(), SizeIs(3)) << "sample3 shows three women";
  ASSERT_THAT(body.image().faces(), SizeIs(3));
  std::vector<int> linked;
  for (const v1::PersonBody& person : body.image().bodies()) linked.push_back(person.face_index());
  std::sort(linked.begin(), linked.end());
  EXPECT_THAT(linked, ::testing::ElementsAre(0, 1, 2)) << "each body linked to its face";
  for (const v1::Face& face : body.image().faces()) EXPECT_FALSE(face.has_expression());
  EXPECT_THAT(ModelNames(body), Contains("blazeface"));
  EXPECT_THAT(ModelNames(body), Not(Contains("expression")));
  EXPECT_THAT(ModelNames(body), Not(Contains("emotion")));
  EXPECT_THAT(ModelNames(body), Not(Contains("facemesh")));
}

TEST_F(BodyAttentionServiceTest, ServerListsTheNewAnalysesAndModels) {
  v1::ServerInfo info;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->GetServerInfo(&context, v1::GetServerInfoRequest(), &info).ok());
  }
  EXPECT_THAT(info.enabled_analyses(), Contains(v1::ANALYSIS_BODY));
  EXPECT_THAT(info.enabled_analyses(), Contains(v1::ANALYSIS_ATTENTION));
  v1::ListModelsResponse models;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ListModels(&context, v1::ListModelsRequest(), &models).ok());
  }
  std::vector<std::string> ready;
  for (const auto& model : models.models()) {
    if (model.state() == v1::MODEL_STATE_READY) ready.push_back(model.name());
  }
  EXPECT_THAT(ready, Contains("movenet_multipose"));
  EXPECT_THAT(ready, Contains("facemesh"));
}

}  // namespace
}  // namespace affect

// BODY and ATTENTION in AnalyzeStream on the real converted models: a demo
// photo streamed as video, bodies linked to face tracks, pose run on every
// other frame and carried between, and the per-track attention, movement
// and posture fields in the aggregates. Skips when the models are not
// prepared.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "affect/v1/affect_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/api/real_model_server_test_base.h"
#include "tests/testing/real_models.h"

namespace affect {
namespace {

using ::testing::SizeIs;

class BodyAttentionStreamTest : public testing::RealModelServerTest {};

TEST_F(BodyAttentionStreamTest, StreamLinksBodiesToTracksAndAggregatesAttentionAndMovement) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(240));
  auto stream = stub_->AnalyzeStream(&context);
  v1::StreamRequest config;
  config.mutable_config()->set_stream_id("body-attention");
  config.mutable_config()->set_drop_policy(v1::DROP_POLICY_BACKPRESSURE);
  config.mutable_config()->set_aggregate_interval_ms(500);
  config.mutable_config()->add_analyses(v1::ANALYSIS_EMOTION);
  config.mutable_config()->add_analyses(v1::ANALYSIS_BODY);
  config.mutable_config()->add_analyses(v1::ANALYSIS_ATTENTION);
  // Frames every 100 ms: pose on frames 1, 3, 5, ...; face mesh on every one.
  config.mutable_config()->set_body_interval_ms(200);
  ASSERT_TRUE(stream->Write(config));

  std::vector<v1::StreamResponse> responses;
  std::thread reader([&] {
    v1::StreamResponse response;
    while (stream->Read(&response)) responses.push_back(response);
  });
  constexpr int kFrames = 10;
  // sample1: three women at a table, faces and upper bodies in view.
  const std::string photo = testing::ReadBinaryFile(testing::DemoPhotoPath(1));
  for (int i = 0; i < kFrames; ++i) {
    v1::StreamRequest frame;
    frame.mutable_frame()->set_sequence(static_cast<uint64_t>(i + 1));
    frame.mutable_frame()->set_timestamp_us(i * 100'000);
    frame.mutable_frame()->mutable_image()->set_encoded(photo);
    ASSERT_TRUE(stream->Write(frame)) << "frame " << i + 1;
  }
  stream->WritesDone();
  reader.join();
  const grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();

  int frames = 0;
  int linked_bodies = 0;
  int carried = 0;
  bool eyes_measured = false;
  std::vector<v1::StreamAggregate> aggregates;
  for (const v1::StreamResponse& response : responses) {
    if (response.has_aggregate()) aggregates.push_back(response.aggregate());
    if (!response.has_frame()) continue;
    const v1::FrameResult& frame = response.frame();
    ASSERT_FALSE(frame.has_error()) << frame.error().message();
    ++frames;
    const v1::ImageAnalysis& image = frame.analysis();
    EXPECT_THAT(image.bodies(), SizeIs(3)) << "frame " << frame.sequence() << ": one per woman";
    if (frame.has_body_from_sequence()) {
      ++carried;
      EXPECT_EQ(frame.body_from_sequence(), frame.sequence() - 1)
          << "carried from the frame before";
    }
    for (const v1::PersonBody& body : image.bodies()) {
      if (body.face_index() < 0) {
        EXPECT_EQ(body.track_id(), 0u) << "an unlinked body has no track";
        continue;
      }
      ASSERT_LT(body.face_index(), image.faces_size()) << "frame " << frame.sequence();
      EXPECT_GT(body.track_id(), 0u) << "frame " << frame.sequence() << " body " << body.index();
      EXPECT_EQ(body.track_id(), image.faces(body.face_index()).track_id())
          << "the body's track is its face's";
      ++linked_bodies;
    }
    for (const v1::Face& face : image.faces()) {
      EXPECT_TRUE(face.has_attention()) << "frame " << frame.sequence() << " face " << face.index();
      eyes_measured = eyes_measured || face.attention().has_left_eye_openness() ||
                      face.attention().has_right_eye_openness();
    }
  }
  EXPECT_EQ(frames, kFrames) << "one result per frame";
  EXPECT_EQ(carried, kFrames / 2) << "pose on every other frame";
  EXPECT_GE(linked_bodies, kFrames * 3 - kFrames) << "nearly every body linked to a face";

  ASSERT_GE(aggregates.size(), 2u) << "1 s of stream in 0.5 s windows";
  int tracks_with_attention = 0;
  int tracks_with_movement = 0;
  for (const v1::StreamAggregate& aggregate : aggregates) {
    for (const v1::TrackAggregate& track : aggregate.tracks()) {
      if (track.has_attention()) {
        ++tracks_with_attention;
        EXPECT_EQ(track.attention().level(), v1::DROWSINESS_UNKNOWN)
            << "under 10 s of eyes is too little to judge: " << track.attention().evidence();
        if (eyes_measured) {
          EXPECT_GT(track.attention().eyes_observed_seconds(), 0.0)
              << "eye openness measured in the frames";
        }
      }
      if (track.has_movement_energy()) {
        ++tracks_with_movement;
        // The same photo in every frame: the keypoints do not move.
        EXPECT_NEAR(track.movement_energy().energy(), 0.0f, 0.05f) << "a still photo";
        EXPECT_GE(track.movement_energy().steps(), 1u) << "steps measured";
      }
      EXPECT_FALSE(track.fused().explanation().empty()) << "track " << track.track_id();
    }
  }
  EXPECT_GE(tracks_with_attention, 3) << "three faces with attention, in every window";
  EXPECT_GE(tracks_with_movement, 3) << "three linked bodies measured";
}

}  // namespace
}  // namespace affect

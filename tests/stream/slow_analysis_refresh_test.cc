// Scene and attire at a lower rate: which frames compute them, and how the
// frames in between are filled.
#include "server/stream/slow_analysis_refresh.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect::stream {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;

v1::FrameResult Frame(uint64_t sequence, const std::vector<uint64_t>& tracks) {
  v1::FrameResult result;
  result.set_sequence(sequence);
  result.set_timestamp_us(static_cast<int64_t>(sequence) * 100'000);
  for (size_t i = 0; i < tracks.size(); ++i) {
    v1::Face* face = result.mutable_analysis()->add_faces();
    face->set_index(static_cast<int32_t>(i));
    face->set_track_id(tracks[i]);
  }
  return result;
}

// A stand-in for the real analyses: `marker` tags the scene and garments.
void ComputeSlowAnalyses(float marker, v1::FrameResult* result) {
  v1::ImageAnalysis* analysis = result->mutable_analysis();
  analysis->mutable_scene()->set_environment_confidence(marker);
  for (const v1::Face& face : analysis->faces()) {
    v1::PersonAttire* person = analysis->add_attire();
    person->set_face_index(face.index());
    person->set_track_id(face.track_id());
    person->add_garments()->set_visible_share(marker);
  }
}

TEST(SlowAnalysisIntervalsTest, UnsetIsEveryFrameAndTheRangeIsChecked) {
  v1::StreamConfig config;
  auto none = SlowAnalysisIntervalsFromConfig(config);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->scene_us, 0);
  EXPECT_EQ(none->attire_us, 0);
  config.set_scene_interval_ms(2000);
  config.set_attire_interval_ms(600000);
  auto set = SlowAnalysisIntervalsFromConfig(config);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->scene_us, 2'000'000);
  EXPECT_EQ(set->attire_us, 600'000'000);
  config.set_attire_interval_ms(600001);
  EXPECT_THAT(SlowAnalysisIntervalsFromConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config.attire_interval_ms")));
  config.clear_attire_interval_ms();
  config.set_scene_interval_ms(UINT32_MAX);
  EXPECT_THAT(SlowAnalysisIntervalsFromConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config.scene_interval_ms")));
}

TEST(SlowAnalysisRefreshTest, NoIntervalComputesOnEveryFrame) {
  SlowAnalysisRefresh refresh({0, 0}, {true, true});
  for (int64_t t : {0, 1, 1, 2}) {
    const SlowAnalysesDue due = refresh.DueAt(t);
    EXPECT_TRUE(due.scene);
    EXPECT_TRUE(due.attire);
  }
}

TEST(SlowAnalysisRefreshTest, ComputesOncePerIntervalOfStreamTime) {
  SlowAnalysisRefresh refresh({300'000, 1'000'000}, {true, true});
  std::vector<int64_t> scene_frames, attire_frames;
  for (int64_t t = 0; t <= 1'500'000; t += 100'000) {
    const SlowAnalysesDue due = refresh.DueAt(t);
    if (due.scene) scene_frames.push_back(t);
    if (due.attire) attire_frames.push_back(t);
  }
  EXPECT_EQ(scene_frames,
            (std::vector<int64_t>{0, 300'000, 600'000, 900'000, 1'200'000, 1'500'000}));
  EXPECT_EQ(attire_frames, (std::vector<int64_t>{0, 1'000'000}));
}

TEST(SlowAnalysisRefreshTest, AnalysesOutsideThePlanAreNeverDue) {
  SlowAnalysisRefresh refresh({0, 0}, {false, true});
  const SlowAnalysesDue due = refresh.DueAt(0);
  EXPECT_FALSE(due.scene);
  EXPECT_TRUE(due.attire);
  v1::FrameResult frame = Frame(1, {7});
  refresh.Complete(due, &frame);
  EXPECT_FALSE(frame.has_scene_from_sequence());
  EXPECT_FALSE(frame.analysis().has_scene());
}

TEST(SlowAnalysisRefreshTest, FramesInBetweenCarryTheLastResultsAndSayFromWhere) {
  SlowAnalysisRefresh refresh({1'000'000, 1'000'000}, {true, true});
  // Frame 1 computes; tracks 7 and 9 are seen.
  SlowAnalysesDue due = refresh.DueAt(100'000);
  ASSERT_TRUE(due.scene && due.attire);
  v1::FrameResult first = Frame(1, {7, 9});
  ComputeSlowAnalyses(0.75f, &first);
  refresh.Complete(due, &first);
  EXPECT_FALSE(first.has_scene_from_sequence());
  EXPECT_FALSE(first.has_attire_from_sequence());

  // Frame 2 skips: track 9 is now the first face, 7 is gone, 11 is new.
  due = refresh.DueAt(200'000);
  ASSERT_FALSE(due.scene || due.attire);
  v1::FrameResult second = Frame(2, {9, 11});
  refresh.Complete(due, &second);
  EXPECT_EQ(second.analysis().scene().environment_confidence(), 0.75f);
  EXPECT_EQ(second.scene_from_sequence(), 1u);
  EXPECT_EQ(second.attire_from_sequence(), 1u);
  ASSERT_EQ(second.analysis().attire_size(), 1);
  EXPECT_EQ(second.analysis().attire(0).track_id(), 9u);
  // Points at this frame's face of track 9, not the old index.
  EXPECT_EQ(second.analysis().attire(0).face_index(), 0);
  EXPECT_EQ(second.analysis().attire(0).garments(0).visible_share(), 0.75f);
}

TEST(SlowAnalysisRefreshTest, AFailedComputingFrameMakesTheNextFrameComputeAgain) {
  SlowAnalysisRefresh refresh({1'000'000, 1'000'000}, {true, true});
  SlowAnalysesDue due = refresh.DueAt(0);
  v1::FrameResult failed = Frame(1, {});
  failed.mutable_error()->set_code(3);
  refresh.Complete(due, &failed);
  EXPECT_FALSE(failed.has_scene_from_sequence());
  due = refresh.DueAt(100'000);
  EXPECT_TRUE(due.scene);
  EXPECT_TRUE(due.attire);
}

TEST(SlowAnalysisRefreshTest, BodiesAndAttentionAreCarriedPerTrack) {
  v1::StreamConfig config;
  config.set_body_interval_ms(500);
  config.set_attention_interval_ms(300);
  auto intervals = SlowAnalysisIntervalsFromConfig(config);
  ASSERT_TRUE(intervals.ok()) << intervals.status();
  EXPECT_EQ(intervals->body_us, 500'000) << "body interval read";
  EXPECT_EQ(intervals->attention_us, 300'000) << "attention interval read";
  config.set_body_interval_ms(600001);
  EXPECT_THAT(SlowAnalysisIntervalsFromConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config.body_interval_ms")))
      << "range checked, field named";

  SlowAnalysisRefresh refresh(*intervals, {false, false, true, true});
  SlowAnalysesDue due = refresh.DueAt(100'000);
  ASSERT_TRUE(due.body && due.attention) << "the first frame computes both";
  EXPECT_FALSE(due.scene || due.attire) << "not planned";
  v1::FrameResult first = Frame(1, {7, 9});
  first.mutable_analysis()->mutable_faces(1)->mutable_attention()->set_mouth_openness(0.4f);
  v1::PersonBody* body = first.mutable_analysis()->add_bodies();
  body->set_face_index(1);
  body->set_track_id(9);
  body->set_score(0.8f);
  first.mutable_analysis()->add_bodies()->set_face_index(-1);  // unlinked: not carried
  refresh.Complete(due, &first);
  EXPECT_FALSE(first.has_body_from_sequence()) << "computed, not carried";
  EXPECT_EQ(first.analysis().bodies_size(), 2) << "computed bodies untouched";

  due = refresh.DueAt(200'000);
  ASSERT_FALSE(due.body || due.attention) << "within both intervals";
  v1::FrameResult second = Frame(2, {9, 11});
  refresh.Complete(due, &second);
  EXPECT_EQ(second.body_from_sequence(), 1u) << "says from where";
  EXPECT_EQ(second.attention_from_sequence(), 1u) << "says from where";
  ASSERT_EQ(second.analysis().bodies_size(), 1) << "only track 9's body is carried";
  EXPECT_EQ(second.analysis().bodies(0).track_id(), 9u) << "track kept";
  EXPECT_EQ(second.analysis().bodies(0).face_index(), 0) << "re-linked to this frame's face";
  EXPECT_EQ(second.analysis().bodies(0).score(), 0.8f) << "the computed body";
  ASSERT_TRUE(second.analysis().faces(0).has_attention()) << "track 9's attention carried";
  EXPECT_EQ(second.analysis().faces(0).attention().mouth_openness(), 0.4f) << "its values";
  EXPECT_FALSE(second.analysis().faces(1).has_attention()) << "new track 11 has none yet";

  due = refresh.DueAt(400'000);
  EXPECT_TRUE(due.attention) << "300 ms passed: attention again";
  EXPECT_FALSE(due.body) << "500 ms not yet passed";
}

}  // namespace
}  // namespace affect::stream

#include "server/stream/face_tracker.h"

#include <algorithm>
#include <set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/stream/stream_test_util.h"
#include "tests/testing/status_matchers.h"

namespace affect::stream {
namespace {

using ::affect::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kMs;
using testing::kSecond;
using testing::Square;

constexpr int64_t kFrameUs = 33'333;  // 30 fps

TEST(FaceTrackerTest, IdsStartAtOneInInputOrder) {
  FaceTracker tracker({});
  const auto update = tracker.Track(0, {Square(100, 100, 80), Square(400, 100, 80)});
  EXPECT_THAT(update.track_ids, ElementsAre(1, 2)) << "first ids are 1, 2 in input order";
  EXPECT_TRUE(update.ended.empty()) << "nothing ended on the first frame";
  EXPECT_EQ(tracker.next_id(), 3u) << "the next new track gets 3";
}

TEST(FaceTrackerTest, SlowlyMovingFaceKeepsItsId) {
  FaceTracker tracker({});
  for (int i = 0; i < 300; ++i) {
    // 4 px per frame to the right with a little vertical jitter.
    const float jitter = (i % 3 == 0) ? 2.0f : -1.0f;
    const auto update = tracker.Track(i * kFrameUs, {Square(100 + 4.0f * i, 200 + jitter, 90)});
    ASSERT_THAT(update.track_ids, ElementsAre(1)) << "frame " << i << " changed the id";
  }
  EXPECT_EQ(tracker.live_tracks(), 1u) << "one face, one track";
}

TEST(FaceTrackerTest, TwoCrossingFacesKeepTheirIds) {
  FaceTracker tracker({});
  // A moves right, B moves left on almost the same line; they overlap fully
  // around frame 15. Input order alternates so order cannot carry identity.
  for (int i = 0; i <= 30; ++i) {
    const analysis::Box a = Square(100 + 10.0f * i, 200, 100);
    const analysis::Box b = Square(400 - 10.0f * i, 210, 100);
    const bool swap = i % 2 == 1;
    const auto update = tracker.Track(
        i * kFrameUs, swap ? std::vector<analysis::Box>{b, a} : std::vector<analysis::Box>{a, b});
    const uint64_t id_a = update.track_ids[swap ? 1 : 0];
    const uint64_t id_b = update.track_ids[swap ? 0 : 1];
    ASSERT_EQ(id_a, 1u) << "face A lost its id at frame " << i;
    ASSERT_EQ(id_b, 2u) << "face B lost its id at frame " << i;
  }
}

TEST(FaceTrackerTest, CrossingFacesKeepIdsThroughABriefOcclusion) {
  FaceTracker tracker({});
  // B passes behind A: around the crossing (frames 14..16) the detector
  // sees only A. B's predicted position carries it through.
  for (int i = 0; i <= 30; ++i) {
    const analysis::Box a = Square(100 + 10.0f * i, 200, 100);
    const analysis::Box b = Square(400 - 10.0f * i, 205, 100);
    const bool hidden = i >= 14 && i <= 16;
    std::vector<analysis::Box> boxes = {a};
    if (!hidden) boxes.push_back(b);
    const auto update = tracker.Track(i * kFrameUs, boxes);
    ASSERT_EQ(update.track_ids[0], 1u) << "face A lost its id at frame " << i;
    if (!hidden) {
      ASSERT_EQ(update.track_ids[1], 2u) << "face B lost its id at frame " << i;
    }
  }
}

TEST(FaceTrackerTest, FaceMissingForAFewFramesKeepsItsId) {
  FaceTrackerOptions options;
  options.max_missed_frames = 10;
  FaceTracker tracker(options);
  int64_t t = 0;
  for (int i = 0; i < 10; ++i, t += kFrameUs) tracker.Track(t, {Square(200, 200, 100)});
  for (int i = 0; i < 10; ++i, t += kFrameUs) {
    const auto update = tracker.Track(t, {});
    ASSERT_TRUE(update.ended.empty()) << "missed " << i + 1 << " frames (<= 10): still alive";
  }
  const auto update = tracker.Track(t, {Square(205, 200, 100)});
  EXPECT_THAT(update.track_ids, ElementsAre(1)) << "back after 10 missed frames: same id";
}

TEST(FaceTrackerTest, FaceMissingForLongerGetsANewId) {
  FaceTrackerOptions options;
  options.max_missed_frames = 10;
  FaceTracker tracker(options);
  int64_t t = 0;
  for (int i = 0; i < 10; ++i, t += kFrameUs) tracker.Track(t, {Square(200, 200, 100)});
  std::vector<uint64_t> ended;
  for (int i = 0; i < 11; ++i, t += kFrameUs) {
    const auto update = tracker.Track(t, {});
    ended.insert(ended.end(), update.ended.begin(), update.ended.end());
  }
  EXPECT_THAT(ended, ElementsAre(1)) << "the 11th missed frame ends track 1";
  const auto update = tracker.Track(t, {Square(200, 200, 100)});
  EXPECT_THAT(update.track_ids, ElementsAre(2)) << "same place after the track ended: new id";
}

TEST(FaceTrackerTest, TimeGapLongerThanTheLimitStartsANewTrack) {
  FaceTrackerOptions options;
  options.max_missed_us = 1 * kSecond;
  FaceTracker tracker(options);
  tracker.Track(0, {Square(200, 200, 100)});
  // Dropped frames: the next analysed frame comes 1.5 s later, the face in
  // the same place. Nobody can tell it is the same person: new track.
  const auto update = tracker.Track(1500 * kMs, {Square(200, 200, 100)});
  EXPECT_THAT(update.track_ids, ElementsAre(2)) << "a 1.5 s gap exceeds max_missed_us (1 s)";
  EXPECT_THAT(update.ended, ElementsAre(1)) << "track 1 ended by time";
}

TEST(FaceTrackerTest, ShortTimeGapKeepsTheTrack) {
  FaceTracker tracker({});
  tracker.Track(0, {Square(200, 200, 100)});
  const auto update = tracker.Track(600 * kMs, {Square(230, 200, 100)});
  EXPECT_THAT(update.track_ids, ElementsAre(1)) << "0.6 s gap, moved 0.3 face sizes: same track";
}

TEST(FaceTrackerTest, IdsAreNeverReused) {
  FaceTracker tracker({});
  std::set<uint64_t> seen;
  int64_t t = 0;
  for (int visit = 0; visit < 20; ++visit) {
    // The face comes, stays 5 frames, leaves for 2 s (its track ends).
    uint64_t id = 0;
    for (int i = 0; i < 5; ++i, t += kFrameUs)
      id = tracker.Track(t, {Square(300, 300, 100)}).track_ids[0];
    EXPECT_TRUE(seen.insert(id).second)
        << "id " << id << " was used before (visit " << visit << ")";
    t += 2 * kSecond;
  }
  EXPECT_EQ(seen.size(), 20u) << "20 visits after expiry, 20 distinct ids";
}

TEST(FaceTrackerTest, ZeroFacesAndManyFaces) {
  FaceTracker tracker({});
  EXPECT_TRUE(tracker.Track(0, {}).track_ids.empty()) << "no faces: no ids";
  std::vector<analysis::Box> grid;
  for (int row = 0; row < 10; ++row) {
    for (int col = 0; col < 10; ++col)
      grid.push_back(Square(50 + 100.0f * col, 50 + 100.0f * row, 60));
  }
  const auto first = tracker.Track(kFrameUs, grid);
  const std::set<uint64_t> ids(first.track_ids.begin(), first.track_ids.end());
  EXPECT_EQ(ids.size(), 100u) << "100 faces, 100 distinct ids";
  EXPECT_EQ(ids.count(0), 0u) << "every face tracked (128 live tracks allowed)";
  // Next frame: everyone moved 5 px and the order is reversed.
  std::vector<analysis::Box> moved;
  for (auto it = grid.rbegin(); it != grid.rend(); ++it)
    moved.push_back(Square(it->center_x() + 5, it->center_y(), 60));
  const auto second = tracker.Track(2 * kFrameUs, moved);
  for (size_t i = 0; i < moved.size(); ++i) {
    EXPECT_EQ(second.track_ids[i], first.track_ids[moved.size() - 1 - i])
        << "face " << i << " switched ids";
  }
}

TEST(FaceTrackerTest, NewFaceBesideATrackedFaceGetsItsOwnId) {
  FaceTracker tracker({});
  tracker.Track(0, {Square(200, 200, 100)});
  const auto update = tracker.Track(kFrameUs, {Square(200, 200, 100), Square(310, 200, 100)});
  EXPECT_THAT(update.track_ids, ElementsAre(1, 2)) << "a face one width away is someone else";
}

TEST(FaceTrackerTest, FaceOfAVeryDifferentSizeDoesNotContinueATrack) {
  FaceTracker tracker({});
  tracker.Track(0, {Square(200, 200, 60)});
  const auto update = tracker.Track(kFrameUs, {Square(200, 200, 150)});
  EXPECT_THAT(update.track_ids, ElementsAre(2)) << "2.5x the size exceeds max_size_ratio (2)";
}

TEST(FaceTrackerTest, LiveTracksStayBoundedWithNewFacesEveryFrame) {
  FaceTrackerOptions options;
  options.max_live_tracks = 16;
  options.max_missed_frames = 1000;        // nothing expires by misses:
  options.max_missed_us = 3600 * kSecond;  // only the bound limits the table
  FaceTracker tracker(options);
  std::set<uint64_t> ids;
  for (int i = 0; i < 10000; ++i) {
    // Three new faces per frame, far from every earlier one.
    const float x = 1000.0f * static_cast<float>(i);
    const auto update =
        tracker.Track(i * kFrameUs, {Square(x, 100, 50), Square(x, 400, 50), Square(x, 700, 50)});
    ids.insert(update.track_ids.begin(), update.track_ids.end());
    ASSERT_LE(tracker.live_tracks(), 16u) << "live tracks over the bound at frame " << i;
  }
  EXPECT_EQ(ids.size(), 30000u) << "every new face got a new id";
  EXPECT_EQ(ids.count(0), 0u) << "replacing missed tracks left no face untracked";
}

TEST(FaceTrackerTest, FullTableOfMatchedTracksLeavesANewFaceUntracked) {
  FaceTrackerOptions options;
  options.max_live_tracks = 2;
  FaceTracker tracker(options);
  tracker.Track(0, {Square(100, 100, 50), Square(300, 100, 50)});
  const auto update =
      tracker.Track(kFrameUs, {Square(100, 100, 50), Square(300, 100, 50), Square(500, 100, 50)});
  EXPECT_THAT(update.track_ids, ElementsAre(1, 2, 0))
      << "both live tracks are in this frame: the third face cannot be tracked";
}

TEST(FaceTrackerTest, MatchScoreFollowsTheDocumentedFormula) {
  const FaceTrackerOptions options;
  EXPECT_FLOAT_EQ(FaceTracker::MatchScore(Square(0, 0, 100), Square(0, 0, 100), options), 1.0f)
      << "same box: IoU 1, distance 0";
  EXPECT_NEAR(FaceTracker::MatchScore(Square(0, 0, 100), Square(120, 0, 100), options), 0.0f, 1e-6)
      << "no overlap, centres 1.2 sizes apart: 0";
  EXPECT_NEAR(FaceTracker::MatchScore(Square(0, 0, 100), Square(60, 0, 100), options),
              0.5f * (40.0f * 100.0f) / (160.0f * 100.0f) + 0.5f * 0.4f, 1e-5)
      << "0.6 sizes apart: 0.5 IoU(0.25) + 0.5 (1 - 0.6)";
  EXPECT_LT(FaceTracker::MatchScore(Square(0, 0, 50), Square(0, 0, 120), options), 0.0f)
      << "sizes 2.4x apart are gated out";
}

TEST(FaceTrackerTest, RejectsOptionsOutOfRange) {
  FaceTrackerOptions options;
  options.min_match_score = 0.0f;
  EXPECT_THAT(ValidateFaceTrackerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tracker.min_match_score")))
      << "a zero threshold would match anything";
  options = {};
  options.max_live_tracks = 0;
  EXPECT_THAT(ValidateFaceTrackerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tracker.max_live_tracks")))
      << "at least one track";
}

}  // namespace
}  // namespace affect::stream

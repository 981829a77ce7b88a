// Track ids are random per stream (track_ids.h): nothing links a person
// across streams, not even the id.
#include "server/stream/track_ids.h"

#include <set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/stream/face_tracker.h"
#include "server/stream/stream_aggregator.h"
#include "tests/stream/stream_test_util.h"

namespace affect::stream {
namespace {

using ::testing::ElementsAre;
using testing::MakeFace;
using testing::Square;

TEST(TrackIdsTest, TrackerCountsUpFromItsFirstId) {
  FaceTrackerOptions options;
  options.first_id = 1000;
  FaceTracker tracker(options);
  const auto update = tracker.Track(0, {Square(100, 100, 80), Square(400, 100, 80)});
  EXPECT_THAT(update.track_ids, ElementsAre(1000, 1001));
  options.first_id = 0;
  EXPECT_FALSE(ValidateFaceTrackerOptions(options).ok()) << "0 means untracked: not an id";
}

TEST(TrackIdsTest, RandomFirstIdsAreInRangeAndVary) {
  std::set<uint64_t> seen;
  for (int i = 0; i < 16; ++i) {
    const uint64_t id = RandomFirstTrackId();
    EXPECT_GE(id, 1u);
    EXPECT_LE(id, kMaxFirstTrackId);
    seen.insert(id);
  }
  EXPECT_GT(seen.size(), 1u) << "16 draws from 2^32 values are not all equal";
}

// The same frames in two streams: the same face gets unrelated ids.
TEST(TrackIdsTest, TwoStreamsOfTheSameFramesGiveDifferentIds) {
  v1::StreamConfig config;
  config.set_stream_id("same-config");
  std::vector<uint64_t> first_ids;
  for (int stream = 0; stream < 2; ++stream) {
    auto options = StreamAggregatorOptionsFromConfig(config);
    ASSERT_TRUE(options.ok()) << options.status();
    auto aggregator = StreamAggregator::Create(*options);
    ASSERT_TRUE(aggregator.ok()) << aggregator.status();
    std::vector<v1::StreamAggregate> out;
    v1::ImageAnalysis frame;
    *frame.add_faces() = MakeFace(Square(100, 100, 80));
    ASSERT_TRUE((*aggregator)->AddFrame(0, &frame, &out).ok());
    first_ids.push_back(frame.faces(0).track_id());
    v1::ImageAnalysis next;
    *next.add_faces() = MakeFace(Square(102, 100, 80));
    ASSERT_TRUE((*aggregator)->AddFrame(100'000, &next, &out).ok());
    EXPECT_EQ(next.faces(0).track_id(), frame.faces(0).track_id())
        << "within a stream the id stays stable";
  }
  ASSERT_EQ(first_ids.size(), 2u);
  EXPECT_NE(first_ids[0], 0u) << "tracked";
  EXPECT_NE(first_ids[0], first_ids[1])
      << "two streams of the same frames must not share ids (chance 2^-32)";
}

}  // namespace
}  // namespace affect::stream

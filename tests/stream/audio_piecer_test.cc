// Audio piecing without gRPC: pieces stay inside one aggregate window and
// at most a second long, the buffer is bounded, client times are checked.
#include "server/stream/audio_piecer.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect::stream {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;

std::vector<float> Seconds(double seconds, uint32_t rate_hz) {
  return std::vector<float>(static_cast<size_t>(seconds * rate_hz), 0.25f);
}

TEST(AudioPiecerTest, CutsEachWindowIntoEqualPiecesOfAtMostASecond) {
  // 2.5 s windows are cut into three pieces of 0.833 s.
  AudioPiecer piecer(16000, 2'500'000, 30.0);
  ASSERT_TRUE(piecer.Add(0, Seconds(5.0, 16000)).ok());
  std::vector<AudioPiece> pieces;
  while (auto piece = piecer.Take(false)) pieces.push_back(*piece);
  ASSERT_EQ(pieces.size(), 6u);
  for (const AudioPiece& piece : pieces) {
    EXPECT_LE(piece.end_us - piece.start_us, 1'000'000);
    // Never straddles a window boundary.
    EXPECT_EQ(piece.start_us / 2'500'000, (piece.end_us - 1) / 2'500'000);
    EXPECT_EQ(piece.samples->size(), MicrosToSamples(piece.end_us - piece.start_us));
  }
  EXPECT_EQ(pieces.front().start_us, 0);
  EXPECT_EQ(pieces[2].end_us, 2'500'000);
  EXPECT_EQ(pieces.back().end_us, 5'000'000);
}

TEST(AudioPiecerTest, StartsAtTheFirstChunksTimestampAndResamples) {
  AudioPiecer piecer(48000, 1'000'000, 30.0);
  ASSERT_TRUE(piecer.Add(3'000'000, Seconds(1.0, 48000)).ok());
  // 48 kHz in, 16 kHz out: the resampler holds back a short tail until
  // Finish, so the first full piece may need it.
  piecer.Finish();
  auto piece = piecer.Take(true);
  ASSERT_TRUE(piece.has_value());
  EXPECT_EQ(piece->start_us, 3'000'000);
  EXPECT_NEAR(static_cast<double>(piece->samples->size()), 16000.0, 64.0);
}

TEST(AudioPiecerTest, AShortTailIsAPieceOnlyAtTheEndAndOnlyIfLongEnough) {
  AudioPiecer piecer(16000, 2'000'000, 30.0);
  ASSERT_TRUE(piecer.Add(0, Seconds(0.5, 16000)).ok());
  EXPECT_FALSE(piecer.Peek(false).has_value());
  auto tail = piecer.Peek(true);
  ASSERT_TRUE(tail.has_value());
  EXPECT_EQ(tail->end_us, 500'000);

  AudioPiecer tiny(16000, 2'000'000, 30.0);
  ASSERT_TRUE(tiny.Add(0, Seconds(0.05, 16000)).ok());
  EXPECT_FALSE(tiny.Peek(true).has_value());
}

TEST(AudioPiecerTest, KeepsAtMostTheBufferBoundAndSaysHowMuchItDropped) {
  AudioPiecer piecer(16000, 1'000'000, 2.0);
  int64_t dropped_us = -1;
  ASSERT_TRUE(piecer.Add(0, Seconds(5.0, 16000), &dropped_us).ok());
  EXPECT_EQ(dropped_us, 3'000'000);
  auto piece = piecer.Peek(false);
  ASSERT_TRUE(piece.has_value());
  // The oldest three seconds are gone; what is left keeps its stream time.
  EXPECT_EQ(piece->start_us, 3'000'000);
  EXPECT_EQ(piecer.end_us(), 5'000'000);
}

TEST(AudioPiecerTest, RefusesTimestampsOutsideTheStreamTimeRange) {
  AudioPiecer piecer(16000, 1'000'000, 30.0);
  EXPECT_THAT(piecer.Add(-1, Seconds(0.1, 16000)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("audio.timestamp_us")));
  EXPECT_THAT(piecer.Add(INT64_MAX, Seconds(0.1, 16000)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("audio.timestamp_us")));
  EXPECT_FALSE(piecer.started());
  // The largest accepted time still pieces without overflow.
  ASSERT_TRUE(piecer.Add(kMaxStreamTimeUs, Seconds(1.0, 16000)).ok());
  auto piece = piecer.Take(false);
  ASSERT_TRUE(piece.has_value());
  EXPECT_EQ(piece->start_us, kMaxStreamTimeUs);
  EXPECT_GT(piece->end_us, piece->start_us);
}

}  // namespace
}  // namespace affect::stream

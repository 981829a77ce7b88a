// affect-bench's figures: exact percentiles, the open-loop timetable, the
// report formats.
#include "client/bench/bench_report.h"
#include "client/bench/latency_stats.h"
#include "client/bench/load_generator.h"
#include "client/bench/open_loop_schedule.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace affect::bench {
namespace {

using ::testing::HasSubstr;

LatencyStats OneToHundredMs() {
  LatencyStats stats;
  // Out of order on purpose: the statistics must not depend on it.
  for (int i = 100; i >= 1; --i) stats.Add(absl::Milliseconds(i));
  return stats;
}

TEST(LatencyStatsTest, NearestRankPercentilesOfOneToHundred) {
  const LatencyStats stats = OneToHundredMs();
  EXPECT_EQ(stats.count(), 100);
  EXPECT_EQ(stats.Percentile(50), absl::Milliseconds(50));
  EXPECT_EQ(stats.Percentile(90), absl::Milliseconds(90));
  EXPECT_EQ(stats.Percentile(99), absl::Milliseconds(99));
  EXPECT_EQ(stats.Percentile(99.9), absl::Milliseconds(100));
  EXPECT_EQ(stats.Percentile(100), absl::Milliseconds(100));
  EXPECT_EQ(stats.Min(), absl::Milliseconds(1));
  EXPECT_EQ(stats.Max(), absl::Milliseconds(100));
  EXPECT_EQ(stats.Mean(), absl::Microseconds(50'500));
}

TEST(LatencyStatsTest, SmallSamplesUseTheRankAtOrAboveThePercentile) {
  LatencyStats stats;
  for (int ms : {10, 20, 30, 40}) stats.Add(absl::Milliseconds(ms));
  EXPECT_EQ(stats.Percentile(50), absl::Milliseconds(20)) << "rank ceil(0.5*4) = 2";
  EXPECT_EQ(stats.Percentile(51), absl::Milliseconds(30)) << "rank ceil(2.04) = 3";
  EXPECT_EQ(stats.Percentile(90), absl::Milliseconds(40)) << "rank ceil(3.6) = 4";
  EXPECT_EQ(stats.Percentile(1), absl::Milliseconds(10));
}

TEST(LatencyStatsTest, PercentileOfTenIsNotPushedUpByRounding) {
  LatencyStats stats;
  for (int ms = 1; ms <= 10; ++ms) stats.Add(absl::Milliseconds(ms));
  EXPECT_EQ(stats.Percentile(90), absl::Milliseconds(9)) << "0.9 * 10 is rank 9, not 10";
  EXPECT_EQ(stats.Percentile(70), absl::Milliseconds(7));
}

TEST(LatencyStatsTest, OneSampleIsEveryPercentileAndEmptyIsZero) {
  LatencyStats one;
  one.Add(absl::Milliseconds(7));
  EXPECT_EQ(one.Percentile(1), absl::Milliseconds(7));
  EXPECT_EQ(one.Percentile(99), absl::Milliseconds(7));
  const LatencyStats empty;
  EXPECT_EQ(empty.Percentile(50), absl::ZeroDuration());
  EXPECT_EQ(empty.Max(), absl::ZeroDuration());
  EXPECT_EQ(empty.Mean(), absl::ZeroDuration());
}

TEST(LatencyStatsTest, MergeCombinesSamples) {
  LatencyStats a, b;
  a.Add(absl::Milliseconds(3));
  b.Add(absl::Milliseconds(1));
  b.Add(absl::Milliseconds(2));
  a.Merge(b);
  EXPECT_EQ(a.count(), 3);
  EXPECT_EQ(a.Percentile(50), absl::Milliseconds(2));
  a.Add(absl::Milliseconds(0));
  EXPECT_EQ(a.Min(), absl::ZeroDuration()) << "adding after reading re-sorts";
}

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

TEST(OpenLoopScheduleTest, SendTimesAreStartPlusIndexOverRate) {
  const OpenLoopSchedule schedule(kStart, 4.0);
  EXPECT_EQ(schedule.SendTime(0), kStart);
  EXPECT_EQ(schedule.SendTime(1), kStart + absl::Milliseconds(250));
  EXPECT_EQ(schedule.SendTime(10), kStart + absl::Milliseconds(2500));
}

TEST(OpenLoopScheduleTest, NoDriftOverAMillionRequests) {
  const OpenLoopSchedule schedule(kStart, 3.0);  // 1/3 s is not exact in binary
  EXPECT_EQ(schedule.SendTime(3'000'000), kStart + absl::Seconds(1'000'000));
  EXPECT_EQ(schedule.SendTime(1), kStart + absl::Nanoseconds(333'333'333));
  EXPECT_EQ(schedule.SendTime(2), kStart + absl::Nanoseconds(666'666'667));
}

TEST(OpenLoopScheduleTest, DueByCountsRequestsWhoseTimeHasCome) {
  const OpenLoopSchedule schedule(kStart, 10.0);
  EXPECT_EQ(schedule.DueBy(kStart - absl::Milliseconds(1)), 0);
  EXPECT_EQ(schedule.DueBy(kStart), 1) << "request 0 is due at the start";
  EXPECT_EQ(schedule.DueBy(kStart + absl::Milliseconds(99)), 1);
  EXPECT_EQ(schedule.DueBy(kStart + absl::Milliseconds(100)), 2);
  EXPECT_EQ(schedule.DueBy(kStart + absl::Seconds(1)), 11);
}

TEST(OpenLoopScheduleTest, ARunOfDurationDHoldsRateTimesDRequests) {
  EXPECT_EQ(OpenLoopSchedule(kStart, 10.0).CountWithin(absl::Seconds(1)), 10)
      << "0, 100, ..., 900 ms; the one at 1 s is outside";
  EXPECT_EQ(OpenLoopSchedule(kStart, 3.0).CountWithin(absl::Seconds(1)), 3);
  EXPECT_EQ(OpenLoopSchedule(kStart, 2.5).CountWithin(absl::Seconds(1)), 3) << "0, 0.4, 0.8";
  EXPECT_EQ(OpenLoopSchedule(kStart, 10.0).CountWithin(absl::ZeroDuration()), 0);
}

TEST(OpenLoopScheduleTest, LatencyFromTheScheduleIncludesTheWaitForASlot) {
  // The coordinated-omission arithmetic: request 5 of a 10/s schedule is
  // due at 500 ms; if a slot frees only at 900 ms and the answer takes
  // 100 ms, its latency is 500 ms, not 100 ms.
  const OpenLoopSchedule schedule(kStart, 10.0);
  const absl::Time sent = kStart + absl::Milliseconds(900);
  const absl::Time answered = sent + absl::Milliseconds(100);
  EXPECT_EQ(answered - schedule.SendTime(5), absl::Milliseconds(500));
}

LoadResult SampleResult() {
  LoadResult result;
  for (int ms : {100, 200, 300, 400}) result.latency.Add(absl::Milliseconds(ms));
  result.ok = 4;
  result.sent = 5;
  result.errors["RESOURCE_EXHAUSTED"] = 1;
  result.error_messages["RESOURCE_EXHAUSTED"] = "model 'centernet' queue full";
  result.elapsed = absl::Seconds(2);
  return result;
}

TEST(BenchReportTest, TextReportHasThroughputPercentilesAndErrors) {
  BenchDescription description;
  description.server = "localhost:50051";
  description.concurrency = 4;
  description.requests = 5;
  description.image_count = 2;
  description.images_source = "images/";
  description.analyses = "all";
  const std::string text = FormatTextReport(description, SampleResult());
  EXPECT_THAT(text, HasSubstr("unary Analyze -> localhost:50051"));
  EXPECT_THAT(text, HasSubstr("closed loop, concurrency 4, 5 requests"));
  EXPECT_THAT(text, HasSubstr("5 sent, 4 ok, 1 failed"));
  EXPECT_THAT(text, HasSubstr("throughput  2.00 requests/s"));
  EXPECT_THAT(text, HasSubstr("from each call's start to its answer"));
  EXPECT_THAT(text, HasSubstr("100.0     250.0     200.0     400.0     400.0     400.0"));
  EXPECT_THAT(text, HasSubstr("RESOURCE_EXHAUSTED        1  model 'centernet' queue full"));
}

TEST(BenchReportTest, OpenLoopSaysLatencyIsFromTheScheduledTime) {
  BenchDescription description;
  description.rate = 20;
  EXPECT_THAT(LatencyOrigin(description), HasSubstr("scheduled send time"));
  EXPECT_THAT(LatencyOrigin(description), HasSubstr("no coordinated omission"));
}

TEST(BenchReportTest, JsonReportIsOneObjectWithTheFigures) {
  BenchDescription description;
  description.mode = LoadMode::kStream;
  description.fps = 5;
  description.concurrency = 2;
  const std::string json = FormatJsonReport(description, SampleResult());
  EXPECT_EQ(std::count(json.begin(), json.end(), '\n'), 1);
  EXPECT_THAT(json, HasSubstr("\"mode\":\"stream\""));
  EXPECT_THAT(json, HasSubstr("\"concurrency\":2"));
  EXPECT_THAT(json, HasSubstr("\"ok\":4,\"failed\":1"));
  EXPECT_THAT(json, HasSubstr("\"throughput_per_s\":2.0000"));
  EXPECT_THAT(json, HasSubstr("\"p50\":200.000,\"p90\":400.000,\"p99\":400.000"));
  EXPECT_THAT(json, HasSubstr("\"errors\":{\"RESOURCE_EXHAUSTED\":1}"));
  EXPECT_THAT(json, HasSubstr("\"error_messages\":{\"RESOURCE_EXHAUSTED\":\"model 'centernet' "
                              "queue full\"}"));
}

TEST(RetryDelayTest, HonoursTheServersPushback) {
  EXPECT_EQ(RetryDelay(absl::Milliseconds(250), 7, absl::Milliseconds(10), absl::Seconds(1), 1.0),
            absl::Milliseconds(250))
      << "the server's pushback wins over the client's own back-off";
}

TEST(RetryDelayTest, DoublesPerConsecutiveRefusalUpToTheCap) {
  const absl::Duration base = absl::Milliseconds(10), max = absl::Seconds(1);
  EXPECT_EQ(RetryDelay(std::nullopt, 1, base, max, 1.0), absl::Milliseconds(10));
  EXPECT_EQ(RetryDelay(std::nullopt, 2, base, max, 1.0), absl::Milliseconds(20));
  EXPECT_EQ(RetryDelay(std::nullopt, 5, base, max, 1.0), absl::Milliseconds(160));
  EXPECT_EQ(RetryDelay(std::nullopt, 20, base, max, 1.0), max) << "capped";
  EXPECT_EQ(RetryDelay(std::nullopt, 1000, base, max, 1.0), max) << "no overflow";
}

TEST(RetryDelayTest, JitterSpreadsWithinHalfToOneAndAHalf) {
  const absl::Duration base = absl::Milliseconds(100), max = absl::Seconds(1);
  EXPECT_EQ(RetryDelay(std::nullopt, 1, base, max, 0.5), absl::Milliseconds(50));
  EXPECT_EQ(RetryDelay(std::nullopt, 1, base, max, 1.5), absl::Milliseconds(150));
  EXPECT_EQ(RetryDelay(std::nullopt, 1, base, max, 9.0), absl::Milliseconds(150)) << "clamped";
}

}  // namespace
}  // namespace affect::bench

// When each request of an open-loop load is due.
//
// Open loop means requests are sent on a fixed timetable whatever the server
// does; a closed loop (each worker waits for its answer before sending the
// next) lets a slow server slow the load down, and then latencies measured
// from the actual send time hide the queueing a real client population would
// see ("coordinated omission"). affect-bench therefore measures open-loop
// latency from SendTime(i), the time request i was *due*, not the time it
// went out.
#ifndef AFFECT_CLIENT_BENCH_OPEN_LOOP_SCHEDULE_H_
#define AFFECT_CLIENT_BENCH_OPEN_LOOP_SCHEDULE_H_

#include <cstdint>

#include "absl/time/time.h"

namespace affect::bench {

// Request i (0-based) is due at start + i / rate: computed from i, not
// accumulated, so the timetable never drifts. Pure; thread-safe.
class OpenLoopSchedule {
 public:
  // REQUIRES: rate_per_second > 0.
  OpenLoopSchedule(absl::Time start, double rate_per_second)
      : start_(start), rate_(rate_per_second) {}

  absl::Time SendTime(int64_t index) const;
  // Requests due at or before `now`: the count of i with SendTime(i) <= now.
  int64_t DueBy(absl::Time now) const;
  // Requests of a run of length `duration`: those due strictly before
  // start + duration.
  int64_t CountWithin(absl::Duration duration) const;

  absl::Time start() const { return start_; }
  double rate() const { return rate_; }

 private:
  absl::Time start_;
  double rate_;
};

}  // namespace affect::bench

#endif  // AFFECT_CLIENT_BENCH_OPEN_LOOP_SCHEDULE_H_

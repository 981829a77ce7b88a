#include "client/bench/open_loop_schedule.h"

#include <cmath>

namespace affect::bench {

absl::Time OpenLoopSchedule::SendTime(int64_t index) const {
  // Nanosecond rounding of each send time on its own: no accumulated drift.
  return start_ + absl::Nanoseconds(std::llround(static_cast<double>(index) * 1e9 / rate_));
}

int64_t OpenLoopSchedule::DueBy(absl::Time now) const {
  if (now < start_) return 0;
  int64_t due = static_cast<int64_t>(std::floor(absl::ToDoubleSeconds(now - start_) * rate_)) + 1;
  // Correct the floating-point estimate against SendTime, which is exact.
  while (due > 0 && SendTime(due - 1) > now) --due;
  while (SendTime(due) <= now) ++due;
  return due;
}

int64_t OpenLoopSchedule::CountWithin(absl::Duration duration) const {
  if (duration <= absl::ZeroDuration()) return 0;
  const absl::Time end = start_ + duration;
  int64_t count = static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(duration) * rate_));
  while (count > 0 && SendTime(count - 1) >= end) --count;
  while (SendTime(count) < end) ++count;
  return count;
}

}  // namespace affect::bench

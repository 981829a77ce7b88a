#include "server/stream/track_ids.h"

#include "absl/random/random.h"
#include "server/stream/face_tracker.h"

namespace affect::stream {

uint64_t RandomFirstTrackId() {
  thread_local absl::BitGen random;
  return absl::Uniform<uint64_t>(absl::IntervalClosedClosed, random, uint64_t{1},
                                 kMaxFirstTrackId);
}

}  // namespace affect::stream

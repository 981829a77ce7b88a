// Which stream frame runs next, across every open stream: the decisions that
// keep live streams live under overload, without gRPC (the stream reactor
// only reads, writes and finishes; it hands frames here and starts what this
// class says).
//
// * One budget of running frames for the whole server (max_running_frames),
//   shared fairly: when a frame finishes, the next frame to start comes from
//   the streams in turn (round robin over the streams with waiting frames),
//   so a stream that sends fast cannot starve one that sends slowly. Each
//   stream also runs at most `max_running` frames at once.
// * A stream's frames start in arrival order.
// * Drop policies keep their meaning: a stream holds at most `max_in_flight`
//   frames (waiting + running); beyond it DROP_OLDEST drops its oldest
//   waiting frame, DROP_NEWEST the arriving one, and BACKPRESSURE refuses
//   nothing (the reactor stops reading while HasRoom() is false).
// * Frame age: `max_frame_age` is the oldest a frame of a DROP_OLDEST or
//   DROP_NEWEST stream may be when its answer goes out. A frame must start
//   within its stream's start age limit of its arrival or it is dropped
//   (kTooOld), so the latency of the frames that are answered stays bounded
//   under overload. The limit is max_frame_age less the stream's expected
//   run time (a moving average of its frames' start-to-FrameDone times),
//   and never less than half of max_frame_age (a stream whose frames take
//   longer than half their age still gets answers, up to half the age plus
//   the run time late); before the stream's first frame finishes, the limit
//   is max_frame_age itself. Without the subtraction a frame could start
//   just inside its age and be answered a whole run time after it: the p99
//   latency under overload sat at age + run time. BACKPRESSURE streams
//   (offline files) never drop.
//
// Time comes from the injected Clock; the class starts no threads and never
// sleeps: ages are checked whenever something happens (a frame arrives or
// finishes, a stream opens or closes) and when the owner calls
// DropExpired() (the server does so on a timer).
#ifndef AFFECT_SERVER_STREAM_FRAME_SCHEDULER_H_
#define AFFECT_SERVER_STREAM_FRAME_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "affect/v1/affect_service.pb.h"
#include "server/common/clock.h"

namespace affect::stream {

enum class FrameDropReason {
  kPolicy,  // the stream's drop policy, at max_in_flight
  kTooOld,  // could not start within max_frame_age
  kClosed,  // the stream closed while the frame waited
};

const char* FrameDropReasonName(FrameDropReason reason);

// What the scheduler tells one stream. Called on the thread of whichever
// scheduler call made the decision, with no scheduler lock held, possibly
// after the stream's handle was closed (the sink must then hand a started
// frame straight back with FrameDone). Calls for one stream may come from
// several threads at once: sinks are thread-safe.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // Frame `frame_id` holds a running slot now: run it, then call FrameDone.
  virtual void StartFrame(int64_t frame_id) = 0;
  // Frame `frame_id` will never start.
  virtual void DropFrame(int64_t frame_id, FrameDropReason reason) = 0;
};

struct FrameSchedulerOptions {
  // Frames running (decoding or in the models) at once over all streams.
  // >= 1.
  int max_running_frames = 4;
  // Not owned; null = Clock::Real(). Must outlive the scheduler.
  Clock* clock = nullptr;
};

struct StreamScheduleOptions {
  // Frames one stream may run at once. >= 1.
  int max_running = 2;
  // Frames one stream may hold, waiting + running. >= 1.
  int max_in_flight = 4;
  v1::DropPolicy drop_policy = v1::DROP_POLICY_DROP_OLDEST;
  // Ignored for BACKPRESSURE. > 0.
  absl::Duration max_frame_age = absl::Seconds(2);
};

// The start age limit of the header comment: `max_frame_age` less
// `expected_run` (ZeroDuration() = not known yet), at least half of
// `max_frame_age`.
absl::Duration StartAgeLimit(absl::Duration max_frame_age, absl::Duration expected_run);

class FrameScheduler;

// One stream's place in the scheduler. Thread-safe. Close it when the stream
// ends; frames it started still call FrameDone afterwards.
class ScheduledStream {
 public:
  ~ScheduledStream();
  ScheduledStream(const ScheduledStream&) = delete;
  ScheduledStream& operator=(const ScheduledStream&) = delete;

  // A frame arrived. It is started, queued, or dropped (sink calls), per the
  // policy. Ids must be unique per stream.
  void Enqueue(int64_t frame_id);
  // Started frame `frame_id` finished (or was abandoned): frees its slot,
  // and its start-to-done time feeds the stream's expected run time. An id
  // that is not running frees nothing.
  void FrameDone(int64_t frame_id);
  // How long after its arrival a frame of this stream may still start
  // (StartAgeLimit); InfiniteDuration() for BACKPRESSURE streams. A frame
  // started by the scheduler may still wait for the decode queue: the
  // session gives that queue arrival + this as the frame's start-by time.
  absl::Duration start_age_limit() const;
  // The moving average of this stream's frame run times; ZeroDuration()
  // until a frame has finished.
  absl::Duration expected_run() const;
  // BACKPRESSURE: whether another frame may be read now (waiting + running
  // below max_in_flight). Always true for the dropping policies.
  bool HasRoom() const;
  int waiting() const;
  int running() const;
  // No more frames: waiting ones are dropped (kClosed). Idempotent.
  void Close();

 private:
  friend class FrameScheduler;
  ScheduledStream(FrameScheduler* scheduler, int index) : scheduler_(scheduler), index_(index) {}
  FrameScheduler* const scheduler_;
  const int index_;  // slot in the scheduler's table
};

// Thread-safe.
class FrameScheduler {
 public:
  static absl::StatusOr<std::unique_ptr<FrameScheduler>> Create(FrameSchedulerOptions options);
  // REQUIRES: every ScheduledStream has been destroyed.
  ~FrameScheduler();

  // Adds a stream. INVALID_ARGUMENT for bad options. `sink` is kept until
  // the handle is destroyed.
  absl::StatusOr<std::unique_ptr<ScheduledStream>> Open(const StreamScheduleOptions& options,
                                                        std::shared_ptr<FrameSink> sink);

  // Drops every waiting frame older than its stream's max_frame_age.
  void DropExpired();

  int running() const;
  int waiting() const;
  int streams() const;
  const FrameSchedulerOptions& options() const { return options_; }

 private:
  friend class ScheduledStream;
  struct Waiting {
    int64_t id;
    absl::Time arrived;
  };
  struct Started {
    int64_t id;
    absl::Time at;
  };
  struct Entry {
    bool open = false;
    StreamScheduleOptions options;
    std::shared_ptr<FrameSink> sink;
    std::deque<Waiting> waiting;
    // The running frames (started, FrameDone not yet called), with their
    // start times.
    std::vector<Started> started;
    int running() const { return static_cast<int>(started.size()); }
    absl::Duration expected_run = absl::ZeroDuration();
  };
  struct Action {
    std::shared_ptr<FrameSink> sink;
    int64_t frame_id;
    bool start;  // else drop
    FrameDropReason reason;
  };

  explicit FrameScheduler(FrameSchedulerOptions options);

  // The handle's calls.
  void Enqueue(int index, int64_t frame_id);
  void FrameDone(int index, int64_t frame_id);
  absl::Duration start_age_limit(int index) const;
  absl::Duration expected_run(int index) const;
  bool HasRoom(int index) const;
  int waiting(int index) const;
  int running(int index) const;
  void Close(int index);
  void Release(int index);

  // REQUIRE mu_ held: drop aged frames everywhere, then start frames while
  // the budget allows, streams in turn.
  void DropExpiredLocked(absl::Time now, std::vector<Action>* actions);
  void StartFramesLocked(absl::Time now, std::vector<Action>* actions);
  static void Dispatch(std::vector<Action>* actions);

  const FrameSchedulerOptions options_;
  Clock* const clock_;

  mutable std::mutex mu_;
  std::vector<Entry> entries_;     // guarded by mu_; indexes are reused after Release
  std::vector<int> free_entries_;  // guarded by mu_
  int running_ = 0;                // guarded by mu_
  int next_ = 0;                   // guarded by mu_: the stream served first next time
};

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_FRAME_SCHEDULER_H_

// affect-bench's engine: keeps N Analyze calls (unary mode) or N
// AnalyzeStream sessions (stream mode) in flight with the gRPC callback API,
// so one process holds 64+ calls open without 64 blocked threads, and
// records what happened to each request.
//
// What is measured (latency per answered request or frame):
//   unary, closed loop (rate 0)  from the moment the call is started to its
//                                 answer; each of `concurrency` workers sends
//                                 its next request when the previous answer
//                                 arrives.
//   unary, open loop (rate R)    from the request's *scheduled* send time
//                                 (start + i/R across all workers) to its
//                                 answer; when `concurrency` calls are already
//                                 in flight the send waits, and that wait is
//                                 part of the latency (no coordinated
//                                 omission).
//   stream, fps F                 from the frame's scheduled time (each stream
//                                 sends F frames/s, streams staggered) to its
//                                 FrameResult. Frames the server drops (drop
//                                 policy) have no latency; they are counted.
//   stream, fps 0                 closed loop per stream: the next frame goes
//                                 when the previous result arrives.
// Throughput is answered-OK requests (frames) over the time from the first
// send to the last answer.
#ifndef AFFECT_CLIENT_BENCH_LOAD_GENERATOR_H_
#define AFFECT_CLIENT_BENCH_LOAD_GENERATOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "affect/v1/affect_service.pb.h"
#include "client/bench/latency_stats.h"
#include "client/cli/connection.h"
#include "server/common/clock.h"

namespace affect::bench {

enum class LoadMode { kUnary, kStream };

struct LoadOptions {
  LoadMode mode = LoadMode::kUnary;
  // Calls (unary) or streams kept open at once. >= 1.
  int concurrency = 1;
  // Total requests (unary) or frames (stream, across all streams); 0: run
  // for `duration` instead.
  int64_t requests = 0;
  absl::Duration duration = absl::Seconds(10);
  // Unary: requests per second across all workers (open loop); 0: closed
  // loop.
  double rate = 0;
  // Stream: frames per second of each stream; 0: closed loop per stream.
  double fps = 0;
  // Encoded images (JPEG, PNG, ...), sent in turn.
  std::vector<std::string> images;
  std::vector<v1::Analysis> analyses;
  v1::AnalysisOptions analysis_options;
  v1::DropPolicy drop_policy = v1::DROP_POLICY_UNSPECIFIED;
  // Stream: StreamConfig.max_frames_in_flight; 0 leaves the server default.
  int max_frames_in_flight = 0;
  // Stream: StreamConfig.scene_interval_ms / attire_interval_ms; 0 leaves
  // them unset (every frame).
  int64_t scene_interval_ms = 0;
  int64_t attire_interval_ms = 0;
  // Per unary call.
  absl::Duration deadline = absl::Seconds(60);
  // After the last send, how long answers may take before the remaining
  // calls are cancelled (counted as CANCELLED).
  absl::Duration drain_timeout = absl::Seconds(120);
  // Stream: frames queued in the client (waiting for the previous write)
  // beyond which a stream skips its scheduled frame (counted as
  // frames_not_sent). Bounds memory when the server applies backpressure.
  int max_queued_frames = 16;
  // Unary, closed loop: after a refusal (RESOURCE_EXHAUSTED, UNAVAILABLE) a
  // worker waits before its next call: the server's grpc-retry-pushback-ms
  // when it sent one, else an exponential back-off (retry_backoff_base
  // doubling per consecutive refusal, at most retry_backoff_max), with
  // +-50% jitter so that refused workers do not return together. False: the
  // next call goes at once (a retry storm; for comparison).
  bool retry_backoff = true;
  absl::Duration retry_backoff_base = absl::Milliseconds(10);
  absl::Duration retry_backoff_max = absl::Seconds(1);
  Clock* clock = Clock::Real();
};

// How long a client waits after its `consecutive_refusals`-th refusal in a
// row (>= 1): the server's pushback when given, else base * 2^(n-1) capped at
// `max`, then scaled by `jitter` (in [0.5, 1.5]).
absl::Duration RetryDelay(std::optional<absl::Duration> pushback, int consecutive_refusals,
                          absl::Duration base, absl::Duration max, double jitter);

struct LoadResult {
  LatencyStats latency;
  // Server-side service time of each answer (Timings.total_ms - wait_ms):
  // the time the work took once it started, without the waits before.
  LatencyStats service;
  // Server-side wait of each answer (Timings.wait_ms: receipt to the start of
  // decoding, including a stream frame's turn in the frame scheduler) and the
  // whole server-side time (Timings.total_ms: receipt to answer). The client
  // latency minus total_ms is what lies outside the server's timings: the
  // network, sending late, and a stream's in-order emission.
  LatencyStats server_wait;
  LatencyStats server_total;
  // Requests (frames) answered OK, and failed, by status code name.
  int64_t ok = 0;
  std::map<std::string, int64_t> errors;
  // The first message seen for each error code.
  std::map<std::string, std::string> error_messages;
  // Requests (frames) sent.
  int64_t sent = 0;
  // Unary: refusals after which a worker backed off, and for how long in all.
  int64_t backoffs = 0;
  absl::Duration backoff_time;
  // First send to last answer.
  absl::Duration elapsed;
  // Open loop: sends that went out later than scheduled (concurrency limit
  // reached), and the largest delay.
  int64_t late_sends = 0;
  absl::Duration max_send_lag;
  // Stream: frames the server dropped (its summary), frames the client could
  // not send in time (queue full), and streams that ended with an error.
  int64_t frames_dropped = 0;
  int64_t frames_not_sent = 0;
  int64_t streams_failed = 0;

  int64_t failed() const;
  double throughput_per_second() const;
};

// Runs one load to completion (blocking). INVALID_ARGUMENT for options that
// make no sense (no images, concurrency < 1, neither requests nor a positive
// duration). RPC failures are results, not errors.
absl::StatusOr<LoadResult> RunLoad(const client::Connection& connection,
                                   const LoadOptions& options);

}  // namespace affect::bench

#endif  // AFFECT_CLIENT_BENCH_LOAD_GENERATOR_H_

// Where a request's or a stream frame's pipeline timings go once it is
// answered: into the response (the caller's view) and into the per-stage
// latency histograms (the operator's view), so the two always agree.
#ifndef AFFECT_SERVER_API_RESPONSE_TIMINGS_H_
#define AFFECT_SERVER_API_RESPONSE_TIMINGS_H_

#include "absl/time/time.h"
#include "affect/v1/results.pb.h"
#include "server/metrics/server_metrics.h"
#include "server/pipeline/image_job.h"

namespace affect {

// Sets queue, inference, post-processing and `total` in `out` (decode is
// recorded where it happens); `metrics` may be null (metrics off).
void ReportPipelineTimings(const PipelineTimings& timings, absl::Duration total,
                           v1::Timings* out, ServerMetrics* metrics);

}  // namespace affect

#endif  // AFFECT_SERVER_API_RESPONSE_TIMINGS_H_

// The use case that unary calls and stream frames share: "analyse this
// encoded image". In order, each step before any CPU is spent on the next:
//   1. the image's header: a bad, truncated or oversized image is refused
//      at once, whatever the load (CheckImageBeforeDecoding);
//   2. capacity: refuse when a first-stage model queue is already full;
//   3. admission: the decode queue takes the image only if its items, bytes
//      and expected wait allow it and the deadline leaves time to decode;
//   4. decode, on an admission-queue thread, unless the call was cancelled
//      or expired while it waited;
//   5. the image pipeline (its stages check deadline and cancellation again
//      before each model).
#ifndef AFFECT_SERVER_PIPELINE_ENCODED_IMAGE_ANALYSIS_H_
#define AFFECT_SERVER_PIPELINE_ENCODED_IMAGE_ANALYSIS_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "affect/v1/media.pb.h"
#include "server/engine/admission_queue.h"
#include "server/media/image_decoder.h"
#include "server/pipeline/image_job.h"
#include "server/pipeline/image_pipeline.h"

namespace affect {

struct EncodedImageOutcome {
  ImageJobResult analysis;
  // Decoding alone (not the wait before it).
  absl::Duration decode_time;
  // When decoding started (the wait before it ended).
  absl::Time decode_start;
};

// Runs exactly once, on an admission-queue or worker thread.
using EncodedImageCallback = absl::AnyInvocable<void(absl::StatusOr<EncodedImageOutcome>) &&>;

// Starts steps 1-5 for `image` with `job` (job.rgb is filled by decoding;
// its deadline and cancellation apply to every step).
//   Not OK: refused before any decoding (INVALID_ARGUMENT or OUT_OF_RANGE
//     for a bad or oversized image, RESOURCE_EXHAUSTED for a full model
//     or decode queue, DEADLINE_EXCEEDED when the deadline leaves too little
//     time, CANCELLED, UNAVAILABLE while shutting down; queue refusals carry
//     a retry pushback). `done` is never called.
//   OK: `done` runs exactly once with the analysis or why it failed (a bad
//     image, expired or cancelled while waiting, a model error).
// `pipeline`, `queue` and `image` must stay alive until `done` has run.
// `start_by`: decoding must start by then or not at all (a live stream's
// frame age); such a refusal satisfies IsLateStart().
[[nodiscard]] absl::Status AnalyzeEncodedImage(const ImagePipeline* pipeline, AdmissionQueue* queue,
                                               const v1::Image* image, ImageJob job,
                                               const ImageDecodeOptions& decode,
                                               EncodedImageCallback done,
                                               absl::Time start_by = absl::InfiniteFuture());

}  // namespace affect

#endif  // AFFECT_SERVER_PIPELINE_ENCODED_IMAGE_ANALYSIS_H_

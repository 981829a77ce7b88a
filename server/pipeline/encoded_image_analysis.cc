#include "server/pipeline/encoded_image_analysis.h"

#include <utility>

#include "absl/time/clock.h"
#include "server/common/status_macros.h"

namespace affect {

absl::Status AnalyzeEncodedImage(const ImagePipeline* pipeline, AdmissionQueue* queue,
                                 const v1::Image* image, ImageJob job,
                                 const ImageDecodeOptions& decode, EncodedImageCallback done,
                                 absl::Time start_by) {
  // A bad or oversized image is refused here, before it holds a queue slot.
  AFFECT_ASSIGN_OR_RETURN(const int64_t pixels, CheckImageBeforeDecoding(*image, decode));
  if (absl::Status capacity = pipeline->CheckCapacity(job); !capacity.ok()) {
    return capacity;
  }
  auto task = std::make_unique<AdmissionTask>();
  task->bytes = static_cast<int64_t>(image->ByteSizeLong());
  task->work_units = pixels;
  // Attire and scene each run one more large model beside faces and
  // expressions: measured on 2 cores, four all-analyses requests at once
  // answered 20% more per second than eight, while EMOTION-only requests
  // did best at eight.
  // The pose model is as large again; the face mesh is small (like the
  // expression models, which the base weight covers).
  task->weight = 1 + (job.attire ? 1 : 0) + (job.scene ? 1 : 0) + (job.body ? 1 : 0);
  task->deadline = job.deadline;
  task->start_by = start_by;
  task->cancellation = job.cancellation;
  task->run = [pipeline, image, job = std::move(job), done = std::move(done)](
                  absl::Status admitted, AdmissionTicket ticket) mutable {
    if (!admitted.ok()) return std::move(done)(admitted);
    const absl::Time start = absl::Now();
    // Checked before it was queued (and the request is immutable since).
    auto rgb = DecodeCheckedImage(*image);
    if (!rgb.ok()) return std::move(done)(rgb.status());
    const absl::Duration decode_time = absl::Now() - start;
    job.rgb = std::make_shared<const cv::Mat>(*std::move(rgb));
    // The ticket holds the queue slot until the models are done too, so
    // that excess requests wait in the queue (deadline-checked, cheap to
    // refuse) rather than in the model queues after their decoding.
    pipeline->Analyze(
        std::move(job), [decode_time, start, ticket = std::move(ticket),
                         done = std::move(done)](absl::StatusOr<ImageJobResult> analysed) mutable {
          ticket.Release();
          if (!analysed.ok()) return std::move(done)(analysed.status());
          std::move(done)(EncodedImageOutcome{*std::move(analysed), decode_time, start});
        });
  };
  return queue->Submit(task);
}

}  // namespace affect

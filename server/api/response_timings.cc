#include "server/api/response_timings.h"

namespace affect {

void ReportPipelineTimings(const PipelineTimings& timings, absl::Duration total,
                           v1::Timings* out, ServerMetrics* metrics) {
  out->set_queue_ms(absl::ToDoubleMilliseconds(timings.queue));
  out->set_inference_ms(absl::ToDoubleMilliseconds(timings.inference));
  out->set_postprocess_ms(absl::ToDoubleMilliseconds(timings.postprocess));
  out->set_total_ms(absl::ToDoubleMilliseconds(total));
  if (metrics == nullptr) return;
  metrics->RecordStage(Stage::kQueue, timings.queue);
  metrics->RecordStage(Stage::kInference, timings.inference);
  metrics->RecordStage(Stage::kPostprocess, timings.postprocess);
}

}  // namespace affect

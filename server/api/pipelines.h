// The analysis pipelines a server runs, available once models are loaded.
#ifndef AFFECT_SERVER_API_PIPELINES_H_
#define AFFECT_SERVER_API_PIPELINES_H_

#include <memory>

#include "absl/status/status.h"
#include "affect/v1/results.pb.h"
#include "server/pipeline/image_pipeline.h"
#include "server/pipeline/voice_pipeline.h"

namespace affect {

struct Pipelines {
  std::shared_ptr<const ImagePipeline> image;
  std::shared_ptr<const VoicePipeline> voice;

  bool ready() const { return image != nullptr && voice != nullptr; }
  // OK, or why `analysis` cannot run (UNAVAILABLE).
  absl::Status Availability(v1::Analysis analysis) const {
    if (analysis == v1::ANALYSIS_VOICE) return absl::OkStatus();  // prosody needs no model
    return image->Availability(analysis);
  }
};

}  // namespace affect

#endif  // AFFECT_SERVER_API_PIPELINES_H_

// libFuzzer target: the validation of an AnalyzeRequest as AnalyzeCall does
// it before anything is queued (server/api/analysis_plan.h), then the media
// checks and decoding it leads to, on arbitrary bytes parsed as the wire
// message. Invariants: never crash; every refusal is INVALID_ARGUMENT,
// FAILED_PRECONDITION or OUT_OF_RANGE; an accepted id is 1..128 printable
// ASCII characters; accepted options lie in their documented ranges.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "affect/v1/affect_service.pb.h"
#include "server/api/analysis_plan.h"
#include "server/media/audio_decoder.h"
#include "server/media/audio_resampler.h"
#include "server/media/image_decoder.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

bool IsRefusal(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument ||
         status.code() == absl::StatusCode::kFailedPrecondition ||
         status.code() == absl::StatusCode::kOutOfRange;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  affect::v1::AnalyzeRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;

  const absl::StatusOr<std::string> id = affect::CheckOrMakeId(request.request_id(), "request_id");
  if (!id.ok()) {
    Check(IsRefusal(id.status()));
  } else {
    Check(!id->empty() && id->size() <= 128);
    for (char c : *id) Check(c >= 0x20 && c <= 0x7E);
  }

  const auto plan = affect::MakeAnalysisPlan(
      request.analyses(), request.options(), request.has_image(), request.has_audio(),
      /*disabled=*/{affect::v1::ANALYSIS_ATTIRE},
      [](affect::v1::Analysis) { return absl::OkStatus(); }, "analyses", "options");
  if (!plan.ok()) {
    Check(IsRefusal(plan.status()));
  } else {
    Check(!plan->attire);  // switched off above
    const affect::ImageOverrides& overrides = plan->overrides;
    if (overrides.max_faces) Check(*overrides.max_faces >= 1 && *overrides.max_faces <= 100);
    if (overrides.face_score_threshold) {
      Check(*overrides.face_score_threshold > 0.0f && *overrides.face_score_threshold < 1.0f);
    }
    if (overrides.object_score_threshold) {
      Check(*overrides.object_score_threshold > 0.0f && *overrides.object_score_threshold < 1.0f);
    }
  }

  if (request.has_image()) {
    affect::ImageDecodeOptions options;
    options.max_pixels = 1 << 20;
    const auto decoded = affect::DecodeImage(request.image(), options);
    if (!decoded.ok()) Check(IsRefusal(decoded.status()));
  }
  if (request.has_audio()) {
    affect::AudioDecodeOptions options;
    options.max_seconds = 2.0;
    const auto decoded = affect::DecodeAudioForAnalysis(request.audio(), options);
    if (!decoded.ok()) {
      Check(IsRefusal(decoded.status()));
    } else {
      Check(decoded->sample_rate_hz == affect::kAnalysisSampleRateHz);
    }
  }
  return 0;
}

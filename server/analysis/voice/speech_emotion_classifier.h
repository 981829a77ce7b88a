// The configurable speech-emotion model slot: a TorchScript model of task
// MODEL_TASK_SPEECH_EMOTION, fed log-mel windows, answering one score per
// label of its config. See models/examples/speech_emotion/config.pbtxt and
// README "Plugging in a speech-emotion model".
//
// Input: one item per window, each [n_mels, frames] (input dims
// [n_mels, frames]) or [1, n_mels, frames] (input dims [1, n_mels, frames],
// for CNNs that want a channel axis); the batcher adds the batch axis, so
// the module sees [N, n_mels, frames] or [N, 1, n_mels, frames]. A clip of T
// log-mel frames becomes K = min(ceil(T / frames), max_windows) windows of
// `frames` columns, spread evenly from the first frame to the last
// (consecutive windows overlap when T is not a multiple of `frames`); a clip
// shorter than one window is padded on the right with the log-mel value of
// silence, log(log_offset).
//
// Output: the module's first output, labels_size() values per item, in the
// order of the config's `labels`. By default they are probabilities
// (parameters { key: "output" value: "probabilities" }); with
// parameters { key: "output" value: "logits" } they are passed through a
// softmax. The windows' probabilities are averaged.
//
// Config parameters read here:
//   output      "probabilities" (default) or "logits"
//   mel_scale   "htk" (default) or "slaney" (see log_mel.h)
//   log_offset  added before the log, default "1e-6"
#ifndef AFFECT_SERVER_ANALYSIS_VOICE_SPEECH_EMOTION_CLASSIFIER_H_
#define AFFECT_SERVER_ANALYSIS_VOICE_SPEECH_EMOTION_CLASSIFIER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "affect/v1/model_config.pb.h"
#include "affect/v1/results.pb.h"
#include "server/analysis/voice/log_mel.h"
#include "server/engine/inference_request.h"

namespace affect {

// How the classifier hands work to a model: the contract of
// DynamicBatcher::Submit (server/engine/inference_request.h). On OK the
// callee owns the request and calls its `done` exactly once; on an error the
// request is left with the caller. Must be thread-safe when Classify is
// called from several threads (the batcher's Submit is).
using SubmitFn = absl::AnyInvocable<absl::Status(std::unique_ptr<InferenceRequest>&) const>;

struct SpeechEmotionResult {
  // One score per config label, in the config's order; averaged
  // probabilities in [0, 1].
  std::vector<v1::LabelScore> scores;
  v1::ModelRef model;
  int windows = 0;
  absl::Duration queue_time;
  absl::Duration compute_time;
};

using SpeechEmotionCallback = absl::AnyInvocable<void(absl::StatusOr<SpeechEmotionResult>) &&>;

struct SpeechEmotionOptions {
  // At most this many windows per clip (bounds the cost of long clips).
  int max_windows = 16;
};

// Per-call settings passed through to the InferenceRequest.
struct SpeechEmotionCall {
  absl::Time deadline = absl::InfiniteFuture();
  std::shared_ptr<const CancellationFlag> cancellation;
  TrafficClass traffic_class = TrafficClass::kUnary;
};

// Thread-safe: Classify is const (given a thread-safe SubmitFn).
class SpeechEmotionClassifier {
 public:
  // `config` must have passed LoadModelConfigFile. INVALID_ARGUMENT naming
  // the field when it does not fit this slot: task not SPEECH_EMOTION, no
  // labels, input dims not [n_mels, frames] or [1, n_mels, frames], output
  // dims (when fixed) not holding one value per label, bad audio_features or
  // parameters.
  static absl::StatusOr<std::unique_ptr<SpeechEmotionClassifier>> Create(
      const v1::ModelConfig& config, int64_t version, SubmitFn submit,
      const SpeechEmotionOptions& options = {});

  // Computes the log-mel windows of `samples` (mono, any supported rate: they
  // are resampled to the model's rate when it differs) on the calling thread
  // and submits them. Never blocks on the model.
  //   - INVALID_ARGUMENT (empty samples, rate out of range) or the submit
  //     error (e.g. RESOURCE_EXHAUSTED: queue full): returned here, `done`
  //     is not called.
  //   - OK: `done` is called exactly once, on an engine thread, with the
  //     scores or the failure (INTERNAL for model outputs that do not fit
  //     the config, or the engine's DEADLINE_EXCEEDED / CANCELLED / ...).
  absl::Status Classify(absl::Span<const float> samples, uint32_t sample_rate_hz,
                        const SpeechEmotionCall& call, SpeechEmotionCallback done) const;

  // The model inputs for `samples` at the model's rate (exposed for tests).
  std::vector<Tensor> MakeWindows(absl::Span<const float> samples) const;

  // Turns the engine's answer into scores (exposed for tests).
  absl::StatusOr<SpeechEmotionResult> DecodeResult(const InferenceResult& result,
                                                   size_t windows) const;

  const LogMelSpectrogram& front_end() const { return *front_end_; }
  const v1::ModelRef& model() const { return decoder_->model; }
  bool logits() const { return decoder_->logits; }

 private:
  SpeechEmotionClassifier() = default;

  // What the completion callback needs; shared with pending requests so the
  // classifier may be destroyed while requests are still in flight.
  struct OutputDecoder {
    v1::ModelRef model;
    std::string description;  // "speech-emotion model 'name' version N"
    std::vector<std::string> labels;
    bool logits = false;
    absl::StatusOr<SpeechEmotionResult> Decode(const InferenceResult& result, size_t windows) const;
  };

  std::shared_ptr<const OutputDecoder> decoder_;
  std::vector<int64_t> item_shape_;
  int frames_ = 0;
  SpeechEmotionOptions options_;
  std::unique_ptr<LogMelSpectrogram> front_end_;
  SubmitFn submit_;
};

// Copies a result into the `emotion_scores` and `emotion_model` of `voice`.
void FillSpeechEmotion(const SpeechEmotionResult& result, v1::Voice* voice);

}  // namespace affect

#endif  // AFFECT_SERVER_ANALYSIS_VOICE_SPEECH_EMOTION_CLASSIFIER_H_

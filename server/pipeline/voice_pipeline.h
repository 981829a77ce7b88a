// The voice pipeline: prosody (voice activity, loudness, pitch, rate,
// arousal) measured on the worker pool, plus speech-emotion scores when a
// speech-emotion model is in the repository (submitted to its batcher).
#ifndef AFFECT_SERVER_PIPELINE_VOICE_PIPELINE_H_
#define AFFECT_SERVER_PIPELINE_VOICE_PIPELINE_H_

#include <memory>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "affect/v1/results.pb.h"
#include "server/analysis/voice/speech_emotion_classifier.h"
#include "server/analysis/voice/voice_analyzer.h"
#include "server/engine/thread_pool.h"
#include "server/models/model_repository.h"
#include "server/pipeline/image_job.h"
#include "server/pipeline/model_call.h"

namespace affect {

struct VoiceResult {
  v1::Voice voice;
  PipelineTimings timings;
  std::vector<v1::ModelRef> models;
};

using VoiceCallback = absl::AnyInvocable<void(absl::StatusOr<VoiceResult>) &&>;

// Immutable after Create; thread-safe. Always held by shared_ptr.
class VoicePipeline : public std::enable_shared_from_this<VoicePipeline> {
 public:
  static std::shared_ptr<VoicePipeline> Create(const ModelRepository* repository,
                                               ThreadPool* workers);

  // A whole clip (16 kHz mono). `done` runs exactly once on a worker thread.
  void AnalyzeClip(std::shared_ptr<const std::vector<float>> samples,
                   const ModelCallContext& context, VoiceCallback done) const;

  // One window of a stream: arousal against the stream's baseline in
  // `state`, which the caller owns and must not touch until `done` runs
  // (windows of one stream are analysed one at a time).
  void AnalyzeStreamWindow(std::shared_ptr<const std::vector<float>> samples,
                           VoiceStreamState* state, const ModelCallContext& context,
                           VoiceCallback done) const;

  bool has_emotion_model() const { return classifier_ != nullptr; }

 private:
  VoicePipeline(ThreadPool* workers) : workers_(workers) {}
  // Runs prosody (with `measure`) then, when configured, speech emotion.
  void Run(std::shared_ptr<const std::vector<float>> samples,
           absl::AnyInvocable<v1::Voice() &&> measure, const ModelCallContext& context,
           VoiceCallback done) const;

  ThreadPool* const workers_;
  std::unique_ptr<VoiceAnalyzer> analyzer_;
  std::unique_ptr<SpeechEmotionClassifier> classifier_;
};

}  // namespace affect

#endif  // AFFECT_SERVER_PIPELINE_VOICE_PIPELINE_H_

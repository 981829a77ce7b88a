#include "server/pipeline/voice_pipeline.h"

#include <utility>

#include "absl/time/clock.h"
#include "server/common/logging.h"
#include "server/media/audio_resampler.h"

namespace affect {

std::shared_ptr<VoicePipeline> VoicePipeline::Create(const ModelRepository* repository,
                                                     ThreadPool* workers) {
  std::shared_ptr<VoicePipeline> pipeline(new VoicePipeline(workers));
  auto analyzer = VoiceAnalyzer::Create(VoiceAnalyzerOptions());
  // The default options are valid by construction; a failure is a bug.
  if (!analyzer.ok()) {
    AFFECT_LOG(ERROR) << "voice analyzer: " << analyzer.status();
    return pipeline;
  }
  pipeline->analyzer_ = *std::move(analyzer);
  auto model = repository->GetForTask(v1::MODEL_TASK_SPEECH_EMOTION);
  if (!model.ok()) return pipeline;  // prosody only: no speech-emotion model configured
  ModelHandle handle = *model;
  auto classifier = SpeechEmotionClassifier::Create(
      *handle.config, handle.version,
      [handle](std::unique_ptr<InferenceRequest>& request) { return handle.Submit(request); });
  if (classifier.ok()) {
    pipeline->classifier_ = *std::move(classifier);
  } else {
    AFFECT_LOG(WARNING).With("model", handle.name)
        << "speech-emotion model not used: " << classifier.status().message();
  }
  return pipeline;
}

void VoicePipeline::AnalyzeClip(std::shared_ptr<const std::vector<float>> samples,
                                const ModelCallContext& context, VoiceCallback done) const {
  auto self = shared_from_this();
  Run(samples, [self, samples] { return self->analyzer_->AnalyzeClip(*samples); }, context,
      std::move(done));
}

void VoicePipeline::AnalyzeStreamWindow(std::shared_ptr<const std::vector<float>> samples,
                                        VoiceStreamState* state, const ModelCallContext& context,
                                        VoiceCallback done) const {
  auto self = shared_from_this();
  Run(samples,
      [self, samples, state] { return self->analyzer_->AnalyzeStreamWindow(*samples, state); },
      context, std::move(done));
}

void VoicePipeline::Run(std::shared_ptr<const std::vector<float>> samples,
                        absl::AnyInvocable<v1::Voice() &&> measure,
                        const ModelCallContext& context, VoiceCallback done) const {
  auto self = shared_from_this();
  auto task = [self, samples, measure = std::move(measure), context,
               done = std::move(done)]() mutable {
    if (self->analyzer_ == nullptr) {
      return std::move(done)(absl::InternalError("voice analyzer failed to initialise"));
    }
    const absl::Time start = absl::Now();
    VoiceResult result;
    result.voice = std::move(measure)();
    result.timings.postprocess = absl::Now() - start;
    if (self->classifier_ == nullptr) return std::move(done)(std::move(result));

    SpeechEmotionCall call{context.deadline, context.cancellation, context.traffic_class};
    auto shared_done = std::make_shared<VoiceCallback>(std::move(done));
    auto partial = std::make_shared<VoiceResult>(std::move(result));
    const absl::Status submitted = self->classifier_->Classify(
        *samples, kAnalysisSampleRateHz, call,
        [self, shared_done, partial](absl::StatusOr<SpeechEmotionResult> emotion) mutable {
          // Engine thread: hand the (small) rest to the workers.
          auto finish = [shared_done, partial, emotion = std::move(emotion)]() mutable {
            if (!emotion.ok()) return std::move(*shared_done)(emotion.status());
            for (v1::LabelScore& score : emotion->scores) {
              *partial->voice.add_emotion_scores() = std::move(score);
            }
            *partial->voice.mutable_emotion_model() = emotion->model;
            partial->models.push_back(emotion->model);
            partial->timings.queue = emotion->queue_time;
            partial->timings.inference = emotion->compute_time;
            std::move(*shared_done)(std::move(*partial));
          };
          RunOnPoolOrInline(self->workers_, std::move(finish));
        });
    if (!submitted.ok()) std::move(*shared_done)(submitted);
  };
  RunOnPoolOrInline(workers_, std::move(task));
}

}  // namespace affect

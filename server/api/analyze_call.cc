#include "server/api/analyze_call.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/api/analysis_plan.h"
#include "server/api/grpc_status.h"
#include "server/api/response_timings.h"
#include "server/common/logging.h"
#include "server/common/retry_pushback.h"
#include "server/media/audio_decoder.h"
#include "server/pipeline/encoded_image_analysis.h"

namespace affect {
namespace {

void AddModels(const std::vector<v1::ModelRef>& models, v1::AnalyzeResponse* response) {
  for (const v1::ModelRef& model : models) {
    bool seen = false;
    for (const v1::ModelRef& existing : response->models()) {
      seen = seen || (existing.name() == model.name() && existing.version() == model.version());
    }
    if (!seen) *response->add_models() = model;
  }
}

}  // namespace

AnalyzeCall::AnalyzeCall(grpc::CallbackServerContext* context, const v1::AnalyzeRequest* request,
                         v1::AnalyzeResponse* response, const ServerOptions& options,
                         const Pipelines& pipelines, AdmissionQueue* decode_queue,
                         CallTracker* tracker, absl::Time start)
    : context_(context),
      request_(request),
      response_(response),
      options_(options),
      pipelines_(pipelines),
      decode_queue_(decode_queue),
      tracker_(tracker),
      start_(start) {}

AnalyzeCall* AnalyzeCall::Start(grpc::CallbackServerContext* context,
                                const v1::AnalyzeRequest* request, v1::AnalyzeResponse* response,
                                const ServerOptions& options, const Pipelines& pipelines,
                                AdmissionQueue* decode_queue, CallTracker* tracker,
                                absl::Time start) {
  auto* call = new AnalyzeCall(context, request, response, options, pipelines, decode_queue,
                               tracker, start);
  call->Begin();
  return call;
}

void AnalyzeCall::Begin() {
  // Everything here is cheap validation: a malformed request is refused
  // without queueing or decoding anything.
  auto id = CheckOrMakeId(request_->request_id(), "request_id");
  if (!id.ok()) return Complete(id.status());
  response_->set_request_id(*id);
  if (!pipelines_.ready()) {
    return Complete(absl::UnavailableError(
        "the server is starting: models are still loading; retry in a few seconds"));
  }
  const bool has_image = request_->has_image();
  const bool has_audio = request_->has_audio();
  if (!has_image && !has_audio) {
    return Complete(absl::InvalidArgumentError("request: no image and no audio to analyse"));
  }
  auto plan = MakeAnalysisPlan(
      request_->analyses(), request_->options(), has_image, has_audio, options_.disabled_analyses,
      [this](v1::Analysis analysis) { return pipelines_.Availability(analysis); }, "analyses",
      "options", &tracker_->CallerOf(*context_));
  if (!plan.ok()) return Complete(plan.status());
  for (v1::Analysis analysis : plan->List()) response_->add_analyses(analysis);

  ModelCallContext model_context;
  model_context.deadline = absl::FromChrono(context_->deadline());
  model_context.cancellation = cancellation_;
  model_context.traffic_class = TrafficClass::kUnary;
  // Both branches are counted before either starts: one may finish (or be
  // refused) before the other is launched.
  branches_.Add(int{plan->any_image()} + int{plan->voice});
  if (plan->any_image()) StartImage(model_context, *plan);
  if (plan->voice) StartVoice(model_context);
}

void AnalyzeCall::StartImage(const ModelCallContext& context, const AnalysisPlan& plan) {
  ImageJob job;
  job.emotion = plan.emotion;
  job.attire = plan.attire;
  job.scene = plan.scene;
  job.body = plan.body;
  job.attention = plan.attention;
  job.overrides = plan.overrides;
  job.deadline = context.deadline;
  job.cancellation = context.cancellation;
  job.traffic_class = context.traffic_class;
  const absl::Status admitted = AnalyzeEncodedImage(
      pipelines_.image.get(), decode_queue_, &request_->image(), std::move(job),
      {options_.max_image_pixels}, [this](absl::StatusOr<EncodedImageOutcome> outcome) {
        if (outcome.ok()) {
          absl::MutexLock lock(&mutex_);
          decode_time_ += outcome->decode_time;
          wait_ = outcome->decode_start - start_;
          *response_->mutable_image() = std::move(outcome->analysis.analysis);
          AddModels(outcome->analysis.models, response_);
          timings_.Merge(outcome->analysis.timings);
        }
        BranchDone(outcome.status());
      });
  if (!admitted.ok()) BranchDone(admitted);
}

void AnalyzeCall::StartVoice(const ModelCallContext& context) {
  auto task = std::make_unique<AdmissionTask>();
  task->bytes = static_cast<int64_t>(request_->audio().ByteSizeLong());
  task->deadline = context.deadline;
  task->cancellation = context.cancellation;
  // The ticket holds a decode-queue slot until the voice analysis is done.
  task->run = [this, context](absl::Status admitted, AdmissionTicket ticket) {
    if (!admitted.ok()) return BranchDone(admitted);
    const absl::Time decode_start = absl::Now();
    AudioDecodeOptions audio_options;
    audio_options.max_seconds = options_.max_audio_seconds;
    auto decoded = DecodeAudioForAnalysis(request_->audio(), audio_options);
    if (!decoded.ok()) return BranchDone(decoded.status());
    {
      absl::MutexLock lock(&mutex_);
      decode_time_ += absl::Now() - decode_start;
    }
    auto samples = std::make_shared<const std::vector<float>>(std::move(decoded->samples));
    pipelines_.voice->AnalyzeClip(samples, context, [this, ticket = std::move(ticket)](
                                                        absl::StatusOr<VoiceResult> result) mutable {
      ticket.Release();
      if (result.ok()) {
        absl::MutexLock lock(&mutex_);
        *response_->mutable_voice() = std::move(result->voice);
        AddModels(result->models, response_);
        timings_.Merge(result->timings);
      }
      BranchDone(result.status());
    });
  };
  if (const absl::Status admitted = decode_queue_->Submit(task); !admitted.ok()) {
    BranchDone(admitted);
  }
}

void AnalyzeCall::BranchDone(const absl::Status& status) {
  // A failed branch makes the whole answer a failure: stop the other one.
  if (!status.ok()) cancellation_->Cancel();
  const std::optional<absl::Status> outcome = branches_.BranchDone(status);
  if (!outcome.has_value()) return;
  if (outcome->ok()) {
    absl::MutexLock lock(&mutex_);
    if (tracker_->metrics() != nullptr) tracker_->metrics()->RecordStage(Stage::kDecode, decode_time_);
    response_->mutable_timings()->set_decode_ms(absl::ToDoubleMilliseconds(decode_time_));
    response_->mutable_timings()->set_wait_ms(absl::ToDoubleMilliseconds(wait_));
    ReportPipelineTimings(timings_, absl::Now() - start_, response_->mutable_timings(),
                          tracker_->metrics());
  }
  Complete(*outcome);
}

void AnalyzeCall::Complete(const absl::Status& status) {
  {
    absl::MutexLock lock(&mutex_);
    if (finished_) return;
    finished_ = true;
  }
  if (!status.ok()) {
    // Failed requests carry no partial results.
    response_->Clear();
    if (const std::optional<absl::Duration> pushback = RetryPushbackOf(status)) {
      context_->AddTrailingMetadata(kRetryPushbackMetadataKey,
                                    std::to_string(absl::ToInt64Milliseconds(*pushback)));
    }
    // Refusals under overload are routine and frequent: DEBUG, so that a
    // flood of them cannot flood the log as well.
    const bool routine = status.code() == absl::StatusCode::kResourceExhausted ||
                         status.code() == absl::StatusCode::kDeadlineExceeded ||
                         status.code() == absl::StatusCode::kCancelled;
    const LogLevel level = routine ? LogLevel::kDebug : LogLevel::kInfo;
    if (LogEnabled(level)) {
      LogMessage(level, __FILE__, __LINE__)
              .With("request_id", request_->request_id())
              .With("code", absl::StatusCodeToString(status.code()))
          << "Analyze failed: " << status.message();
    }
  }
  final_status_ = ToGrpcStatus(status);
  Finish(final_status_);
}

void AnalyzeCall::OnCancel() { cancellation_->Cancel(); }

void AnalyzeCall::OnDone() {
  tracker_->Done(RpcMethod::kAnalyze, final_status_, start_);
  delete this;
}

}  // namespace affect

#include "server/api/analyze_call.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/api/analysis_plan.h"
#include "server/api/grpc_status.h"
#include "server/api/response_timings.h"
#include "server/common/logging.h"
#include "server/media/audio_decoder.h"
#include "server/media/image_decoder.h"

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
                         const Pipelines& pipelines, ThreadPool* workers, CallTracker* tracker,
                         absl::Time start)
    : context_(context),
      request_(request),
      response_(response),
      options_(options),
      pipelines_(pipelines),
      workers_(workers),
      tracker_(tracker),
      start_(start) {}

AnalyzeCall* AnalyzeCall::Start(grpc::CallbackServerContext* context,
                                const v1::AnalyzeRequest* request, v1::AnalyzeResponse* response,
                                const ServerOptions& options, const Pipelines& pipelines,
                                ThreadPool* workers, CallTracker* tracker, absl::Time start) {
  auto* call =
      new AnalyzeCall(context, request, response, options, pipelines, workers, tracker, start);
  auto id = CheckOrMakeId(request->request_id(), "request_id");
  if (!id.ok()) {
    call->Complete(id.status());
    return call;
  }
  response->set_request_id(*id);
  if (!pipelines.ready()) {
    call->Complete(absl::UnavailableError(
        "the server is starting: models are still loading; retry in a few seconds"));
    return call;
  }
  if (!workers->Schedule([call] { call->Run(); })) {
    call->Complete(absl::UnavailableError("server is shutting down"));
  }
  return call;
}

void AnalyzeCall::Run() {
  const absl::Time decode_start = absl::Now();
  const bool has_image = request_->has_image();
  const bool has_audio = request_->has_audio();
  if (!has_image && !has_audio) {
    return Complete(absl::InvalidArgumentError("request: no image and no audio to analyse"));
  }
  auto plan = MakeAnalysisPlan(
      request_->analyses(), request_->options(), has_image, has_audio, options_.disabled_analyses,
      [this](v1::Analysis analysis) { return pipelines_.Availability(analysis); }, "analyses",
      "options");
  if (!plan.ok()) return Complete(plan.status());

  if (plan->any_image()) {
    const absl::Status capacity = pipelines_.image->CheckCapacity(plan->emotion, plan->attire,
                                                                  plan->scene);
    if (!capacity.ok()) return Complete(capacity);
  }
  std::shared_ptr<const cv::Mat> rgb;
  if (plan->any_image()) {
    auto decoded = DecodeImage(request_->image(), {options_.max_image_pixels});
    if (!decoded.ok()) return Complete(decoded.status());
    rgb = std::make_shared<const cv::Mat>(*std::move(decoded));
  }
  std::shared_ptr<const std::vector<float>> samples;
  if (plan->voice) {
    AudioDecodeOptions audio_options;
    audio_options.max_seconds = options_.max_audio_seconds;
    auto decoded = DecodeAudioForAnalysis(request_->audio(), audio_options);
    if (!decoded.ok()) return Complete(decoded.status());
    samples = std::make_shared<const std::vector<float>>(std::move(decoded->samples));
  }
  const absl::Duration decode_time = absl::Now() - decode_start;
  if (tracker_->metrics() != nullptr) tracker_->metrics()->RecordStage(Stage::kDecode, decode_time);
  response_->mutable_timings()->set_decode_ms(absl::ToDoubleMilliseconds(decode_time));
  for (v1::Analysis analysis : plan->List()) response_->add_analyses(analysis);

  ModelCallContext model_context;
  model_context.deadline = absl::FromChrono(context_->deadline());
  model_context.cancellation = cancellation_;
  model_context.traffic_class = TrafficClass::kUnary;
  {
    absl::MutexLock lock(&mutex_);
    pending_ = int{plan->any_image()} + int{plan->voice};
  }
  if (plan->any_image()) {
    ImageJob job;
    job.rgb = rgb;
    job.emotion = plan->emotion;
    job.attire = plan->attire;
    job.scene = plan->scene;
    job.overrides = plan->overrides;
    job.deadline = model_context.deadline;
    job.cancellation = cancellation_;
    job.traffic_class = TrafficClass::kUnary;
    pipelines_.image->Analyze(std::move(job), [this](absl::StatusOr<ImageJobResult> result) {
      if (result.ok()) {
        absl::MutexLock lock(&mutex_);
        *response_->mutable_image() = std::move(result->analysis);
        AddModels(result->models, response_);
        timings_.Merge(result->timings);
      }
      BranchDone(result.status());
    });
  }
  if (plan->voice) {
    pipelines_.voice->AnalyzeClip(samples, model_context, [this](absl::StatusOr<VoiceResult> result) {
      if (result.ok()) {
        absl::MutexLock lock(&mutex_);
        *response_->mutable_voice() = std::move(result->voice);
        AddModels(result->models, response_);
        timings_.Merge(result->timings);
      }
      BranchDone(result.status());
    });
  }
}

void AnalyzeCall::BranchDone(const absl::Status& status) {
  absl::Status outcome;
  {
    absl::MutexLock lock(&mutex_);
    if (!status.ok() && first_error_.ok()) first_error_ = status;
    if (--pending_ > 0) return;
    outcome = first_error_;
    if (outcome.ok()) {
      ReportPipelineTimings(timings_, absl::Now() - start_, response_->mutable_timings(),
                            tracker_->metrics());
    }
  }
  Complete(outcome);
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
    AFFECT_LOG(INFO).With("request_id", request_->request_id())
            .With("code", absl::StatusCodeToString(status.code()))
        << "Analyze failed: " << status.message();
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

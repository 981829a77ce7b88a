#include "server/api/affect_service.h"

#include <utility>

#include "absl/time/clock.h"
#include "server/api/analyze_call.h"
#include "server/api/grpc_status.h"
#include "server/api/model_info.h"
#include "server/api/stream_session.h"
#include "server/common/build_info.h"
#include "server/torch/torch_module.h"

namespace affect {
namespace {

// A unary call answered at once (ListModels, GetServerInfo, refusals).
grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

}  // namespace

AffectServiceImpl::AffectServiceImpl(const ServerOptions& options,
                                     const ModelRepository* repository, CallTracker* tracker,
                                     StreamRegistry* streams, ThreadPool* workers,
                                     AdmissionQueue* decode_queue,
                                     stream::FrameScheduler* frame_scheduler,
                                     std::string resolved_device, int cpu_cores,
                                     std::string chosen_by_rule)
    : options_(options),
      repository_(repository),
      tracker_(tracker),
      streams_(streams),
      workers_(workers),
      decode_queue_(decode_queue),
      frame_scheduler_(frame_scheduler),
      resolved_device_(std::move(resolved_device)),
      cpu_cores_(cpu_cores),
      chosen_by_rule_(std::move(chosen_by_rule)) {}

void AffectServiceImpl::SetPipelines(Pipelines pipelines) {
  absl::MutexLock lock(&mutex_);
  pipelines_ = std::move(pipelines);
}

Pipelines AffectServiceImpl::pipelines() const {
  absl::MutexLock lock(&mutex_);
  return pipelines_;
}

grpc::ServerUnaryReactor* AffectServiceImpl::Analyze(grpc::CallbackServerContext* context,
                                                     const v1::AnalyzeRequest* request,
                                                     v1::AnalyzeResponse* response) {
  const absl::Time start = absl::Now();
  if (grpc::Status admitted = tracker_->Admit(*context, RpcMethod::kAnalyze); !admitted.ok()) {
    tracker_->Refused(RpcMethod::kAnalyze, admitted);
    return FinishNow(context, admitted);
  }
  return AnalyzeCall::Start(context, request, response, options_, pipelines(), decode_queue_,
                            tracker_, start);
}

grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse>* AffectServiceImpl::AnalyzeStream(
    grpc::CallbackServerContext* context) {
  const absl::Time start = absl::Now();
  grpc::Status admitted = tracker_->Admit(*context, RpcMethod::kAnalyzeStream);
  if (!admitted.ok()) tracker_->Refused(RpcMethod::kAnalyzeStream, admitted);
  StreamResources resources;
  resources.options = &options_;
  resources.pipelines = pipelines();
  resources.workers = workers_;
  resources.decode_queue = decode_queue_;
  resources.scheduler = frame_scheduler_;
  resources.tracker = tracker_;
  resources.registry = streams_;
  return StreamSession::Start(context, admitted, resources, start);
}

grpc::ServerUnaryReactor* AffectServiceImpl::ListModels(grpc::CallbackServerContext* context,
                                                        const v1::ListModelsRequest* request,
                                                        v1::ListModelsResponse* response) {
  const absl::Time start = absl::Now();
  if (grpc::Status admitted = tracker_->Admit(*context, RpcMethod::kListModels);
      !admitted.ok()) {
    tracker_->Refused(RpcMethod::kListModels, admitted);
    return FinishNow(context, admitted);
  }
  grpc::Status status;
  if (request->name().empty()) {
    for (const ModelSnapshot& snapshot : repository_->List()) {
      *response->add_models() = ToModelInfo(snapshot);
    }
  } else {
    auto found = repository_->Find(request->name());
    if (found.ok()) {
      for (const ModelSnapshot& snapshot : *found) *response->add_models() = ToModelInfo(snapshot);
    } else {
      status = ToGrpcStatus(found.status());
    }
  }
  tracker_->Done(RpcMethod::kListModels, status, start);
  return FinishNow(context, status);
}

grpc::ServerUnaryReactor* AffectServiceImpl::GetServerInfo(grpc::CallbackServerContext* context,
                                                           const v1::GetServerInfoRequest*,
                                                           v1::ServerInfo* response) {
  const absl::Time start = absl::Now();
  if (grpc::Status admitted = tracker_->Admit(*context, RpcMethod::kGetServerInfo);
      !admitted.ok()) {
    tracker_->Refused(RpcMethod::kGetServerInfo, admitted);
    return FinishNow(context, admitted);
  }
  const TorchRuntimeInfo torch = GetTorchRuntimeInfo();
  response->set_version(kServerVersion);
  response->set_git_revision(kGitRevision);
  response->set_build_type(kBuildType);
  response->set_torch_version(torch.version);
  response->set_cuda_available(torch.cuda_available);
  response->set_device(resolved_device_);
  response->set_blas(torch.blas);
  response->set_intra_op_threads(torch.intra_op_threads);
  for (int a = v1::ANALYSIS_EMOTION; a <= v1::ANALYSIS_ATTENTION; ++a) {
    const auto analysis = static_cast<v1::Analysis>(a);
    if (options_.disabled_analyses.count(analysis) == 0) response->add_enabled_analyses(analysis);
  }
  v1::Limits* limits = response->mutable_limits();
  limits->set_max_message_bytes(static_cast<uint64_t>(options_.max_message_bytes));
  limits->set_max_image_pixels(static_cast<uint64_t>(options_.max_image_pixels));
  limits->set_max_audio_seconds(options_.max_audio_seconds);
  limits->set_max_streams(static_cast<uint32_t>(options_.max_streams));
  v1::Capacity* capacity = response->mutable_capacity();
  capacity->set_cpu_cores(static_cast<uint32_t>(cpu_cores_));
  capacity->set_decode_threads(static_cast<uint32_t>(options_.decode_threads));
  capacity->set_worker_threads(static_cast<uint32_t>(options_.worker_threads));
  capacity->set_max_running_frames(static_cast<uint32_t>(options_.max_running_frames));
  capacity->set_max_running_requests(static_cast<uint32_t>(options_.max_running_requests));
  capacity->set_max_queued_requests(static_cast<uint32_t>(options_.max_queued_requests));
  capacity->set_max_queued_bytes(static_cast<uint64_t>(options_.max_queued_bytes));
  capacity->set_chosen_by_rule(chosen_by_rule_);
  if (const Pipelines current = pipelines(); current.ready()) {
    *response->mutable_default_options() = current.image->DefaultOptions();
  }
  *response->mutable_caller() = tracker_->CallerOf(*context).ToProto();
  tracker_->Done(RpcMethod::kGetServerInfo, grpc::Status::OK, start);
  return FinishNow(context, grpc::Status::OK);
}

}  // namespace affect

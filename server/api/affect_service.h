// The affect.v1.AffectService implementation (gRPC callback API).
//
// A thin frontend: admission (token, drain) through the CallTracker,
// protocol-to-core conversion, and the call objects (AnalyzeCall,
// StreamSession) that drive the pipelines. Reactions never block.
#ifndef AFFECT_SERVER_API_AFFECT_SERVICE_H_
#define AFFECT_SERVER_API_AFFECT_SERVICE_H_

#include <string>

#include "absl/synchronization/mutex.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "server/api/call_tracker.h"
#include "server/api/pipelines.h"
#include "server/api/server_options.h"
#include "server/api/stream_registry.h"
#include "server/engine/admission_queue.h"
#include "server/engine/thread_pool.h"
#include "server/models/model_repository.h"
#include "server/stream/frame_scheduler.h"

namespace affect {

class AffectServiceImpl final : public v1::AffectService::CallbackService {
 public:
  // Every pointer must outlive the service.
  // `options` as resolved for this machine; `cpu_cores` and
  // `chosen_by_rule` describe how (GetServerInfo shows them).
  AffectServiceImpl(const ServerOptions& options, const ModelRepository* repository,
                    CallTracker* tracker, StreamRegistry* streams, ThreadPool* workers,
                    AdmissionQueue* decode_queue, stream::FrameScheduler* frame_scheduler,
                    std::string resolved_device, int cpu_cores, std::string chosen_by_rule);

  // Called once models are loaded; until then analyses answer UNAVAILABLE.
  void SetPipelines(Pipelines pipelines);

  grpc::ServerUnaryReactor* Analyze(grpc::CallbackServerContext* context,
                                    const v1::AnalyzeRequest* request,
                                    v1::AnalyzeResponse* response) override;
  grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse>* AnalyzeStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* ListModels(grpc::CallbackServerContext* context,
                                       const v1::ListModelsRequest* request,
                                       v1::ListModelsResponse* response) override;
  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context,
                                          const v1::GetServerInfoRequest* request,
                                          v1::ServerInfo* response) override;

 private:
  Pipelines pipelines() const;

  const ServerOptions options_;
  const ModelRepository* const repository_;
  CallTracker* const tracker_;
  StreamRegistry* const streams_;
  ThreadPool* const workers_;
  AdmissionQueue* const decode_queue_;
  stream::FrameScheduler* const frame_scheduler_;
  const std::string resolved_device_;
  const int cpu_cores_;
  const std::string chosen_by_rule_;

  mutable absl::Mutex mutex_;
  Pipelines pipelines_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace affect

#endif  // AFFECT_SERVER_API_AFFECT_SERVICE_H_

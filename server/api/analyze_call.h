// One Analyze RPC: validates on the gRPC thread, passes admission (the decode
// queue) before any decoding, decodes on an admission-queue thread, runs the
// image and voice pipelines concurrently, answers once. A refusal (full
// queue, deadline too near) is answered at once with
// `grpc-retry-pushback-ms`. Deletes itself when gRPC is done with it
// (OnDone); it is never finished while a branch it started is still running.
#ifndef AFFECT_SERVER_API_ANALYZE_CALL_H_
#define AFFECT_SERVER_API_ANALYZE_CALL_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "affect/v1/affect_service.pb.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/api/analysis_plan.h"
#include "server/api/call_tracker.h"
#include "server/api/pipelines.h"
#include "server/api/server_options.h"
#include "server/common/branch_join.h"
#include "server/engine/admission_queue.h"
#include "server/pipeline/model_call.h"
#include "server/pipeline/image_job.h"

namespace affect {

class AnalyzeCall : public grpc::ServerUnaryReactor {
 public:
  // Starts the call; the object lives until OnDone.
  static AnalyzeCall* Start(grpc::CallbackServerContext* context,
                            const v1::AnalyzeRequest* request, v1::AnalyzeResponse* response,
                            const ServerOptions& options, const Pipelines& pipelines,
                            AdmissionQueue* decode_queue, CallTracker* tracker,
                            absl::Time start);

  void OnCancel() override;
  void OnDone() override;

 private:
  AnalyzeCall(grpc::CallbackServerContext* context, const v1::AnalyzeRequest* request,
              v1::AnalyzeResponse* response, const ServerOptions& options,
              const Pipelines& pipelines, AdmissionQueue* decode_queue, CallTracker* tracker,
              absl::Time start);

  // On the gRPC thread: validate, then start the image and voice branches.
  void Begin();
  void StartImage(const ModelCallContext& context, const AnalysisPlan& plan);
  void StartVoice(const ModelCallContext& context);
  // A branch (image or voice) is done; the last one answers. The first
  // failure cancels the other branch's remaining work.
  void BranchDone(const absl::Status& status);
  // Answers exactly once.
  void Complete(const absl::Status& status);

  grpc::CallbackServerContext* const context_;
  const v1::AnalyzeRequest* const request_;
  v1::AnalyzeResponse* const response_;
  const ServerOptions& options_;
  const Pipelines pipelines_;
  AdmissionQueue* const decode_queue_;
  CallTracker* const tracker_;
  const absl::Time start_;
  const std::shared_ptr<CancellationFlag> cancellation_ = std::make_shared<CancellationFlag>();

  BranchJoin branches_;

  absl::Mutex mutex_;
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  absl::Duration decode_time_ ABSL_GUARDED_BY(mutex_);
  // Receipt to the start of the image's decoding (admission wait).
  absl::Duration wait_ ABSL_GUARDED_BY(mutex_);
  // Both branches' (image, voice) timings together.
  PipelineTimings timings_ ABSL_GUARDED_BY(mutex_);
  grpc::Status final_status_;
};

}  // namespace affect

#endif  // AFFECT_SERVER_API_ANALYZE_CALL_H_

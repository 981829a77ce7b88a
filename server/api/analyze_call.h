// One Analyze RPC: validates, decodes on the worker pool, runs the image and
// voice pipelines concurrently, answers once. Deletes itself when gRPC is
// done with it (OnDone).
#ifndef AFFECT_SERVER_API_ANALYZE_CALL_H_
#define AFFECT_SERVER_API_ANALYZE_CALL_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "affect/v1/affect_service.pb.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/api/call_tracker.h"
#include "server/api/pipelines.h"
#include "server/api/server_options.h"
#include "server/engine/thread_pool.h"
#include "server/pipeline/image_job.h"

namespace affect {

class AnalyzeCall : public grpc::ServerUnaryReactor {
 public:
  // Starts the call; the object lives until OnDone.
  static AnalyzeCall* Start(grpc::CallbackServerContext* context,
                            const v1::AnalyzeRequest* request, v1::AnalyzeResponse* response,
                            const ServerOptions& options, const Pipelines& pipelines,
                            ThreadPool* workers, CallTracker* tracker, absl::Time start);

  void OnCancel() override;
  void OnDone() override;

 private:
  AnalyzeCall(grpc::CallbackServerContext* context, const v1::AnalyzeRequest* request,
              v1::AnalyzeResponse* response, const ServerOptions& options,
              const Pipelines& pipelines, ThreadPool* workers, CallTracker* tracker,
              absl::Time start);

  // On a worker: decode the media, launch the pipelines.
  void Run();
  // A branch (image or voice) is done; the last one answers.
  void BranchDone(const absl::Status& status);
  // Answers exactly once.
  void Complete(const absl::Status& status);

  grpc::CallbackServerContext* const context_;
  const v1::AnalyzeRequest* const request_;
  v1::AnalyzeResponse* const response_;
  const ServerOptions& options_;
  const Pipelines pipelines_;
  ThreadPool* const workers_;
  CallTracker* const tracker_;
  const absl::Time start_;
  const std::shared_ptr<CancellationFlag> cancellation_ = std::make_shared<CancellationFlag>();

  absl::Mutex mutex_;
  int pending_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::Status first_error_ ABSL_GUARDED_BY(mutex_);
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  // Both branches' (image, voice) timings together.
  PipelineTimings timings_ ABSL_GUARDED_BY(mutex_);
  grpc::Status final_status_;
};

}  // namespace affect

#endif  // AFFECT_SERVER_API_ANALYZE_CALL_H_

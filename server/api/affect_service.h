// The affect.v1.AffectService implementation (gRPC callback API).
//
// A thin frontend: it checks auth and drain state, converts protocol to core
// objects, hands work to the analysis pipeline and converts results back.
// Reactions never block: inference completes asynchronously.
#ifndef AFFECT_SERVER_API_AFFECT_SERVICE_H_
#define AFFECT_SERVER_API_AFFECT_SERVICE_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "server/api/server_options.h"
#include "server/models/model_repository.h"

namespace affect {

class AffectServiceImpl final : public v1::AffectService::CallbackService {
 public:
  // `repository` must outlive the service. `auth_token`: empty = no check.
  AffectServiceImpl(const ServerOptions& options, const ModelRepository* repository,
                    std::string auth_token, std::string resolved_device);

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

  // Refuse new calls from now on (UNAVAILABLE); in-flight calls continue.
  void StartDraining();
  // Blocks until no call is in flight or `deadline` passes; true if idle.
  bool WaitForIdle(absl::Time deadline);
  int calls_in_flight() const;

 private:
  // Admission shared by every method: auth, then drain state. Returns OK and
  // counts the call as in flight, or the status to answer with.
  grpc::Status Admit(grpc::CallbackServerContext* context);
  void CallDone();

  const ServerOptions options_;
  const ModelRepository* const repository_;
  const std::string auth_token_;
  const std::string resolved_device_;

  mutable absl::Mutex mutex_;
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
  int in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace affect

#endif  // AFFECT_SERVER_API_AFFECT_SERVICE_H_

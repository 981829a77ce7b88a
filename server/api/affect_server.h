// The whole service in one object: model repository, gRPC server (affect.v1,
// health, reflection), metrics endpoint, and an orderly shutdown. main.cc is
// a thin shell around it; tests start it in-process on 127.0.0.1:0.
#ifndef AFFECT_SERVER_API_AFFECT_SERVER_H_
#define AFFECT_SERVER_API_AFFECT_SERVER_H_

#include <array>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/server.h"
#include "server/api/affect_service.h"
#include "server/api/call_tracker.h"
#include "server/api/server_options.h"
#include "server/api/stream_registry.h"
#include "server/engine/admission_queue.h"
#include "server/engine/thread_pool.h"
#include "server/metrics/server_metrics.h"
#include "server/models/model_repository.h"
#include "server/stream/frame_scheduler.h"

namespace affect {

// Thread-safe.
class AffectServer {
 public:
  // Validates options, opens the repository, starts serving (health
  // NOT_SERVING until every model has been loaded and warmed up). Errors:
  // INVALID_ARGUMENT for bad options, NOT_FOUND for a missing repository or
  // TLS/token file, FAILED_PRECONDITION for an unusable device, UNAVAILABLE
  // when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<AffectServer>> Start(const ServerOptions& options);

  ~AffectServer();
  AffectServer(const AffectServer&) = delete;
  AffectServer& operator=(const AffectServer&) = delete;

  // The bound gRPC port (useful with port 0).
  int port() const { return port_; }
  // The bound metrics port, or -1 when disabled.
  int metrics_port() const { return metrics_port_; }

  // Blocks until model loading has finished (tests; main does not wait).
  void WaitUntilModelsLoaded();

  // Graceful shutdown: health NOT_SERVING, new calls refused, in-flight work
  // given until drain_timeout, then everything stopped. Idempotent; blocks
  // until done.
  void Shutdown();

  const ModelRepository& repository() const { return *repository_; }
  // The server's metrics (what /metrics serves).
  const ServerMetrics& metrics() const { return *metrics_; }
  // Streams open in the registry, and streams still holding a frame-scheduler
  // slot (a session gives it back when it is destroyed): both return to 0
  // once every stream has ended (tests check that stream state is freed).
  int open_streams() const { return streams_->size(); }
  int scheduled_streams() const { return frame_scheduler_->streams(); }

 private:
  // One flag per analysis (EMOTION..VOICE, index analysis - 1): whether it
  // can run here (enabled and its models READY).
  using AnalysisAvailability = std::array<bool, 6>;  // per v1::Analysis, EMOTION first

  AffectServer() = default;
  // Overall and per-service health; the per-analysis services are SERVING
  // only when `serving` and the analysis is available.
  void SetServing(bool serving, const AnalysisAvailability& available = {});
  // Runs on the loader thread: models, then pipelines, then SERVING.
  void LoadModelsAndServe();
  // Runs on the housekeeping thread until Shutdown: drops stream frames past
  // their age, closes timed-out streams, refreshes the scheduler gauges.
  void Housekeep();

  ServerOptions options_;
  // Declaration order is destruction order in reverse: the pool and the
  // service outlive nothing that uses them.
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<CallTracker> tracker_;
  std::unique_ptr<StreamRegistry> streams_;
  std::unique_ptr<ModelRepository> repository_;
  std::unique_ptr<ThreadPool> workers_;
  std::unique_ptr<AdmissionQueue> decode_queue_;
  std::unique_ptr<stream::FrameScheduler> frame_scheduler_;
  std::unique_ptr<AffectServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::thread loader_;
  int port_ = 0;
  int metrics_port_ = -1;

  std::thread housekeeper_;

  absl::Mutex mutex_;
  bool shut_down_ ABSL_GUARDED_BY(mutex_) = false;
  bool stop_housekeeping_ ABSL_GUARDED_BY(mutex_) = false;
  bool models_loaded_ ABSL_GUARDED_BY(mutex_) = false;
};

// The fully-qualified service name used for per-service health.
inline constexpr char kAffectServiceName[] = "affect.v1.AffectService";

// The health service name of one analysis, "affect.v1.AffectService/emotion"
// (attire, scene, voice): SERVING while the server serves and the analysis
// can run; NOT_SERVING while models load, after shutdown starts, and for an
// analysis switched off or whose model FAILED (ListModels says why). A load
// balancer that needs one analysis checks its name, not the whole service.
std::string AnalysisHealthName(v1::Analysis analysis);

}  // namespace affect

#endif  // AFFECT_SERVER_API_AFFECT_SERVER_H_

// Prometheus metrics for the whole server (prometheus-cpp), exposed at
// /metrics. Every family is registered once at start-up and labelled children
// are created when a model is registered, so the request path only touches
// cached counters (never Family::Add).
//
// Names follow Prometheus conventions: `affect_` prefix, base units
// (seconds, bytes), `_total` for counters.
#ifndef AFFECT_SERVER_METRICS_SERVER_METRICS_H_
#define AFFECT_SERVER_METRICS_SERVER_METRICS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "affect/v1/affect_service.pb.h"
#include "server/engine/admission_queue.h"
#include "server/engine/engine_observer.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace affect {

class MetricsHttpServer;
struct MetricsHttpServerOptions;
class ProcessCollector;

// The RPC methods, as they appear in the `method` label.
enum class RpcMethod { kAnalyze, kAnalyzeStream, kListModels, kGetServerInfo };
inline constexpr int kNumRpcMethods = 4;

// Pipeline stages, as they appear in the `stage` label.
enum class Stage { kDecode, kQueue, kInference, kPostprocess };
inline constexpr int kNumStages = 4;

// What happened to a stream frame (`event` label).
// kDropped counts every dropped frame; kTooOld those of them dropped for age.
enum class FrameEvent { kReceived, kAnalysed, kDropped, kFailed, kTooOld };
inline constexpr int kNumFrameEvents = 5;

// Thread-safe. Also the engine's EngineObserver and the admission queues'
// AdmissionObserver.
class ServerMetrics : public EngineObserver, public AdmissionObserver {
 public:
  ServerMetrics();
  ~ServerMetrics() override;
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // Serves /metrics (server/metrics/metrics_http_server.h: address, port,
  // optional bearer token, connection limits). Returns the bound port.
  // UNAVAILABLE when it cannot bind, INVALID_ARGUMENT for a bad option.
  absl::StatusOr<int> StartExposer(const MetricsHttpServerOptions& options);

  // Also report GPU memory (device-wide used and total bytes, via the CUDA
  // runtime) for these CUDA device ordinals. Call before StartExposer.
  void EnableGpuMemory(std::vector<int> cuda_devices);

  // Creates the per-model children (call when a model is found).
  void RegisterModel(const std::string& model);
  void SetModelState(const std::string& model, v1::ModelState state);

  // One finished RPC: counts it by status code and observes its latency.
  void RecordRpc(RpcMethod method, int grpc_code, absl::Duration latency);
  // A call refused before it started (auth, draining): counted, no latency.
  void CountRpc(RpcMethod method, int grpc_code);
  void RecordStage(Stage stage, absl::Duration duration);
  void RecordFrames(FrameEvent event, int count = 1);
  void AddRequestsInFlight(int delta);
  void AddActiveStreams(int delta);

  // EngineObserver.
  void OnBatchExecuted(const std::string& model, int batch_size, absl::Duration compute_time,
                       const absl::Status& status) override;
  void OnItemDequeued(const std::string& model, absl::Duration queue_time) override;
  void OnQueueDepth(const std::string& model, int depth) override;
  void OnRequestDone(const std::string& model, const absl::Status& status) override;

  // AdmissionObserver.
  void OnAdmission(const std::string& queue, AdmissionObserver::Outcome outcome) override;
  void OnQueueSize(const std::string& queue, int items, int64_t bytes) override;
  void OnQueueWait(const std::string& queue, absl::Duration wait) override;

  // The server-wide stream frame budget: frames running and waiting.
  void SetStreamFrames(int running, int waiting);

  // The text exposition, as /metrics would serve it (tests, debugging).
  std::string Serialize() const;

 private:
  struct ModelMetrics;
  ModelMetrics& ModelChildren(const std::string& model);

  std::shared_ptr<prometheus::Registry> registry_;
  // Process memory (and GPU memory when on CUDA), read at scrape time.
  std::shared_ptr<ProcessCollector> process_collector_;
  std::unique_ptr<MetricsHttpServer> http_server_;

  prometheus::Family<prometheus::Counter>* rpc_total_;
  prometheus::Family<prometheus::Histogram>* rpc_latency_;
  prometheus::Family<prometheus::Histogram>* stage_latency_;
  prometheus::Family<prometheus::Counter>* frames_;
  prometheus::Family<prometheus::Histogram>* batch_size_;
  prometheus::Family<prometheus::Histogram>* model_queue_time_;
  prometheus::Family<prometheus::Histogram>* model_compute_time_;
  prometheus::Family<prometheus::Gauge>* model_queue_depth_;
  prometheus::Family<prometheus::Counter>* model_requests_;
  prometheus::Family<prometheus::Counter>* model_batches_;
  prometheus::Family<prometheus::Gauge>* model_state_;
  prometheus::Family<prometheus::Counter>* admission_total_;
  prometheus::Family<prometheus::Gauge>* admission_queue_items_;
  prometheus::Family<prometheus::Gauge>* admission_queue_bytes_;
  prometheus::Family<prometheus::Histogram>* admission_wait_;
  prometheus::Gauge* stream_frames_running_;
  prometheus::Gauge* stream_frames_waiting_;

  // [method][grpc code 0..16]
  std::vector<std::vector<prometheus::Counter*>> rpc_counters_;
  std::vector<prometheus::Histogram*> rpc_histograms_;
  std::vector<prometheus::Histogram*> stage_histograms_;
  std::vector<prometheus::Counter*> frame_counters_;
  prometheus::Gauge* in_flight_;
  prometheus::Gauge* active_streams_;

  mutable absl::Mutex mutex_;
  std::map<std::string, std::unique_ptr<ModelMetrics>> models_ ABSL_GUARDED_BY(mutex_);
  struct QueueMetrics;
  QueueMetrics& QueueChildren(const std::string& queue);
  std::map<std::string, std::unique_ptr<QueueMetrics>> queues_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace affect

#endif  // AFFECT_SERVER_METRICS_SERVER_METRICS_H_

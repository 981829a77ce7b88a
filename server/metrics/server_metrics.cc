#include "server/metrics/server_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/metrics/metrics_http_server.h"
#include "server/metrics/process_collector.h"

namespace affect {
namespace {

constexpr int kNumGrpcCodes = 17;

const char* MethodName(RpcMethod method) {
  switch (method) {
    case RpcMethod::kAnalyze:
      return "Analyze";
    case RpcMethod::kAnalyzeStream:
      return "AnalyzeStream";
    case RpcMethod::kListModels:
      return "ListModels";
    case RpcMethod::kGetServerInfo:
      return "GetServerInfo";
  }
  return "unknown";
}

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kDecode:
      return "decode";
    case Stage::kQueue:
      return "queue";
    case Stage::kInference:
      return "inference";
    case Stage::kPostprocess:
      return "postprocess";
  }
  return "unknown";
}

const char* FrameEventName(FrameEvent event) {
  switch (event) {
    case FrameEvent::kReceived:
      return "received";
    case FrameEvent::kAnalysed:
      return "analysed";
    case FrameEvent::kDropped:
      return "dropped";
    case FrameEvent::kFailed:
      return "failed";
    case FrameEvent::kTooOld:
      return "too_old";
  }
  return "unknown";
}

// gRPC's canonical code names, as in grpc-go and grpc's own metrics
// ("OK", "INVALID_ARGUMENT", ...).
std::string GrpcCodeName(int code) {
  const std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  std::string upper = absl::AsciiStrToUpper(name);
  for (char& c : upper) {
    if (c == ' ') c = '_';
  }
  return upper;
}

// Latency buckets: 1 ms .. ~33 s, doubling.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  prometheus::Histogram::BucketBoundaries buckets;
  for (double b = 0.001; b < 40; b *= 2) buckets.push_back(b);
  return buckets;
}

// Queue waits are often sub-millisecond: 50 us .. ~3 s.
prometheus::Histogram::BucketBoundaries QueueBuckets() {
  prometheus::Histogram::BucketBoundaries buckets;
  for (double b = 0.00005; b < 4; b *= 2) buckets.push_back(b);
  return buckets;
}

prometheus::Histogram::BucketBoundaries BatchSizeBuckets() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256};
}

}  // namespace

struct ServerMetrics::ModelMetrics {
  prometheus::Histogram* batch_size;
  prometheus::Histogram* queue_time;
  prometheus::Histogram* compute_time;
  prometheus::Gauge* queue_depth;
  prometheus::Counter* requests_ok;
  prometheus::Counter* requests_failed;
  prometheus::Counter* batches_ok;
  prometheus::Counter* batches_failed;
  std::map<v1::ModelState, prometheus::Gauge*> state;
};

ServerMetrics::ServerMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  prometheus::Registry& r = *registry_;
  rpc_total_ = &prometheus::BuildCounter()
                    .Name("affect_rpc_requests_total")
                    .Help("RPCs finished, by method and gRPC status code.")
                    .Register(r);
  rpc_latency_ = &prometheus::BuildHistogram()
                      .Name("affect_rpc_duration_seconds")
                      .Help("End-to-end RPC latency (streams: whole session), seconds.")
                      .Register(r);
  stage_latency_ = &prometheus::BuildHistogram()
                        .Name("affect_stage_duration_seconds")
                        .Help("Time per pipeline stage per request or frame, seconds.")
                        .Register(r);
  frames_ = &prometheus::BuildCounter()
                 .Name("affect_stream_frames_total")
                 .Help("Stream video frames by event: received, analysed, dropped, failed, "
                       "too_old (dropped for age, also counted as dropped).")
                 .Register(r);
  batch_size_ = &prometheus::BuildHistogram()
                     .Name("affect_model_batch_size")
                     .Help("Rows per executed batch, per model.")
                     .Register(r);
  model_queue_time_ = &prometheus::BuildHistogram()
                           .Name("affect_model_queue_duration_seconds")
                           .Help("Time items waited in a model's queue, seconds.")
                           .Register(r);
  model_compute_time_ = &prometheus::BuildHistogram()
                             .Name("affect_model_compute_duration_seconds")
                             .Help("Time to execute one batch, seconds.")
                             .Register(r);
  model_queue_depth_ = &prometheus::BuildGauge()
                            .Name("affect_model_queue_depth")
                            .Help("Items waiting in a model's queue.")
                            .Register(r);
  model_requests_ = &prometheus::BuildCounter()
                         .Name("affect_model_requests_total")
                         .Help("Inference requests finished per model, by outcome.")
                         .Register(r);
  model_batches_ = &prometheus::BuildCounter()
                        .Name("affect_model_batches_total")
                        .Help("Batches executed per model, by outcome.")
                        .Register(r);
  model_state_ = &prometheus::BuildGauge()
                      .Name("affect_model_state")
                      .Help("1 for the model's current state, 0 for the others.")
                      .Register(r);
  auto& in_flight = prometheus::BuildGauge()
                        .Name("affect_rpc_in_flight")
                        .Help("RPCs being served now (streams included).")
                        .Register(r);
  in_flight_ = &in_flight.Add({});
  auto& streams = prometheus::BuildGauge()
                      .Name("affect_active_streams")
                      .Help("AnalyzeStream sessions open now.")
                      .Register(r);
  active_streams_ = &streams.Add({});
  admission_total_ = &prometheus::BuildCounter()
                          .Name("affect_admission_total")
                          .Help("Work offered to an admission queue, by queue and outcome: "
                                "admitted, refused_full, refused_deadline, expired, cancelled, "
                                "refused_shutdown.")
                          .Register(r);
  admission_queue_items_ = &prometheus::BuildGauge()
                                .Name("affect_admission_queue_items")
                                .Help("Requests and frames waiting in an admission queue.")
                                .Register(r);
  admission_queue_bytes_ = &prometheus::BuildGauge()
                                .Name("affect_admission_queue_bytes")
                                .Help("Bytes of media waiting in an admission queue.")
                                .Register(r);
  admission_wait_ = &prometheus::BuildHistogram()
                         .Name("affect_admission_wait_seconds")
                         .Help("Time work waited in an admission queue before it started.")
                         .Register(r);
  auto& stream_frames = prometheus::BuildGauge()
                            .Name("affect_stream_frames_scheduled")
                            .Help("Stream frames in the server-wide frame budget, by state: "
                                  "running (admitted, being analysed) or waiting.")
                            .Register(r);
  stream_frames_running_ = &stream_frames.Add({{"state", "running"}});
  stream_frames_waiting_ = &stream_frames.Add({{"state", "waiting"}});

  for (int m = 0; m < kNumRpcMethods; ++m) {
    const std::string method = MethodName(static_cast<RpcMethod>(m));
    rpc_counters_.emplace_back();
    for (int code = 0; code < kNumGrpcCodes; ++code) {
      rpc_counters_.back().push_back(
          &rpc_total_->Add({{"method", method}, {"code", GrpcCodeName(code)}}));
    }
    rpc_histograms_.push_back(&rpc_latency_->Add({{"method", method}}, LatencyBuckets()));
  }
  for (int s = 0; s < kNumStages; ++s) {
    stage_histograms_.push_back(&stage_latency_->Add(
        {{"stage", StageName(static_cast<Stage>(s))}},
        s == static_cast<int>(Stage::kQueue) ? QueueBuckets() : LatencyBuckets()));
  }
  for (int e = 0; e < kNumFrameEvents; ++e) {
    frame_counters_.push_back(&frames_->Add({{"event", FrameEventName(static_cast<FrameEvent>(e))}}));
  }
  process_collector_ = std::make_shared<ProcessCollector>();
}

ServerMetrics::~ServerMetrics() = default;

struct ServerMetrics::QueueMetrics {
  std::map<AdmissionObserver::Outcome, prometheus::Counter*> outcomes;
  prometheus::Gauge* items;
  prometheus::Gauge* bytes;
  prometheus::Histogram* wait;
};

ServerMetrics::QueueMetrics& ServerMetrics::QueueChildren(const std::string& queue) {
  absl::MutexLock lock(&mutex_);
  auto found = queues_.find(queue);
  if (found != queues_.end()) return *found->second;
  // Created once per queue (the server has one, "decode"), on its first
  // event; every later event only looks the children up.
  auto metrics = std::make_unique<QueueMetrics>();
  for (auto outcome :
       {AdmissionObserver::Outcome::kAdmitted, AdmissionObserver::Outcome::kRefusedFull,
        AdmissionObserver::Outcome::kRefusedDeadline, AdmissionObserver::Outcome::kExpired,
        AdmissionObserver::Outcome::kCancelled, AdmissionObserver::Outcome::kRefusedShutdown}) {
    metrics->outcomes[outcome] =
        &admission_total_->Add({{"queue", queue}, {"outcome", AdmissionOutcomeName(outcome)}});
  }
  metrics->items = &admission_queue_items_->Add({{"queue", queue}});
  metrics->bytes = &admission_queue_bytes_->Add({{"queue", queue}});
  metrics->wait = &admission_wait_->Add({{"queue", queue}}, QueueBuckets());
  return *queues_.emplace(queue, std::move(metrics)).first->second;
}

void ServerMetrics::OnAdmission(const std::string& queue, AdmissionObserver::Outcome outcome) {
  QueueChildren(queue).outcomes.at(outcome)->Increment();
}

void ServerMetrics::OnQueueSize(const std::string& queue, int items, int64_t bytes) {
  QueueMetrics& metrics = QueueChildren(queue);
  metrics.items->Set(items);
  metrics.bytes->Set(static_cast<double>(bytes));
}

void ServerMetrics::OnQueueWait(const std::string& queue, absl::Duration wait) {
  QueueChildren(queue).wait->Observe(absl::ToDoubleSeconds(wait));
}

void ServerMetrics::SetStreamFrames(int running, int waiting) {
  stream_frames_running_->Set(running);
  stream_frames_waiting_->Set(waiting);
}

absl::StatusOr<int> ServerMetrics::StartExposer(const MetricsHttpServerOptions& options) {
  auto server = MetricsHttpServer::Start(options, [this] { return Serialize(); });
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat(server.status().message(), " (--metrics_host, --metrics_port)"));
  }
  http_server_ = *std::move(server);
  return http_server_->port();
}

ServerMetrics::ModelMetrics& ServerMetrics::ModelChildren(const std::string& model) {
  absl::MutexLock lock(&mutex_);
  auto found = models_.find(model);
  if (found != models_.end()) return *found->second;
  auto metrics = std::make_unique<ModelMetrics>();
  const prometheus::Labels labels = {{"model", model}};
  metrics->batch_size = &batch_size_->Add(labels, BatchSizeBuckets());
  metrics->queue_time = &model_queue_time_->Add(labels, QueueBuckets());
  metrics->compute_time = &model_compute_time_->Add(labels, LatencyBuckets());
  metrics->queue_depth = &model_queue_depth_->Add(labels);
  metrics->requests_ok = &model_requests_->Add({{"model", model}, {"outcome", "success"}});
  metrics->requests_failed = &model_requests_->Add({{"model", model}, {"outcome", "failure"}});
  metrics->batches_ok = &model_batches_->Add({{"model", model}, {"outcome", "success"}});
  metrics->batches_failed = &model_batches_->Add({{"model", model}, {"outcome", "failure"}});
  for (v1::ModelState state : {v1::MODEL_STATE_LOADING, v1::MODEL_STATE_READY,
                               v1::MODEL_STATE_FAILED, v1::MODEL_STATE_UNLOADING}) {
    std::string name = v1::ModelState_Name(state).substr(std::string("MODEL_STATE_").size());
    metrics->state[state] =
        &model_state_->Add({{"model", model}, {"state", absl::AsciiStrToLower(name)}});
  }
  ModelMetrics& result = *metrics;
  models_[model] = std::move(metrics);
  return result;
}

void ServerMetrics::EnableGpuMemory(std::vector<int> cuda_devices) {
  process_collector_->EnableGpuMemory(std::move(cuda_devices));
}

void ServerMetrics::RegisterModel(const std::string& model) { ModelChildren(model); }

void ServerMetrics::SetModelState(const std::string& model, v1::ModelState state) {
  for (auto& [candidate, gauge] : ModelChildren(model).state) {
    gauge->Set(candidate == state ? 1 : 0);
  }
}

void ServerMetrics::CountRpc(RpcMethod method, int grpc_code) {
  const int code = grpc_code >= 0 && grpc_code < kNumGrpcCodes ? grpc_code : 2;  // UNKNOWN
  rpc_counters_[static_cast<size_t>(method)][static_cast<size_t>(code)]->Increment();
}

void ServerMetrics::RecordRpc(RpcMethod method, int grpc_code, absl::Duration latency) {
  CountRpc(method, grpc_code);
  rpc_histograms_[static_cast<size_t>(method)]->Observe(absl::ToDoubleSeconds(latency));
}

void ServerMetrics::RecordStage(Stage stage, absl::Duration duration) {
  stage_histograms_[static_cast<size_t>(stage)]->Observe(absl::ToDoubleSeconds(duration));
}

void ServerMetrics::RecordFrames(FrameEvent event, int count) {
  frame_counters_[static_cast<size_t>(event)]->Increment(count);
}

void ServerMetrics::AddRequestsInFlight(int delta) { in_flight_->Increment(delta); }
void ServerMetrics::AddActiveStreams(int delta) { active_streams_->Increment(delta); }

void ServerMetrics::OnBatchExecuted(const std::string& model, int batch_size,
                                    absl::Duration compute_time, const absl::Status& status) {
  ModelMetrics& metrics = ModelChildren(model);
  metrics.batch_size->Observe(batch_size);
  metrics.compute_time->Observe(absl::ToDoubleSeconds(compute_time));
  (status.ok() ? metrics.batches_ok : metrics.batches_failed)->Increment();
}

void ServerMetrics::OnItemDequeued(const std::string& model, absl::Duration queue_time) {
  ModelChildren(model).queue_time->Observe(absl::ToDoubleSeconds(queue_time));
}

void ServerMetrics::OnQueueDepth(const std::string& model, int depth) {
  ModelChildren(model).queue_depth->Set(depth);
}

void ServerMetrics::OnRequestDone(const std::string& model, const absl::Status& status) {
  ModelMetrics& metrics = ModelChildren(model);
  (status.ok() ? metrics.requests_ok : metrics.requests_failed)->Increment();
}

std::string ServerMetrics::Serialize() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (auto& family : process_collector_->Collect()) families.push_back(std::move(family));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace affect

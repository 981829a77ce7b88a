#include "server/api/affect_server.h"

#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "server/api/machine_defaults.h"
#include "server/common/logging.h"
#include "server/common/status_macros.h"
#include "server/metrics/metrics_http_server.h"
#include "server/torch/torch_module.h"

namespace affect {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat(what, " ", path, " cannot be read"));
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// A bearer token file: the token, surrounding whitespace ignored.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path, absl::string_view flag) {
  AFFECT_ASSIGN_OR_RETURN(std::string token, ReadFile(path, flag));
  token = std::string(absl::StripAsciiWhitespace(token));
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, " is empty"));
  return token;
}

// REQUIRES: machine defaults applied (no thread count left at 0).
absl::Status ValidateOptions(const ServerOptions& options) {
  for (auto [value, flag] : {std::pair{options.worker_threads, "--worker_threads"},
                             std::pair{options.intra_op_threads, "--intra_op_threads"},
                             std::pair{options.decode_threads, "--decode_threads"}}) {
    if (value < 1 || value > 256) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, "=", value, " must be in [1, 256] (0 = chosen for this machine)"));
    }
  }
  if (options.max_running_frames < 1 || options.max_running_frames > 4096) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_running_frames=", options.max_running_frames, " must be in [1, 4096]"));
  }
  if (options.max_running_requests < 1 || options.max_running_requests > 4096) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_running_requests=", options.max_running_requests, " must be in [1, 4096]"));
  }
  if (options.max_queued_requests < 1 || options.max_queued_requests > 100000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_queued_requests=", options.max_queued_requests, " must be in [1, 100000]"));
  }
  if (options.max_queued_bytes < (int64_t{1} << 20)) {
    return absl::InvalidArgumentError("--max_queued_bytes must be at least 1 MiB");
  }
  if (options.max_streams_per_connection < 1) {
    return absl::InvalidArgumentError("--max_streams_per_connection must be >= 1");
  }
  for (auto [value, flag] :
       {std::pair{options.stream_max_frame_age, "--stream_max_frame_age"},
        std::pair{options.stream_config_timeout, "--stream_config_timeout"},
        std::pair{options.stream_idle_timeout, "--stream_idle_timeout"}}) {
    if (value <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " must be positive"));
    }
  }
  if (options.metrics_port < -1 || options.metrics_port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_port=", options.metrics_port, " must be -1 (off) or 0..65535"));
  }
  // gRPC takes the limit as an int: a larger value would wrap (4 GiB to 0,
  // 4 GiB - 1 to -1, which gRPC reads as "no limit").
  if (options.max_message_bytes < 1024 ||
      options.max_message_bytes > std::numeric_limits<int>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_message_bytes=", options.max_message_bytes, " must be in [1024, ",
                     std::numeric_limits<int>::max(), "]"));
  }
  if (options.max_image_pixels < 1) {
    return absl::InvalidArgumentError("--max_image_pixels must be positive");
  }
  if (!(options.max_audio_seconds > 0)) {
    return absl::InvalidArgumentError("--max_audio_seconds must be positive");
  }
  if (options.max_streams < 1) return absl::InvalidArgumentError("--max_streams must be >= 1");
  if (options.drain_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--drain_timeout must not be negative");
  }
  if (options.tls.enabled() != !options.tls.key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key must be given together");
  }
  if (!options.tls.client_ca_file.empty() && !options.tls.enabled()) {
    return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCredentials(const TlsOptions& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl;
  AFFECT_ASSIGN_OR_RETURN(std::string cert, ReadFile(tls.cert_file, "--tls_cert"));
  AFFECT_ASSIGN_OR_RETURN(std::string key, ReadFile(tls.key_file, "--tls_key"));
  ssl.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
  if (!tls.client_ca_file.empty()) {
    AFFECT_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(tls.client_ca_file, "--tls_client_ca"));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

constexpr v1::Analysis kAnalyses[] = {v1::ANALYSIS_EMOTION, v1::ANALYSIS_ATTIRE,
                                      v1::ANALYSIS_SCENE,   v1::ANALYSIS_VOICE,
                                      v1::ANALYSIS_BODY,    v1::ANALYSIS_ATTENTION};

}  // namespace

std::string AnalysisHealthName(v1::Analysis analysis) {
  const char* name = "unspecified";
  switch (analysis) {
    case v1::ANALYSIS_EMOTION:
      name = "emotion";
      break;
    case v1::ANALYSIS_ATTIRE:
      name = "attire";
      break;
    case v1::ANALYSIS_SCENE:
      name = "scene";
      break;
    case v1::ANALYSIS_VOICE:
      name = "voice";
      break;
    case v1::ANALYSIS_BODY:
      name = "body";
      break;
    case v1::ANALYSIS_ATTENTION:
      name = "attention";
      break;
    default:
      break;
  }
  return absl::StrCat(kAffectServiceName, "/", name);
}

absl::StatusOr<std::unique_ptr<AffectServer>> AffectServer::Start(
    const ServerOptions& requested) {
  std::string chosen_by_rule;
  const ServerOptions options =
      ApplyMachineDefaults(requested, UsableCpuCores(), &chosen_by_rule);
  AFFECT_RETURN_IF_ERROR(ValidateOptions(options));
  AFFECT_ASSIGN_OR_RETURN(const DeviceSpec device, ResolveDevice(options.device));
  CallerPolicies callers;
  if (!options.auth_token_file.empty()) {
    AFFECT_ASSIGN_OR_RETURN(const std::string text,
                            ReadFile(options.auth_token_file, "--auth_token_file"));
    AFFECT_ASSIGN_OR_RETURN(callers, CallerPolicies::Parse(text, options.auth_token_file));
  }
  AFFECT_ASSIGN_OR_RETURN(auto credentials, MakeCredentials(options.tls));
  SetTorchIntraOpThreads(options.intra_op_threads);

  std::unique_ptr<AffectServer> server(new AffectServer());
  server->options_ = options;
  server->metrics_ = std::make_unique<ServerMetrics>();
  if (options.metrics_port >= 0) {
    if (device.is_cuda()) server->metrics_->EnableGpuMemory({device.index});
    MetricsHttpServerOptions exposer;
    exposer.address = options.metrics_address;
    exposer.port = options.metrics_port;
    if (!options.metrics_token_file.empty()) {
      AFFECT_ASSIGN_OR_RETURN(exposer.bearer_token,
                              ReadTokenFile(options.metrics_token_file, "--metrics_token_file"));
    }
    AFFECT_ASSIGN_OR_RETURN(server->metrics_port_, server->metrics_->StartExposer(exposer));
  }
  server->tracker_ = std::make_unique<CallTracker>(std::move(callers), server->metrics_.get());
  server->streams_ =
      std::make_unique<StreamRegistry>(options.max_streams, options.max_streams_per_connection);
  ModelRepositoryOptions repository_options;
  repository_options.root = options.model_repository;
  repository_options.device = device;
  repository_options.half_precision = options.half_precision;
  repository_options.observer = server->metrics_.get();
  AFFECT_ASSIGN_OR_RETURN(server->repository_, ModelRepository::Create(repository_options));
  server->workers_ = std::make_unique<ThreadPool>("affect-worker", options.worker_threads);
  AdmissionQueueOptions decode;
  decode.name = "decode";
  decode.num_threads = options.decode_threads;
  decode.max_items = options.max_queued_requests;
  decode.max_bytes = options.max_queued_bytes;
  decode.max_in_progress = options.max_running_requests;
  decode.observer = server->metrics_.get();
  AFFECT_ASSIGN_OR_RETURN(server->decode_queue_, AdmissionQueue::Create(decode));
  AFFECT_ASSIGN_OR_RETURN(server->frame_scheduler_,
                          stream::FrameScheduler::Create({options.max_running_frames, nullptr}));
  server->service_ = std::make_unique<AffectServiceImpl>(
      options, server->repository_.get(), server->tracker_.get(), server->streams_.get(),
      server->workers_.get(), server->decode_queue_.get(), server->frame_scheduler_.get(),
      device.ToString(), UsableCpuCores(), chosen_by_rule);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // A second server on a busy port must fail, not silently share it
  // (SO_REUSEPORT would split the callers between two processes).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options.listen_address, credentials, &server->port_);
  builder.RegisterService(server->service_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  if (options.grpc_max_threads > 0) {
    grpc::ResourceQuota quota("affect-server");
    quota.SetMaxThreads(options.grpc_max_threads);
    builder.SetResourceQuota(quota);
  }
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address,
                     " (port in use, or not an address this host has)"));
  }
  server->SetServing(false);
  server->housekeeper_ = std::thread([raw = server.get()] { raw->Housekeep(); });
  AFFECT_LOG(INFO).With("port", server->port_).With("metrics_port", server->metrics_port_)
          .With("device", device.ToString()).With("repository", options.model_repository)
          .With("intra_op_threads", options.intra_op_threads)
          .With("decode_threads", options.decode_threads)
          .With("worker_threads", options.worker_threads)
          .With("max_running_frames", options.max_running_frames)
          .With("max_running_requests", options.max_running_requests)
          .With("chosen_by_rule", chosen_by_rule.empty() ? "none" : chosen_by_rule)
      << "affect-server listening";
  if (options.load_models_in_background) {
    server->loader_ = std::thread([raw = server.get()] { raw->LoadModelsAndServe(); });
  } else {
    server->LoadModelsAndServe();
  }
  return server;
}

void AffectServer::LoadModelsAndServe() {
  repository_->LoadAll();
  for (const ModelSnapshot& model : repository_->List()) {
    metrics_->SetModelState(model.config.name(), model.state);
  }
  Pipelines pipelines;
  pipelines.image = ImagePipeline::Create(repository_.get(), workers_.get());
  pipelines.voice = VoicePipeline::Create(repository_.get(), workers_.get());
  AnalysisAvailability available{};
  for (v1::Analysis analysis : kAnalyses) {
    absl::Status status = options_.disabled_analyses.count(analysis) > 0
                              ? absl::FailedPreconditionError("switched off (--disabled_analyses)")
                              : pipelines.Availability(analysis);
    available[analysis - 1] = status.ok();
    if (!status.ok()) {
      AFFECT_LOG(WARNING).With("health_service", AnalysisHealthName(analysis))
              .With("reason", status.message())
          << "analysis not serving";
    }
  }
  service_->SetPipelines(std::move(pipelines));
  absl::MutexLock lock(&mutex_);
  models_loaded_ = true;
  if (!shut_down_) {
    SetServing(true, available);
    AFFECT_LOG(INFO) << "models loaded: serving";
  }
}

void AffectServer::Housekeep() {
  SetCurrentThreadName("affect-housekeep");
  // Frame ages are checked on every scheduler event too; this catches frames
  // that wait while nothing happens. Timeouts are coarse (seconds).
  constexpr absl::Duration kTick = absl::Milliseconds(100);
  constexpr int kTicksPerTimeoutCheck = 5;
  for (int tick = 0;; ++tick) {
    {
      absl::MutexLock lock(&mutex_);
      if (mutex_.AwaitWithTimeout(absl::Condition(&stop_housekeeping_), kTick)) return;
    }
    frame_scheduler_->DropExpired();
    metrics_->SetStreamFrames(frame_scheduler_->running(), frame_scheduler_->waiting());
    if (tick % kTicksPerTimeoutCheck == 0) streams_->CheckTimeouts(absl::Now());
  }
}

AffectServer::~AffectServer() { Shutdown(); }

void AffectServer::SetServing(bool serving, const AnalysisAvailability& available) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);  // overall ("") and every service
  health->SetServingStatus(kAffectServiceName, serving);
  for (v1::Analysis analysis : kAnalyses) {
    health->SetServingStatus(AnalysisHealthName(analysis), serving && available[analysis - 1]);
  }
}

void AffectServer::WaitUntilModelsLoaded() {
  absl::MutexLock lock(&mutex_);
  mutex_.Await(absl::Condition(&models_loaded_));
}

void AffectServer::Shutdown() {
  {
    absl::MutexLock lock(&mutex_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  if (server_ == nullptr) return;  // Start failed before serving: nothing runs
  const absl::Time deadline = absl::Now() + options_.drain_timeout;
  AFFECT_LOG(INFO).With("drain_timeout_s", absl::ToDoubleSeconds(options_.drain_timeout))
      << "shutting down: draining";
  SetServing(false);
  tracker_->StartDraining();
  // Streams stop reading, finish what they accepted, send their summary.
  streams_->DrainAll();
  if (!tracker_->WaitForIdle(deadline)) {
    AFFECT_LOG(WARNING).With("in_flight", tracker_->in_flight())
        << "drain timeout reached: cancelling the remaining calls";
  }
  // Calls still running after the deadline are cancelled by gRPC; their
  // handlers still answer (CANCELLED), so none is left without a status.
  server_->Shutdown(absl::ToChronoTime(std::max(deadline, absl::Now())));
  // A shutdown during start-up waits for the model being loaded: LibTorch
  // cannot interrupt a load, and the repository must not gain batchers after
  // it has been shut down.
  if (loader_.joinable()) loader_.join();
  repository_->Shutdown(std::max(absl::ZeroDuration(), deadline - absl::Now()));
  server_->Wait();
  {
    absl::MutexLock lock(&mutex_);
    stop_housekeeping_ = true;
  }
  if (housekeeper_.joinable()) housekeeper_.join();
  // After the server: the last callbacks (answers of cancelled calls) may
  // still be posting to the pool until every call is done. Decoding first:
  // what it still runs posts to the workers.
  decode_queue_->Shutdown();
  workers_->Shutdown();
  for (const ModelSnapshot& model : repository_->List()) {
    metrics_->SetModelState(model.config.name(), model.state);
  }
  AFFECT_LOG(INFO) << "shutdown complete";
}

}  // namespace affect

#include "server/api/affect_service.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "server/api/grpc_status.h"
#include "server/api/model_info.h"
#include "server/common/build_info.h"
#include "server/common/logging.h"
#include "server/torch/torch_module.h"

namespace affect {
namespace {

// Constant-time comparison, so the token cannot be guessed byte by byte from
// response times.
bool TokensEqual(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

}  // namespace

AffectServiceImpl::AffectServiceImpl(const ServerOptions& options,
                                     const ModelRepository* repository, std::string auth_token,
                                     std::string resolved_device)
    : options_(options),
      repository_(repository),
      auth_token_(std::move(auth_token)),
      resolved_device_(std::move(resolved_device)) {}

grpc::Status AffectServiceImpl::Admit(grpc::CallbackServerContext* context) {
  if (!auth_token_.empty()) {
    const auto& metadata = context->client_metadata();
    const auto found = metadata.find("authorization");
    if (found == metadata.end()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "missing 'authorization: Bearer <token>' metadata");
    }
    const absl::string_view value(found->second.data(), found->second.size());
    absl::string_view token = value;
    if (!absl::ConsumePrefix(&token, "Bearer ") || !TokensEqual(token, auth_token_)) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "invalid bearer token");
    }
  }
  absl::MutexLock lock(&mutex_);
  if (draining_) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "server is shutting down: retry on another instance");
  }
  ++in_flight_;
  return grpc::Status::OK;
}

void AffectServiceImpl::CallDone() {
  absl::MutexLock lock(&mutex_);
  --in_flight_;
}

void AffectServiceImpl::StartDraining() {
  absl::MutexLock lock(&mutex_);
  draining_ = true;
}

bool AffectServiceImpl::WaitForIdle(absl::Time deadline) {
  absl::MutexLock lock(&mutex_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return in_flight_ == 0; };
  return mutex_.AwaitWithDeadline(absl::Condition(&idle), deadline);
}

int AffectServiceImpl::calls_in_flight() const {
  absl::MutexLock lock(&mutex_);
  return in_flight_;
}

grpc::ServerUnaryReactor* AffectServiceImpl::ListModels(grpc::CallbackServerContext* context,
                                                        const v1::ListModelsRequest* request,
                                                        v1::ListModelsResponse* response) {
  if (grpc::Status admitted = Admit(context); !admitted.ok()) return FinishNow(context, admitted);
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
  CallDone();
  return FinishNow(context, status);
}

grpc::ServerUnaryReactor* AffectServiceImpl::GetServerInfo(grpc::CallbackServerContext* context,
                                                           const v1::GetServerInfoRequest*,
                                                           v1::ServerInfo* response) {
  if (grpc::Status admitted = Admit(context); !admitted.ok()) return FinishNow(context, admitted);
  const TorchRuntimeInfo torch = GetTorchRuntimeInfo();
  response->set_version(kServerVersion);
  response->set_git_revision(kGitRevision);
  response->set_build_type(kBuildType);
  response->set_torch_version(torch.version);
  response->set_cuda_available(torch.cuda_available);
  response->set_device(resolved_device_);
  response->set_blas(torch.blas);
  response->set_intra_op_threads(torch.intra_op_threads);
  for (int a = v1::ANALYSIS_EMOTION; a <= v1::ANALYSIS_VOICE; ++a) {
    const auto analysis = static_cast<v1::Analysis>(a);
    if (options_.disabled_analyses.count(analysis) == 0) response->add_enabled_analyses(analysis);
  }
  v1::Limits* limits = response->mutable_limits();
  limits->set_max_message_bytes(static_cast<uint64_t>(options_.max_message_bytes));
  limits->set_max_image_pixels(static_cast<uint64_t>(options_.max_image_pixels));
  limits->set_max_audio_seconds(options_.max_audio_seconds);
  limits->set_max_streams(static_cast<uint32_t>(options_.max_streams));
  CallDone();
  return FinishNow(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* AffectServiceImpl::Analyze(grpc::CallbackServerContext* context,
                                                     const v1::AnalyzeRequest*,
                                                     v1::AnalyzeResponse*) {
  if (grpc::Status admitted = Admit(context); !admitted.ok()) return FinishNow(context, admitted);
  CallDone();
  return FinishNow(context, grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                         "Analyze is not available in this build yet"));
}

grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse>* AffectServiceImpl::AnalyzeStream(
    grpc::CallbackServerContext* context) {
  // Replaced by the stream session reactor.
  class Refuse : public grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse> {
   public:
    explicit Refuse(const grpc::Status& status) { Finish(status); }
    void OnDone() override { delete this; }
  };
  grpc::Status admitted = Admit(context);
  if (!admitted.ok()) return new Refuse(admitted);
  CallDone();
  return new Refuse(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                 "AnalyzeStream is not available in this build yet"));
}

}  // namespace affect

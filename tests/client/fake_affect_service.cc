#include "tests/client/fake_affect_service.h"

#include <deque>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace affect::testing {
namespace {

bool LooksLikeImage(const std::string& bytes) {
  return absl::StartsWith(bytes, "\xFF\xD8\xFF") || absl::StartsWith(bytes, "\x89PNG");
}

grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context, const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

class RefusedStream final : public grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse> {
 public:
  explicit RefusedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

// Answers frames in order through a write queue (one write in flight).
class FakeStream final : public grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse> {
 public:
  explicit FakeStream(FakeAffectService* service) : service_(service) { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client half-closed: summary, then OK.
      v1::StreamResponse summary;
      summary.set_stream_id(stream_id_);
      *summary.mutable_summary()->mutable_stats() = stats_;
      summary.mutable_summary()->set_reason("client finished");
      *summary.mutable_stats() = stats_;
      Enqueue(std::move(summary), /*last=*/true);
      return;
    }
    if (!got_config_) {
      if (!request_.has_config()) {
        Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "the first message of a stream must be `config`"));
        return;
      }
      got_config_ = true;
      stream_id_ =
          request_.config().stream_id().empty() ? "fake-stream" : request_.config().stream_id();
      service_->RecordStreamConfig(request_.config());
    } else if (request_.has_frame()) {
      service_->CountFrame();
      stats_.set_frames_received(stats_.frames_received() + 1);
      const v1::VideoFrame& frame = request_.frame();
      v1::StreamResponse response;
      response.set_stream_id(stream_id_);
      v1::FrameResult* result = response.mutable_frame();
      result->set_sequence(frame.sequence());
      result->set_timestamp_us(frame.timestamp_us());
      if (LooksLikeImage(frame.image().encoded())) {
        stats_.set_frames_analysed(stats_.frames_analysed() + 1);
        *result->mutable_analysis() = service_->frame_analysis;
        result->mutable_timings()->set_total_ms(12.5);
      } else {
        stats_.set_frames_failed(stats_.frames_failed() + 1);
        result->mutable_error()->set_code(static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
        result->mutable_error()->set_message("image: cannot decode");
      }
      *response.mutable_stats() = stats_;
      Enqueue(std::move(response), false);
      if (service_->aggregate_every > 0 &&
          stats_.frames_received() % static_cast<uint64_t>(service_->aggregate_every) == 0) {
        v1::StreamResponse aggregate;
        aggregate.set_stream_id(stream_id_);
        aggregate.mutable_aggregate()->set_window_end_us(frame.timestamp_us());
        v1::TrackAggregate* track = aggregate.mutable_aggregate()->add_tracks();
        track->set_track_id(1);
        track->set_frames_seen(static_cast<uint32_t>(service_->aggregate_every));
        track->set_dominant(v1::EXPRESSION_HAPPY);
        track->mutable_fused()->set_label("positive-calm");
        *aggregate.mutable_stats() = stats_;
        Enqueue(std::move(aggregate), false);
      }
    } else if (request_.has_audio()) {
      service_->CountAudioChunk();
      stats_.set_audio_chunks_received(stats_.audio_chunks_received() + 1);
    }
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (!ok) {
      lock.unlock();
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
      return;
    }
    if (!queue_.empty()) {
      WriteFrontLocked(&lock);
      return;
    }
    writing_ = false;
    if (finishing_) {
      lock.unlock();
      Finish(grpc::Status::OK);
    }
  }

  void OnDone() override { delete this; }

 private:
  void Enqueue(v1::StreamResponse response, bool last) {
    std::unique_lock<std::mutex> lock(mu_);
    queue_.push_back(std::move(response));
    if (last) finishing_ = true;
    if (!writing_) WriteFrontLocked(&lock);
  }

  void WriteFrontLocked(std::unique_lock<std::mutex>* lock) {
    writing_ = true;
    current_ = std::move(queue_.front());
    queue_.pop_front();
    lock->unlock();
    StartWrite(&current_);
  }

  FakeAffectService* const service_;
  v1::StreamRequest request_;
  bool got_config_ = false;
  std::string stream_id_;
  v1::StreamStats stats_;
  std::mutex mu_;
  std::deque<v1::StreamResponse> queue_;
  v1::StreamResponse current_;
  bool writing_ = false;
  bool finishing_ = false;
};

}  // namespace

grpc::Status FakeAffectService::CheckToken(grpc::CallbackServerContext* context) const {
  if (token.empty()) return grpc::Status::OK;
  const auto& metadata = context->client_metadata();
  const auto found = metadata.find("authorization");
  if (found == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing 'authorization: Bearer <token>' metadata");
  }
  if (std::string(found->second.data(), found->second.size()) != "Bearer " + token) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "invalid bearer token");
  }
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* FakeAffectService::Analyze(grpc::CallbackServerContext* context,
                                                     const v1::AnalyzeRequest* request,
                                                     v1::AnalyzeResponse* response) {
  if (grpc::Status status = CheckToken(context); !status.ok()) return Finish(context, status);
  ++analyze_calls_;
  {
    absl::MutexLock lock(&mutex_);
    last_request_ = *request;
  }
  if (!analyze_status.ok()) return Finish(context, analyze_status);
  *response = analyze_response;
  response->set_request_id(request->request_id().empty() ? "fake-request" : request->request_id());
  return Finish(context, grpc::Status::OK);
}

grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse>* FakeAffectService::AnalyzeStream(
    grpc::CallbackServerContext* context) {
  if (grpc::Status status = CheckToken(context); !status.ok()) return new RefusedStream(status);
  return new FakeStream(this);
}

grpc::ServerUnaryReactor* FakeAffectService::ListModels(grpc::CallbackServerContext* context,
                                                        const v1::ListModelsRequest*,
                                                        v1::ListModelsResponse* response) {
  if (grpc::Status status = CheckToken(context); !status.ok()) return Finish(context, status);
  v1::ModelInfo* model = response->add_models();
  model->set_name("fake_model");
  model->set_version(1);
  model->set_state(v1::MODEL_STATE_READY);
  return Finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* FakeAffectService::GetServerInfo(grpc::CallbackServerContext* context,
                                                           const v1::GetServerInfoRequest*,
                                                           v1::ServerInfo* response) {
  if (grpc::Status status = CheckToken(context); !status.ok()) return Finish(context, status);
  response->set_version("fake");
  return Finish(context, grpc::Status::OK);
}

void FakeAffectService::RecordStreamConfig(const v1::StreamConfig& config) {
  absl::MutexLock lock(&mutex_);
  last_config_ = config;
}

v1::AnalyzeRequest FakeAffectService::last_analyze_request() const {
  absl::MutexLock lock(&mutex_);
  return last_request_;
}

v1::StreamConfig FakeAffectService::last_stream_config() const {
  absl::MutexLock lock(&mutex_);
  return last_config_;
}

FakeServer::FakeServer(FakeAffectService* service) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.RegisterService(service);
  server = builder.BuildAndStart();
}

FakeServer::~FakeServer() {
  if (server != nullptr) server->Shutdown(std::chrono::system_clock::now());
}

std::string FakeServer::address() const { return absl::StrCat("127.0.0.1:", port); }

v1::AnalyzeResponse SampleAnalyzeResponse() {
  v1::AnalyzeResponse response;
  response.set_request_id("req-42");
  response.add_analyses(v1::ANALYSIS_EMOTION);
  response.add_analyses(v1::ANALYSIS_ATTIRE);
  response.add_analyses(v1::ANALYSIS_SCENE);
  response.add_analyses(v1::ANALYSIS_VOICE);
  v1::ImageAnalysis* image = response.mutable_image();
  image->mutable_size()->set_width(640);
  image->mutable_size()->set_height(480);

  v1::Face* face = image->add_faces();
  face->set_index(0);
  face->mutable_box()->set_x(100);
  face->mutable_box()->set_y(80);
  face->mutable_box()->set_width(120);
  face->mutable_box()->set_height(130);
  face->set_detection_score(0.97f);
  v1::ExpressionResult* expression = face->mutable_expression();
  for (int e = v1::EXPRESSION_ANGRY; e <= v1::EXPRESSION_NEUTRAL; ++e) {
    v1::ExpressionScore* score = expression->add_scores();
    score->set_expression(static_cast<v1::Expression>(e));
    score->set_score(e == v1::EXPRESSION_HAPPY ? 0.88f : 0.02f);
  }
  expression->set_dominant(v1::EXPRESSION_HAPPY);
  expression->set_dominant_score(0.88f);
  expression->set_valence(0.71f);
  expression->set_arousal(0.32f);
  expression->mutable_model()->set_name("emotion");
  expression->mutable_model()->set_version(1);
  v1::Face* second = image->add_faces();
  second->set_index(1);
  second->mutable_box()->set_x(400);
  second->mutable_box()->set_y(90);
  second->mutable_box()->set_width(60);
  second->mutable_box()->set_height(64);
  second->set_detection_score(0.81f);

  v1::PersonAttire* attire = image->add_attire();
  attire->set_face_index(0);
  v1::GarmentRegion* upper = attire->add_garments();
  upper->set_part(v1::GARMENT_PART_UPPER_BODY);
  upper->set_visible_share(0.82f);
  v1::NamedColor* navy = upper->add_colors();
  navy->set_name("navy");
  navy->set_share(0.54f);
  v1::NamedColor* white = upper->add_colors();
  white->set_name("white");
  white->set_share(0.30f);
  v1::Accessory* tie = attire->add_accessories();
  tie->set_label("tie");
  tie->set_score(0.71f);

  v1::Scene* scene = image->mutable_scene();
  v1::DetectedObject* person = scene->add_objects();
  person->set_label("person");
  person->set_score(0.95f);
  v1::DetectedObject* couch = scene->add_objects();
  couch->set_label("couch");
  couch->set_score(0.81f);
  v1::SceneCategoryScore* category = scene->add_categories();
  category->set_category("living_room");
  category->set_score(0.72f);
  category->add_evidence("couch");
  scene->set_environment(v1::ENVIRONMENT_INDOOR);
  scene->set_environment_confidence(0.9f);
  scene->mutable_lighting()->set_level(v1::LIGHTING_LEVEL_NORMAL);
  scene->mutable_lighting()->set_brightness(0.52f);
  scene->mutable_lighting()->set_contrast(0.21f);

  v1::Voice* voice = response.mutable_voice();
  voice->set_speech_present(true);
  voice->set_active_share(0.62f);
  voice->set_loudness_dbfs(-23.1f);
  voice->mutable_pitch()->set_mean_hz(182);
  voice->mutable_pitch()->set_stddev_hz(31);
  voice->set_speaking_rate_hz(3.9f);
  voice->set_arousal(0.2f);
  voice->set_duration_seconds(3.2f);

  v1::Timings* timings = response.mutable_timings();
  timings->set_decode_ms(12.1);
  timings->set_queue_ms(3.2);
  timings->set_inference_ms(301.0);
  timings->set_postprocess_ms(40.2);
  timings->set_total_ms(412.3);
  for (const char* name : {"blazeface", "emotion", "centernet", "selfie"}) {
    v1::ModelRef* model = response.add_models();
    model->set_name(name);
    model->set_version(1);
  }
  return response;
}

}  // namespace affect::testing

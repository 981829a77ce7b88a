// An in-process stand-in for the affect.v1 service with canned answers, so
// the client's analyze/stream paths and affect-bench can be tested without
// models: Analyze returns `analyze_response` (with the request id echoed),
// AnalyzeStream answers every frame with `frame_analysis`, an aggregate every
// `aggregate_every` frames and a summary at half-close. Frames whose bytes
// are not a JPEG/PNG are answered with a FrameResult error, as the real
// server does.
#ifndef AFFECT_TESTS_CLIENT_FAKE_AFFECT_SERVICE_H_
#define AFFECT_TESTS_CLIENT_FAKE_AFFECT_SERVICE_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "grpcpp/server.h"

namespace affect::testing {

class FakeAffectService final : public v1::AffectService::CallbackService {
 public:
  // Configure before the server starts; read-only afterwards.
  v1::AnalyzeResponse analyze_response;
  // Non-OK: Analyze fails with it.
  grpc::Status analyze_status;
  v1::ImageAnalysis frame_analysis;
  int aggregate_every = 5;
  // Non-empty: calls must carry "authorization: Bearer <token>".
  std::string token;

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

  // What was received. Thread-safe.
  int analyze_calls() const { return analyze_calls_.load(); }
  int frames_received() const { return frames_received_.load(); }
  int audio_chunks_received() const { return audio_chunks_received_.load(); }
  v1::AnalyzeRequest last_analyze_request() const;
  v1::StreamConfig last_stream_config() const;

  // Called by the stream reactor.
  void RecordStreamConfig(const v1::StreamConfig& config);
  void CountFrame() { ++frames_received_; }
  void CountAudioChunk() { ++audio_chunks_received_; }

 private:
  grpc::Status CheckToken(grpc::CallbackServerContext* context) const;

  std::atomic<int> analyze_calls_{0};
  std::atomic<int> frames_received_{0};
  std::atomic<int> audio_chunks_received_{0};
  mutable absl::Mutex mutex_;
  v1::AnalyzeRequest last_request_ ABSL_GUARDED_BY(mutex_);
  v1::StreamConfig last_config_ ABSL_GUARDED_BY(mutex_);
};

// A server on 127.0.0.1:<free port> running `service`.
struct FakeServer {
  explicit FakeServer(FakeAffectService* service);
  ~FakeServer();
  std::string address() const;

  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

// An AnalyzeResponse with two faces (happy with track 0, and one without
// expression), attire, a scene, a voice, timings and models: the fixture of
// the formatting tests.
v1::AnalyzeResponse SampleAnalyzeResponse();

}  // namespace affect::testing

#endif  // AFFECT_TESTS_CLIENT_FAKE_AFFECT_SERVICE_H_

// Everything an AffectServer needs to start, filled from flags by main.cc or
// directly by tests.
#ifndef AFFECT_SERVER_API_SERVER_OPTIONS_H_
#define AFFECT_SERVER_API_SERVER_OPTIONS_H_

#include <cstdint>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "affect/v1/results.pb.h"
#include "server/torch/device_spec.h"

namespace affect {

struct TlsOptions {
  // PEM files. cert+key enable TLS; client_ca additionally requires and
  // verifies client certificates (mutual TLS).
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  bool enabled() const { return !cert_file.empty(); }
};

struct ServerOptions {
  // host:port for gRPC; port 0 picks a free port (read back with port()).
  std::string listen_address = "0.0.0.0:50051";
  // Prometheus /metrics port on the same host; 0 picks a free port, -1
  // disables the endpoint.
  int metrics_port = 9464;
  std::string metrics_address = "0.0.0.0";
  std::string model_repository = "models/repository";
  DeviceSpec device;
  bool half_precision = false;
  // LibTorch intra-op threads (process-wide); 0 leaves LibTorch's default.
  int intra_op_threads = 1;
  // Threads for decoding, pre- and post-processing.
  int worker_threads = 2;
  // Upper bound on gRPC's own threads (0 = gRPC default).
  int grpc_max_threads = 0;
  // Load models on a background thread so health answers NOT_SERVING while
  // they load (main); tests load synchronously.
  bool load_models_in_background = true;
  absl::Duration drain_timeout = absl::Seconds(10);

  // Limits (see affect_service.proto for the errors they produce).
  int64_t max_message_bytes = 16 << 20;
  int64_t max_image_pixels = 40'000'000;
  double max_audio_seconds = 120.0;
  int max_streams = 64;

  // Analyses the operator switched off (--disabled_analyses).
  std::set<v1::Analysis> disabled_analyses;

  TlsOptions tls;
  // File holding the bearer token callers must send ("authorization: Bearer
  // <token>"); empty = no token check.
  std::string auth_token_file;
};

}  // namespace affect

#endif  // AFFECT_SERVER_API_SERVER_OPTIONS_H_

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
  // Prometheus /metrics port; 0 picks a free port, -1 disables the endpoint.
  int metrics_port = 9464;
  // Address of /metrics (--metrics_host): loopback unless the operator opens
  // it (the endpoint has no TLS; see SECURITY.md).
  std::string metrics_address = "127.0.0.1";
  // File holding the bearer token scrapers must send ("Authorization: Bearer
  // <token>"); empty = /metrics is open to whoever can reach it.
  std::string metrics_token_file;
  std::string model_repository = "models/repository";
  DeviceSpec device;
  bool half_precision = false;
  // LibTorch intra-op threads (process-wide); 0 = chosen for this machine
  // (see server/api/machine_defaults.h).
  int intra_op_threads = 0;
  // Threads for pre- and post-processing; 0 = chosen for this machine.
  int worker_threads = 0;
  // Threads that decode admitted requests and frames; 0 = chosen for this
  // machine.
  int decode_threads = 0;

  // Admission (server/engine/admission_queue.h): requests and frames waiting
  // to be decoded, at most, and their bytes of media.
  int max_queued_requests = 32;
  int64_t max_queued_bytes = int64_t{256} << 20;
  // Requests and stream frames between the start of their decoding and the
  // end of their models, at once, weighted (EMOTION or VOICE 1, attire and
  // scene 1 more each); the rest wait in the admission queue, where their
  // deadline is checked. 0 = chosen for this machine.
  int max_running_requests = 0;

  // Streams (server/stream/frame_scheduler.h): frames running at once over
  // all streams (0 = chosen for this machine), and the default maximum age
  // of a live stream's frame (StreamConfig.max_frame_age_ms overrides it).
  int max_running_frames = 0;
  absl::Duration stream_max_frame_age = absl::Seconds(1);
  // A stream must send its config within this long, and then something at
  // least this often, or it is closed (DEADLINE_EXCEEDED).
  absl::Duration stream_config_timeout = absl::Seconds(5);
  absl::Duration stream_idle_timeout = absl::Seconds(60);
  // Open streams per client connection, at most (one client cannot take
  // every one of max_streams).
  int max_streams_per_connection = 16;
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

// affect-server: flags in, AffectServer out, SIGTERM/SIGINT for a graceful
// shutdown. Everything else lives in server/api/affect_server.h.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "server/api/affect_server.h"
#include "server/common/abseil_setup.h"
#include "server/common/accept_guard.h"
#include "server/common/build_info.h"
#include "server/common/logging.h"
#include "server/common/process_tuning.h"

ABSL_FLAG(std::string, host, "0.0.0.0", "Address to listen on for gRPC.");
ABSL_FLAG(int, port, 50051, "gRPC port (0 picks a free port).");
ABSL_FLAG(int, metrics_port, 9464,
          "Port of the Prometheus /metrics endpoint on --metrics_host (0 picks a free port, -1 "
          "disables it).");
ABSL_FLAG(std::string, metrics_host, "127.0.0.1",
          "Numeric address of the /metrics endpoint. Loopback by default: 0.0.0.0 (or ::) lets "
          "other hosts scrape it, over plain HTTP (see SECURITY.md).");
ABSL_FLAG(std::string, metrics_token_file, "",
          "File holding a bearer token that scrapers must send as 'Authorization: Bearer "
          "<token>' (Prometheus: authorization.credentials_file). Empty = no token.");
ABSL_FLAG(std::string, model_repository, "models/repository",
          "Folder with one sub-folder per model (config.pbtxt + <version>/model.pt).");
ABSL_FLAG(std::string, device, "auto",
          "Where models run: auto (CUDA when LibTorch has it and a GPU is present, else CPU), "
          "cpu, cuda or cuda:N.");
ABSL_FLAG(bool, half, false, "Run models that allow it in float16 (CUDA only).");
ABSL_FLAG(int, intra_op_threads, 0,
          "LibTorch intra-op threads for one model execution. 0 = chosen for this machine "
          "(the usable cores; see the README's 'Tuning').");
ABSL_FLAG(int, worker_threads, 0,
          "Threads for pre/post-processing. 0 = chosen for this machine (the usable cores).");
ABSL_FLAG(int, decode_threads, 0,
          "Threads that decode admitted images and audio. 0 = chosen for this machine (the "
          "usable cores).");
ABSL_FLAG(int, max_queued_requests, 32,
          "Requests and stream frames that may wait for decoding; beyond it calls are refused "
          "at once with RESOURCE_EXHAUSTED and a retry pushback.");
ABSL_FLAG(int64_t, max_queued_bytes, int64_t{256} << 20,
          "Bytes of media that may wait for decoding (a memory ceiling); beyond it calls are "
          "refused at once.");
ABSL_FLAG(int, max_running_requests, 0,
          "Requests and stream frames from the start of decoding to the end of their models "
          "at once, weighted (1 each, plus 1 for attire and 1 for scene); the rest wait in "
          "the admission queue. 0 = chosen for this machine (4 x usable cores).");
ABSL_FLAG(int, max_running_frames, 0,
          "Stream frames analysed at once over all streams, shared fairly. 0 = chosen for "
          "this machine (the usable cores).");
ABSL_FLAG(absl::Duration, stream_max_frame_age, absl::Seconds(1),
          "Live streams: the oldest a frame may be when answered; a frame that cannot start "
          "early enough for that (by the stream's average analysis time, never less than "
          "half of this) is dropped (StreamConfig.max_frame_age_ms overrides it per "
          "stream).");
ABSL_FLAG(absl::Duration, stream_config_timeout, absl::Seconds(5),
          "A stream that sends no StreamConfig within this long is closed.");
ABSL_FLAG(absl::Duration, stream_idle_timeout, absl::Seconds(60),
          "A stream that sends nothing for this long is closed.");
ABSL_FLAG(int, max_streams_per_connection, 16,
          "Most AnalyzeStream sessions open at once on one client connection.");
ABSL_FLAG(int, grpc_max_threads, 0, "Upper bound on gRPC's threads (0 = gRPC default).");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(10),
          "On SIGTERM: how long in-flight calls and streams may take to finish.");
ABSL_FLAG(int64_t, max_message_bytes, 16 << 20, "Largest request or response message, bytes.");
ABSL_FLAG(int64_t, max_image_pixels, 40'000'000,
          "Largest image (width x height), checked from the header before decoding.");
ABSL_FLAG(double, max_audio_seconds, 120.0, "Longest audio clip accepted in one request.");
ABSL_FLAG(int, max_streams, 64, "Most AnalyzeStream sessions open at once.");
ABSL_FLAG(std::string, disabled_analyses, "",
          "Comma-separated analyses this server refuses: emotion, attire, scene, voice, body, "
          "attention.");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain: enables TLS (with --tls_key).");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for --tls_cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: require and verify client certificates (mutual TLS).");
ABSL_FLAG(std::string, auth_token_file, "",
          "File of callers, one per line: 'TOKEN [name=NAME] [analyses=emotion,attire,scene,"
          "voice,body,attention|all] [max_requests_per_second=R] [max_streams=N]' (a bare token allows "
          "everything). Callers send 'authorization: Bearer <token>'; health and reflection "
          "stay open for probes. See docs/RESPONSIBLE_USE.md.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");
ABSL_FLAG(std::string, log_format, "text", "text or json (one JSON object per line).");

namespace affect {
namespace {

// Prints a flag error the way absl does for parse errors, and exits 2.
[[noreturn]] void FlagError(const std::string& message) {
  std::fprintf(stderr, "affect-server: %s\nRun 'affect-server --help' for the flags.\n",
               message.c_str());
  std::exit(2);
}

absl::StatusOr<std::set<v1::Analysis>> ParseAnalyses(absl::string_view text) {
  std::set<v1::Analysis> analyses;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(item));
    v1::Analysis analysis;
    if (!v1::Analysis_Parse("ANALYSIS_" + absl::AsciiStrToUpper(name), &analysis) ||
        analysis == v1::ANALYSIS_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--disabled_analyses: unknown analysis '", name,
          "' (use emotion, attire, scene, voice, body, attention)"));
    }
    analyses.insert(analysis);
  }
  return analyses;
}

ServerOptions OptionsFromFlags() {
  ServerOptions options;
  const int port = absl::GetFlag(FLAGS_port);
  if (port < 0 || port > 65535) FlagError(absl::StrCat("--port=", port, " must be in 0..65535"));
  const std::string host = absl::GetFlag(FLAGS_host);
  options.listen_address =
      absl::StrCat(host.find(':') != std::string::npos ? "[" + host + "]" : host, ":", port);
  options.metrics_address = absl::GetFlag(FLAGS_metrics_host);
  options.metrics_token_file = absl::GetFlag(FLAGS_metrics_token_file);
  options.metrics_port = absl::GetFlag(FLAGS_metrics_port);
  options.model_repository = absl::GetFlag(FLAGS_model_repository);
  auto device = ParseDeviceSpec(absl::GetFlag(FLAGS_device));
  if (!device.ok()) FlagError(absl::StrCat("--device: ", device.status().message()));
  options.device = *device;
  options.half_precision = absl::GetFlag(FLAGS_half);
  options.intra_op_threads = absl::GetFlag(FLAGS_intra_op_threads);
  options.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  options.decode_threads = absl::GetFlag(FLAGS_decode_threads);
  options.max_queued_requests = absl::GetFlag(FLAGS_max_queued_requests);
  options.max_queued_bytes = absl::GetFlag(FLAGS_max_queued_bytes);
  options.max_running_frames = absl::GetFlag(FLAGS_max_running_frames);
  options.max_running_requests = absl::GetFlag(FLAGS_max_running_requests);
  options.stream_max_frame_age = absl::GetFlag(FLAGS_stream_max_frame_age);
  options.stream_config_timeout = absl::GetFlag(FLAGS_stream_config_timeout);
  options.stream_idle_timeout = absl::GetFlag(FLAGS_stream_idle_timeout);
  options.max_streams_per_connection = absl::GetFlag(FLAGS_max_streams_per_connection);
  options.grpc_max_threads = absl::GetFlag(FLAGS_grpc_max_threads);
  options.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.max_image_pixels = absl::GetFlag(FLAGS_max_image_pixels);
  options.max_audio_seconds = absl::GetFlag(FLAGS_max_audio_seconds);
  options.max_streams = absl::GetFlag(FLAGS_max_streams);
  auto disabled = ParseAnalyses(absl::GetFlag(FLAGS_disabled_analyses));
  if (!disabled.ok()) FlagError(std::string(disabled.status().message()));
  options.disabled_analyses = *disabled;
  options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls.key_file = absl::GetFlag(FLAGS_tls_key);
  options.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  options.auth_token_file = absl::GetFlag(FLAGS_auth_token_file);
  return options;
}

// --help lists the flags of this file (absl's default looks for a file named
// after the binary); --version prints the build.
void ConfigureUsage() {
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [](absl::string_view path) {
    return absl::EndsWith(path, "server/main.cc");
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  config.version_string = [] {
    return absl::StrCat("affect-server ", kServerVersion, " (", kGitRevision, ", ", kBuildType,
                        ")\n");
  };
  absl::SetFlagsUsageConfig(config);
}

int Main(int argc, char** argv) {
  EnsurePassiveOpenMpWaitPolicy(argv);
  InstallAcceptGuard();
  TuneMallocForInference();
  DisableMutexDeadlockDetection();
  ConfigureUsage();
  absl::SetProgramUsageMessage(
      "AffectServe gRPC server: emotion, attire and scene from images, voice from audio.\n"
      "Usage: affect-server [--port=50051] [--model_repository=models/repository] "
      "[--device=auto] ...");
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) {
    FlagError(absl::StrCat("unexpected argument '", positional[1], "' (flags start with --)"));
  }
  auto level = ParseLogLevel(absl::GetFlag(FLAGS_log_level));
  if (!level.ok()) FlagError(absl::StrCat("--log_level: ", level.status().message()));
  auto format = ParseLogFormat(absl::GetFlag(FLAGS_log_format));
  if (!format.ok()) FlagError(absl::StrCat("--log_format: ", format.status().message()));
  SetLogLevel(*level);
  SetLogFormat(*format);
  const ServerOptions options = OptionsFromFlags();

  // Block the shutdown signals in every thread (threads inherit the mask),
  // then take them synchronously with sigwait: no async-signal-safety traps.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  AFFECT_LOG(INFO).With("version", kServerVersion).With("revision", kGitRevision)
      << "affect-server starting";
  auto server = AffectServer::Start(options);
  if (!server.ok()) {
    AFFECT_LOG(ERROR) << "cannot start: " << server.status().message();
    std::fprintf(stderr, "affect-server: %s\n", std::string(server.status().message()).c_str());
    return server.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  int received = 0;
  sigwait(&signals, &received);
  AFFECT_LOG(INFO).With("signal", received == SIGTERM ? "SIGTERM" : "SIGINT")
      << "shutdown requested";
  (*server)->Shutdown();
  return 0;
}

}  // namespace
}  // namespace affect

int main(int argc, char** argv) { return affect::Main(argc, argv); }

#include "client/bench/bench_cli.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/bench/bench_report.h"
#include "client/bench/load_generator.h"
#include "client/cli/analysis_flags.h"
#include "client/cli/connection.h"
#include "client/cli/media_file.h"
#include "client/cli/rpc_error.h"

namespace affect::bench {
namespace {

using client::FlagSpec;
using client::FlagType;

constexpr char kProgram[] = "affect-bench";

std::string Help() {
  return absl::StrCat(
      kProgram,
      ": a load generator for AffectServe (in the spirit of ghz).\n\n"
      "Usage: affect-bench --images=DIR|--image=FILE [--mode=unary|stream] [--concurrency=N]\n"
      "                    [--requests=N | --duration=D] [--rate=R | --fps=F] [--json]\n\n"
      "Keeps --concurrency calls (unary) or streams in flight with the gRPC callback API and\n"
      "reports throughput, latency percentiles (exact, from every sample: nearest rank) and\n"
      "errors by status code. Warm-up requests run first and are not counted.\n\n"
      "What latency is measured from:\n"
      "  unary, --rate=0 (closed loop)  the call's start; each worker sends again on answer.\n"
      "  unary, --rate=R (open loop)    the request's scheduled time start + i/R, so time\n"
      "                                 spent waiting for a free slot counts (no coordinated\n"
      "                                 omission).\n"
      "  stream, --fps=F                the frame's scheduled time (each stream sends F\n"
      "                                 frames/s, streams staggered) to its result; frames the\n"
      "                                 server drops are counted, not timed.\n"
      "  stream, --fps=0                the frame's send; next frame on each result.\n\n"
      "Flags:\n",
      client::FormatFlagHelp(BenchFlagSpecs()),
      "\nExit codes: 0 completed with at least one success (failures are in the report); 1 "
      "no\nrequest succeeded; 2 usage error.\n");
}

int Usage(const client::CommandEnv& env, const std::string& message) {
  *env.err << kProgram << ": " << message << "\nRun '" << kProgram << " --help' for usage.\n";
  return client::kExitUsageError;
}

}  // namespace

std::vector<FlagSpec> BenchFlagSpecs() {
  std::vector<FlagSpec> own = {
      {"mode", FlagType::kString, "unary",
       "unary (Analyze calls) or stream (AnalyzeStream sessions sending frames).", "MODE"},
      {"concurrency", FlagType::kInt, "1", "Calls (unary) or streams in flight at once.", "N"},
      {"requests", FlagType::kInt, "0",
       "Requests (unary) or frames (stream, all streams together) to send; 0: use --duration.",
       "N"},
      {"duration", FlagType::kDuration, "10s", "How long to send when --requests is 0.",
       "DURATION"},
      {"rate", FlagType::kDouble, "0",
       "Unary: requests per second across all workers (open loop); 0: closed loop.", "R"},
      {"fps", FlagType::kDouble, "5", "Stream: frames per second of each stream; 0: closed loop.",
       "F"},
      {"images", FlagType::kString, "",
       "Folder of images (JPEG, PNG, BMP, WebP) sent in turn, loaded in memory first.", "DIR"},
      {"image", FlagType::kString, "", "A single image to send.", "FILE"},
      {"warmup", FlagType::kInt, "",
       "Requests (frames) sent first, closed loop, and not counted (default: --concurrency).", "N"},
      {"drop_policy", FlagType::kString, "drop_oldest",
       "Stream: the server's drop policy (drop_oldest, drop_newest, backpressure).", "POLICY"},
      {"max_frames_in_flight", FlagType::kInt, "0",
       "Stream: frames each stream lets the server hold (0: the server's default, 4).", "N"},
      {"scene_interval", FlagType::kDuration, "0s",
       "Stream: compute the scene once per this much stream time (0: every frame).",
       "DURATION"},
      {"attire_interval", FlagType::kDuration, "0s",
       "Stream: compute attire once per this much stream time (0: every frame).", "DURATION"},
      {"drain_timeout", FlagType::kDuration, "120s",
       "After the last send, how long answers may take before the rest are cancelled.", "DURATION"},
      {"json", FlagType::kBool, "false", "Print one JSON object instead of the readable report."},
      {"retry_backoff", FlagType::kBool, "true",
       "Unary closed loop: after a refusal (RESOURCE_EXHAUSTED, UNAVAILABLE) wait before the "
       "next call: the server's grpc-retry-pushback-ms, else exponential back-off with jitter. "
       "false: call again at once."},
  };
  std::vector<FlagSpec> connection = client::ConnectionFlagSpecs();
  for (FlagSpec& spec : connection) {
    if (spec.name == "deadline") {
      spec.help = "Deadline of each unary call (and of each stream, when given).";
      spec.default_value = "60s";
    }
  }
  return client::JoinFlagSpecs({own, client::AnalysisFlagSpecs(), connection});
}

absl::StatusOr<std::vector<std::string>> LoadBenchImages(const std::string& dir,
                                                         const std::string& file,
                                                         std::string* source_label) {
  std::vector<std::string> paths;
  if (!file.empty()) {
    paths.push_back(file);
    *source_label = file;
  } else {
    std::error_code error;
    if (!std::filesystem::is_directory(dir, error)) {
      return absl::NotFoundError(absl::StrCat("--images: '", dir, "' is not a folder"));
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
      if (entry.is_regular_file()) paths.push_back(entry.path().string());
    }
    std::sort(paths.begin(), paths.end());
    *source_label = dir;
  }
  std::vector<std::string> images;
  for (const std::string& path : paths) {
    auto bytes = client::ReadFileToString(path, file.empty() ? "--images" : "--image");
    if (!bytes.ok()) return bytes.status();
    if (client::IsImageKind(client::DetectMediaKind(*bytes))) {
      images.push_back(std::move(*bytes));
    } else if (!file.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--image: '", file, "' is not a JPEG, PNG, BMP or WebP image"));
    }
  }
  if (images.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--images: no JPEG, PNG, BMP or WebP files in '", dir, "'"));
  }
  return images;
}

int RunBench(const std::vector<std::string>& args, const client::CommandEnv& env) {
  auto flags =
      client::ParseFlags(BenchFlagSpecs(), std::vector<std::string>(args.begin() + 1, args.end()));
  if (!flags.ok()) return Usage(env, std::string(flags.status().message()));
  if (flags->help_requested()) {
    *env.out << Help();
    return client::kExitOk;
  }
  if (!flags->positional().empty()) {
    return Usage(env, absl::StrCat("unexpected argument '", flags->positional()[0], "'"));
  }
  LoadOptions options;
  BenchDescription description;
  const std::string mode = flags->GetString("mode");
  if (mode == "unary") {
    options.mode = LoadMode::kUnary;
  } else if (mode == "stream") {
    options.mode = LoadMode::kStream;
  } else {
    return Usage(env, absl::StrCat("--mode: unknown mode '", mode, "' (use unary or stream)"));
  }
  const int64_t concurrency = flags->GetInt("concurrency");
  if (concurrency < 1 || concurrency > 10000) {
    return Usage(env, "--concurrency must be in 1..10000");
  }
  options.concurrency = static_cast<int>(concurrency);
  options.requests = flags->GetInt("requests");
  if (options.requests < 0) return Usage(env, "--requests must be >= 0");
  if (flags->Has("requests") && flags->Has("duration") && options.requests > 0) {
    return Usage(env, "give --requests or --duration, not both");
  }
  options.duration = flags->GetDuration("duration");
  if (options.requests == 0 && options.duration <= absl::ZeroDuration()) {
    return Usage(env, "--duration must be positive");
  }
  options.rate = flags->GetDouble("rate");
  options.fps = flags->GetDouble("fps");
  if (options.rate < 0) return Usage(env, "--rate must be >= 0");
  if (options.fps < 0) return Usage(env, "--fps must be >= 0");
  if (options.mode == LoadMode::kStream && options.rate > 0) {
    return Usage(env, "--rate is for --mode=unary; streams are paced by --fps");
  }
  if (options.mode == LoadMode::kUnary && flags->Has("fps")) {
    return Usage(env, "--fps is for --mode=stream; unary load is paced by --rate");
  }
  if (options.mode == LoadMode::kUnary) options.fps = 0;
  auto policy = client::ParseDropPolicy(flags->GetString("drop_policy"));
  if (!policy.ok()) return Usage(env, std::string(policy.status().message()));
  options.drop_policy = *policy;
  options.drain_timeout = flags->GetDuration("drain_timeout");
  options.retry_backoff = flags->GetBool("retry_backoff");
  const int64_t in_flight = flags->GetInt("max_frames_in_flight");
  if (in_flight < 0 || in_flight > 1000) return Usage(env, "--max_frames_in_flight must be >= 0");
  options.max_frames_in_flight = static_cast<int>(in_flight);
  for (auto [flag, field] : {std::pair{"scene_interval", &options.scene_interval_ms},
                             std::pair{"attire_interval", &options.attire_interval_ms}}) {
    const int64_t ms = absl::ToInt64Milliseconds(flags->GetDuration(flag));
    // The server's range; checked here so a typo fails before any load.
    if (ms < 0 || ms > 600000) {
      return Usage(env, absl::StrCat("--", flag, " must be between 0 and 10m"));
    }
    *field = ms;
  }
  auto analyses = client::ParseAnalysisList(flags->GetString("analyses"));
  if (!analyses.ok()) return Usage(env, std::string(analyses.status().message()));
  options.analyses = *analyses;
  auto analysis_options = client::AnalysisOptionsFromFlags(*flags);
  if (!analysis_options.ok()) return Usage(env, std::string(analysis_options.status().message()));
  options.analysis_options = *analysis_options;

  const std::string images_dir = flags->GetString("images");
  const std::string image_file = flags->GetString("image");
  if (images_dir.empty() == image_file.empty()) {
    return Usage(env, "give --images=DIR or --image=FILE (one of them)");
  }
  auto images = LoadBenchImages(images_dir, image_file, &description.images_source);
  if (!images.ok()) return Usage(env, std::string(images.status().message()));
  options.images = std::move(*images);

  auto connection_options = client::ConnectionOptionsFromFlags(*flags);
  if (!connection_options.ok())
    return Usage(env, std::string(connection_options.status().message()));
  options.deadline = connection_options->deadline.value_or(flags->GetDuration("deadline"));
  auto connection = client::Connection::Create(*connection_options);
  if (!connection.ok()) return Usage(env, std::string(connection.status().message()));

  const int64_t warmup = flags->Has("warmup") ? flags->GetInt("warmup") : options.concurrency;
  if (warmup < 0) return Usage(env, "--warmup must be >= 0");

  description.server = connection_options->server;
  description.mode = options.mode;
  description.concurrency = options.concurrency;
  description.requests = options.requests;
  description.duration = options.requests > 0 ? absl::ZeroDuration() : options.duration;
  description.rate = options.rate;
  description.fps = options.fps;
  description.warmup = warmup;
  description.image_count = static_cast<int64_t>(options.images.size());
  int64_t bytes = 0;
  for (const std::string& image : options.images) bytes += static_cast<int64_t>(image.size());
  description.image_bytes_mean = bytes / description.image_count;
  std::vector<std::string> analysis_names;
  for (v1::Analysis analysis : options.analyses) {
    analysis_names.push_back(client::AnalysisName(analysis));
  }
  description.analyses = analysis_names.empty() ? "all" : absl::StrJoin(analysis_names, ",");

  if (warmup > 0) {
    LoadOptions warm = options;
    warm.requests = warmup;
    warm.rate = 0;
    warm.fps = 0;
    warm.concurrency = static_cast<int>(std::min<int64_t>(options.concurrency, warmup));
    auto warmed = RunLoad(*connection, warm);
    if (!warmed.ok()) return Usage(env, std::string(warmed.status().message()));
    if (warmed->ok == 0 && warmed->failed() > 0) {
      // Nothing works (server down, wrong token, ...): say why and stop
      // rather than hammering a broken server for the whole run.
      const auto& [code, count] = *warmed->errors.begin();
      *env.err << kProgram << ": every warm-up request failed: " << code << ": "
               << warmed->error_messages[code] << "\n";
      if (!flags->GetBool("json")) *env.out << FormatTextReport(description, *warmed);
      return client::kExitRpcError;
    }
  }
  auto result = RunLoad(*connection, options);
  if (!result.ok()) return Usage(env, std::string(result.status().message()));
  *env.out << (flags->GetBool("json") ? FormatJsonReport(description, *result)
                                      : FormatTextReport(description, *result));
  return result->ok > 0 ? client::kExitOk : client::kExitRpcError;
}

}  // namespace affect::bench

// affect-client stream VIDEO [--audio WAV]: one AnalyzeStream session.
//
// Threads: this one reads the media and writes (blocking Writes are how the
// BACKPRESSURE policy slows us down); a reader thread prints results as
// they arrive; an InterruptWatcher turns Ctrl-C into a gentle end (stop
// sending, half-close, let the server answer what it has and send its
// summary) and a second Ctrl-C into a cancel.
#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "client/cli/analysis_flags.h"
#include "client/cli/annotation_output.h"
#include "client/cli/command_util.h"
#include "client/cli/console.h"
#include "client/cli/interrupt_watcher.h"
#include "client/cli/rpc_error.h"
#include "client/cli/stream_media.h"
#include "client/cli/table_format.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace affect::client {
namespace {

// Audio goes in chunks of this much time.
constexpr int64_t kAudioChunkUs = 100'000;
// After a first Ctrl-C, how long the server gets to answer what it has.
constexpr absl::Duration kInterruptGrace = absl::Seconds(5);

// What the reader thread counts, for the progress bar and the final note.
struct StreamProgress {
  std::atomic<int64_t> sent{0};
  std::atomic<int64_t> answered{0};
  std::atomic<int64_t> failed{0};
  std::atomic<int64_t> dropped{0};
  std::atomic<bool> summary_seen{false};
};

struct StreamPlan {
  std::string video;  // empty: audio only
  std::string audio;
  std::string annotate;
  v1::StreamConfig config;
  bool realtime = false;
  int64_t max_frames = 0;
  int jpeg_quality = 90;
  double fps = 0;
};

// Flags to a plan; a usage error message on failure.
absl::StatusOr<StreamPlan> PlanFromFlags(const ParsedFlags& flags) {
  StreamPlan plan;
  if (!flags.positional().empty()) plan.video = flags.positional()[0];
  plan.audio = flags.GetString("audio");
  if (plan.video.empty() && plan.audio.empty()) {
    return absl::InvalidArgumentError("give a VIDEO (file or camera index) and/or --audio=WAV");
  }
  plan.fps = flags.GetDouble("fps");
  if (plan.fps < 0) return absl::InvalidArgumentError("--fps must be >= 0 (0: every frame)");
  plan.max_frames = flags.GetInt("max_frames");
  if (plan.max_frames < 0) return absl::InvalidArgumentError("--max_frames must be >= 0");
  const int64_t quality = flags.GetInt("jpeg_quality");
  if (quality < 1 || quality > 100) {
    return absl::InvalidArgumentError("--jpeg_quality must be in 1..100");
  }
  plan.jpeg_quality = static_cast<int>(quality);
  plan.annotate = flags.GetString("annotate");
  if (!plan.annotate.empty()) {
    if (plan.video.empty()) return absl::InvalidArgumentError("--annotate needs a VIDEO");
    if (!IsVideoOutputPath(plan.annotate)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--annotate: '", plan.annotate, "' must end in .mp4, .avi or .mkv for a stream"));
    }
  }
  int camera_index = 0;
  const bool camera = !plan.video.empty() && absl::SimpleAtoi(plan.video, &camera_index);
  // Files go as fast as the server takes them unless --realtime; cameras
  // are real time by nature.
  plan.realtime = flags.GetBool("realtime") && !camera;

  v1::StreamConfig& config = plan.config;
  config.set_stream_id(flags.GetString("stream_id"));
  auto analyses = ParseAnalysisList(flags.GetString("analyses"));
  if (!analyses.ok()) return analyses.status();
  for (v1::Analysis analysis : *analyses) config.add_analyses(analysis);
  auto options = AnalysisOptionsFromFlags(flags);
  if (!options.ok()) return options.status();
  *config.mutable_options() = *options;
  const std::string policy = flags.GetString("drop_policy");
  if (policy == "auto") {
    // Live sources keep results current; offline files lose nothing.
    config.set_drop_policy(camera || plan.realtime ? v1::DROP_POLICY_DROP_OLDEST
                                                   : v1::DROP_POLICY_BACKPRESSURE);
  } else {
    auto parsed = ParseDropPolicy(policy);
    if (!parsed.ok()) return parsed.status();
    config.set_drop_policy(*parsed);
  }
  if (flags.Has("max_frames_in_flight")) {
    const int64_t value = flags.GetInt("max_frames_in_flight");
    if (value < 0) return absl::InvalidArgumentError("--max_frames_in_flight must be >= 0");
    config.set_max_frames_in_flight(static_cast<uint32_t>(value));
  }
  if (flags.Has("smoothing_window")) {
    const int64_t value = flags.GetInt("smoothing_window");
    if (value < 0) return absl::InvalidArgumentError("--smoothing_window must be >= 0");
    config.set_smoothing_window_frames(static_cast<uint32_t>(value));
  }
  if (flags.Has("aggregate_interval")) {
    const absl::Duration interval = flags.GetDuration("aggregate_interval");
    if (interval < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--aggregate_interval must be positive");
    }
    config.set_aggregate_interval_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(interval)));
  }
  for (const auto& [flag, setter] :
       {std::pair<const char*, void (v1::StreamConfig::*)(uint32_t)>{
            "scene_interval", &v1::StreamConfig::set_scene_interval_ms},
        {"attire_interval", &v1::StreamConfig::set_attire_interval_ms}}) {
    if (!flags.Has(flag)) continue;
    const int64_t ms = absl::ToInt64Milliseconds(flags.GetDuration(flag));
    // The server's range (StreamConfig: 0..600000 ms).
    if (ms < 0 || ms > 600000) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be between 0 and 10m"));
    }
    (config.*setter)(static_cast<uint32_t>(ms));
  }
  return plan;
}

// Sleeps until `until`, in slices, returning early when `stop` is set.
void SleepUntil(absl::Time until, const std::atomic<bool>& stop) {
  while (!stop.load()) {
    const absl::Duration left = until - absl::Now();
    if (left <= absl::ZeroDuration()) return;
    absl::SleepFor(std::min(left, absl::Milliseconds(100)));
  }
}

int RunStream(const ParsedFlags& flags, const CommandEnv& env) {
  auto plan = PlanFromFlags(flags);
  if (!plan.ok()) return UsageError(env, "stream", std::string(plan.status().message()));

  Console console(env.out, env.err, /*progress=*/false);
  std::atomic<bool> stop_sending{false};
  // Declared before the watcher, whose callback uses it, so that it is
  // destroyed after it.
  grpc::ClientContext context;
  std::unique_ptr<InterruptWatcher> watcher;
  if (env.handle_interrupts) {
    watcher = std::make_unique<InterruptWatcher>([&](int count) {
      if (count == 1) {
        console.Note("affect-client: stopping: finishing the stream (Ctrl-C again to cancel)\n");
        stop_sending = true;
      } else {
        console.Note("affect-client: cancelling the stream\n");
        context.TryCancel();
      }
    });
  }

  std::unique_ptr<VideoSource> video;
  if (!plan->video.empty()) {
    auto opened = VideoSource::Open(plan->video, plan->fps);
    if (!opened.ok()) return UsageError(env, "stream", std::string(opened.status().message()));
    video = std::move(*opened);
  }
  std::optional<AudioChunker> audio;
  if (!plan->audio.empty()) {
    auto loaded = LoadWavForStreaming(plan->audio, kAudioChunkUs);
    if (!loaded.ok()) return UsageError(env, "stream", std::string(loaded.status().message()));
    audio = std::move(*loaded);
    *plan->config.mutable_audio_format() = audio->format();
  }

  if (env.err_is_tty && flags.GetBool("progress") && video != nullptr && !video->is_camera()) {
    console.EnableProgress();
  }

  int exit_code = kExitOk;
  auto setup = PrepareCall(flags, env, "stream", &exit_code);
  if (!setup) return exit_code;
  auto stub = v1::AffectService::NewStub(setup->connection.channel());
  setup->connection.PrepareContext(&context, absl::InfiniteDuration());
  const int64_t total_frames =
      video == nullptr ? -1
      : plan->max_frames > 0 &&
              (video->estimated_frames() < 0 || video->estimated_frames() > plan->max_frames)
          ? plan->max_frames
          : video->estimated_frames();

  std::unique_ptr<AnnotatedVideoWriter> annotated;
  StreamProgress progress;
  auto stream = stub->AnalyzeStream(&context);
  const bool json = setup->output == OutputFormat::kJson;

  absl::Notification reader_done;
  std::thread reader([&] {
    v1::StreamResponse response;
    while (stream->Read(&response)) {
      if (response.has_frame()) {
        ++progress.answered;
        if (response.frame().has_error()) ++progress.failed;
        if (annotated != nullptr) annotated->OnFrameResult(response.frame());
      }
      if (response.has_summary()) progress.summary_seen = true;
      progress.dropped = static_cast<int64_t>(response.stats().frames_dropped());
      if (json) {
        console.Print(ToJsonLine(response));
      } else if (response.has_frame()) {
        console.Print(FormatFrameResult(response.frame()));
      } else if (response.has_aggregate()) {
        console.Print(FormatStreamAggregate(response.aggregate()));
      } else if (response.has_summary()) {
        console.Print(FormatStreamSummary(response.summary()));
      }
    }
    reader_done.Notify();
  });

  auto update_progress = [&] {
    console.Progress(
        progress.sent, total_frames,
        absl::StrCat("answered ", progress.answered.load(), ", dropped ", progress.dropped.load()));
  };
  bool stream_alive = true;
  auto send = [&](const v1::StreamRequest& request) {
    if (stream_alive && !stream->Write(request)) stream_alive = false;
    return stream_alive;
  };
  v1::StreamRequest first;
  *first.mutable_config() = plan->config;
  send(first);

  const absl::Time started = absl::Now();
  std::vector<int> jpeg_params = {cv::IMWRITE_JPEG_QUALITY, plan->jpeg_quality};
  uint64_t sequence = 0;
  while (stream_alive && video != nullptr && !stop_sending.load()) {
    if (plan->max_frames > 0 && progress.sent >= plan->max_frames) break;
    std::optional<SourceFrame> frame = video->Next();
    if (!frame.has_value()) break;
    if (plan->realtime) SleepUntil(started + absl::Microseconds(frame->timestamp_us), stop_sending);
    if (stop_sending.load()) break;
    if (audio.has_value()) {
      for (v1::AudioChunk& chunk : audio->TakeUntil(frame->timestamp_us)) {
        v1::StreamRequest request;
        *request.mutable_audio() = std::move(chunk);
        send(request);
      }
    }
    std::vector<unsigned char> jpeg;
    if (!cv::imencode(".jpg", frame->bgr, jpeg, jpeg_params)) {
      console.Note(absl::StrCat("affect-client: stream: cannot encode frame ", sequence,
                                " as JPEG; skipped\n"));
      continue;
    }
    if (!plan->annotate.empty()) {
      if (annotated == nullptr) {
        auto opened =
            AnnotatedVideoWriter::Open(plan->annotate, video->output_fps(), frame->bgr.size());
        if (!opened.ok()) {
          console.Note(absl::StrCat("affect-client: stream: ", opened.status().message(), "\n"));
          plan->annotate.clear();
          exit_code = kExitRpcError;
        } else {
          annotated = std::move(*opened);
        }
      }
      if (annotated != nullptr) {
        cv::Mat rgb;
        cv::cvtColor(frame->bgr, rgb, cv::COLOR_BGR2RGB);
        // Added before the write, so its result cannot arrive first.
        annotated->AddFrame(sequence, std::move(rgb));
      }
    }
    v1::StreamRequest request;
    v1::VideoFrame* out = request.mutable_frame();
    out->set_sequence(sequence++);
    out->set_timestamp_us(frame->timestamp_us);
    out->mutable_image()->set_encoded(std::string(jpeg.begin(), jpeg.end()));
    if (send(request)) ++progress.sent;
    update_progress();
  }
  if (audio.has_value() && !stop_sending.load()) {
    for (v1::AudioChunk& chunk : audio->TakeRest()) {
      if (plan->realtime)
        SleepUntil(started + absl::Microseconds(chunk.timestamp_us()), stop_sending);
      if (stop_sending.load()) break;
      v1::StreamRequest request;
      *request.mutable_audio() = std::move(chunk);
      if (!send(request)) break;
    }
  }
  // Half-close: the server answers the frames it holds, sends its summary
  // and ends the call with OK.
  if (stream_alive) stream->WritesDone();
  if (watcher != nullptr && watcher->interrupted() &&
      !reader_done.WaitForNotificationWithTimeout(kInterruptGrace)) {
    context.TryCancel();
  }
  reader.join();
  const grpc::Status status = stream->Finish();
  console.EndProgress();
  if (annotated != nullptr) {
    const int64_t written = annotated->Finish();
    console.Note(absl::StrCat("affect-client: annotated video written to ", plan->annotate, " (",
                              written, " frames)\n"));
  }
  const std::string counts =
      absl::StrFormat("%d frames sent, %d answered (%d with errors), %d dropped by the server",
                      progress.sent.load(), progress.answered.load(), progress.failed.load(),
                      progress.dropped.load());
  if (watcher != nullptr && watcher->interrupted()) {
    console.Note(absl::StrCat("affect-client: stream interrupted: ", counts,
                              status.ok() ? "; ended cleanly\n" : "; cancelled\n"));
    return kExitInterrupted;
  }
  if (!status.ok()) {
    console.Note(absl::StrCat(
        "affect-client: stream: ", DescribeRpcError(status, setup->connection.server()), " (",
        counts, ")\n"));
    return kExitRpcError;
  }
  if (!json && !progress.summary_seen.load()) console.Print(absl::StrCat("done: ", counts, "\n"));
  return exit_code;
}

}  // namespace

Command StreamCommand() {
  return Command{
      "stream",
      "Stream a video file or a camera (and/or a WAV); Ctrl-C stops",
      "stream VIDEO|CAMERA [--audio=WAV] [--fps=N] [--annotate=OUT.mp4] [flags]",
      "Opens VIDEO with OpenCV (a file, or a camera index such as 0), sends its frames as\n"
      "JPEG in one AnalyzeStream call (a StreamConfig first), interleaves --audio chunks by\n"
      "timestamp, and prints each frame result, the periodic aggregates and the final summary\n"
      "as they arrive. Files are sent as fast as the server takes them (drop policy\n"
      "backpressure: nothing is lost) unless --realtime; cameras use drop_oldest. At the end\n"
      "the client half-closes and the server answers what it holds. Ctrl-C stops sending and\n"
      "ends the stream the same way; a second Ctrl-C cancels it.",
      CommandFlags(JoinFlagSpecs({
          {
              {"audio", FlagType::kString, "",
               "WAV file streamed alongside (PCM 16-bit or float), for voice and fused affect.",
               "WAV"},
              {"fps", FlagType::kDouble, "0",
               "Send at most this many frames per second of video (0: every frame).", "N"},
              {"realtime", FlagType::kBool, "false",
               "Pace a file at its own speed, as if live (default: as fast as the server "
               "takes it)."},
              {"max_frames", FlagType::kInt, "0", "Stop after this many frames (0: no limit).",
               "N"},
              {"drop_policy", FlagType::kString, "auto",
               "When frames come faster than the server analyses them: drop_oldest, "
               "drop_newest or backpressure. auto: backpressure for files, drop_oldest for "
               "cameras and --realtime.",
               "POLICY"},
              {"max_frames_in_flight", FlagType::kInt, "",
               "Frames the server holds before the drop policy acts (server: 1..64, default 4).",
               "N"},
              {"smoothing_window", FlagType::kInt, "",
               "Frames over which each face track's expression is smoothed (server default 15).",
               "N"},
              {"aggregate_interval", FlagType::kDuration, "",
               "Stream time between aggregates (server default 2s).", "DURATION"},
              {"scene_interval", FlagType::kDuration, "",
               "Compute the scene once per this much stream time and carry it to the frames "
               "in between (server default: every frame).",
               "DURATION"},
              {"attire_interval", FlagType::kDuration, "",
               "Likewise for attire, per face track.", "DURATION"},
              {"jpeg_quality", FlagType::kInt, "90", "JPEG quality of the frames sent, 1..100.",
               "Q"},
              {"stream_id", FlagType::kString, "",
               "Stream id to send (default: the server generates one).", "ID"},
              {"annotate", FlagType::kString, "",
               "Write the video with each frame's results drawn on it (.mp4, .avi, .mkv).",
               "OUT.mp4"},
              {"progress", FlagType::kBool, "true",
               "Show a progress bar on stderr for files (only when stderr is a terminal)."},
          },
          AnalysisFlagSpecs(),
      })),
      0,
      1,
      RunStream,
  };
}

}  // namespace affect::client

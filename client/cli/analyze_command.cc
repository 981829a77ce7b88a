// affect-client analyze FILE...: one Analyze call per file (image or WAV).
#include "absl/strings/str_cat.h"
#include "affect/v1/affect_service.grpc.pb.h"
#include "client/cli/analysis_flags.h"
#include "client/cli/annotation_output.h"
#include "client/cli/command_util.h"
#include "client/cli/media_file.h"
#include "client/cli/rpc_error.h"
#include "client/cli/table_format.h"

namespace affect::client {
namespace {

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int RunAnalyze(const ParsedFlags& flags, const CommandEnv& env) {
  const std::vector<std::string>& files = flags.positional();
  const std::string annotate = flags.GetString("annotate");
  const bool blur_faces = flags.GetBool("blur_faces");
  if (blur_faces && annotate.empty()) {
    return UsageError(env, "analyze", "--blur_faces applies to --annotate=OUT.png; add it");
  }
  if (!annotate.empty()) {
    if (files.size() != 1) {
      return UsageError(env, "analyze", "--annotate takes one input file");
    }
    if (!IsImageOutputPath(annotate)) {
      return UsageError(env, "analyze",
                        absl::StrCat("--annotate: '", annotate,
                                     "' must end in .png, .jpg, .jpeg, .bmp or .webp (videos: "
                                     "use 'affect-client stream')"));
    }
  }
  auto analyses = ParseAnalysisList(flags.GetString("analyses"));
  if (!analyses.ok()) return UsageError(env, "analyze", std::string(analyses.status().message()));
  auto options = AnalysisOptionsFromFlags(flags);
  if (!options.ok()) return UsageError(env, "analyze", std::string(options.status().message()));

  // Read every input before sending anything: a typo in the third file
  // should not cost two calls.
  std::vector<MediaInput> inputs;
  for (const std::string& file : files) {
    auto input = LoadMediaFile(file);
    if (!input.ok()) return UsageError(env, "analyze", std::string(input.status().message()));
    if (!input->note.empty()) *env.err << "affect-client: " << input->note << "\n";
    inputs.push_back(std::move(*input));
  }
  v1::Audio extra_audio;
  if (const std::string audio_file = flags.GetString("audio"); !audio_file.empty()) {
    auto audio = LoadMediaFile(audio_file);
    if (!audio.ok()) return UsageError(env, "analyze", std::string(audio.status().message()));
    if (!audio->has_audio) {
      return UsageError(env, "analyze",
                        absl::StrCat("--audio: '", audio_file, "' is a ",
                                     MediaKindName(audio->kind), " image, not a WAV file"));
    }
    extra_audio = std::move(audio->audio);
  }
  if (!annotate.empty() && !inputs[0].has_image) {
    return UsageError(env, "analyze", "--annotate needs an image input");
  }

  int exit_code = kExitOk;
  auto setup = PrepareCall(flags, env, "analyze", &exit_code);
  if (!setup) return exit_code;
  auto stub = v1::AffectService::NewStub(setup->connection.channel());
  int result = kExitOk;
  for (size_t i = 0; i < inputs.size(); ++i) {
    v1::AnalyzeRequest request;
    if (flags.Has("request_id")) {
      request.set_request_id(files.size() == 1
                                 ? flags.GetString("request_id")
                                 : absl::StrCat(flags.GetString("request_id"), "-", i));
    }
    if (inputs[i].has_image) *request.mutable_image() = inputs[i].image;
    if (inputs[i].has_audio) *request.mutable_audio() = inputs[i].audio;
    if (extra_audio.has_wav() && !inputs[i].has_audio) *request.mutable_audio() = extra_audio;
    for (v1::Analysis analysis : *analyses) request.add_analyses(analysis);
    *request.mutable_options() = *options;

    grpc::ClientContext context;
    setup->connection.PrepareContext(&context, kDefaultUnaryDeadline);
    v1::AnalyzeResponse response;
    const grpc::Status status = stub->Analyze(&context, request, &response);
    if (!status.ok()) {
      // Keep going through the other files; the exit code reports the failure.
      result = ReportRpcError(env, absl::StrCat("analyze ", files[i]), status, setup->connection);
      continue;
    }
    if (setup->output == OutputFormat::kJson) {
      *env.out << ToJsonLine(response);
    } else {
      if (i > 0) *env.out << "\n";
      *env.out << FormatAnalyzeResponse(response, BaseName(files[i]));
    }
    env.out->flush();
    if (!annotate.empty()) {
      auto rgb = DecodeToRgb(inputs[i].image.encoded());
      absl::Status written =
          rgb.ok() ? WriteAnnotatedImage(response.image(), *rgb, annotate, blur_faces)
                   : rgb.status();
      if (!written.ok()) {
        *env.err << "affect-client: analyze: " << written.message() << "\n";
        result = kExitRpcError;
      } else {
        *env.err << "affect-client: annotated image written to " << annotate << "\n";
      }
    }
  }
  return result;
}

}  // namespace

Command AnalyzeCommand() {
  return Command{
      "analyze",
      "Analyse images or WAV clips: faces and emotions, attire, scene, voice",
      "analyze FILE... [--analyses=LIST] [--annotate=OUT.png [--blur_faces]] [flags]",
      "Sends each FILE in one Analyze call and prints the answer. The kind of file is read\n"
      "from its first bytes (JPEG, PNG, BMP and WebP go as they are; other images OpenCV\n"
      "reads, such as TIFF, are converted to PNG; RIFF/WAVE files are audio for the voice\n"
      "analysis). --audio adds a WAV clip to an image request, for face and voice at once.",
      CommandFlags(JoinFlagSpecs({
          AnalysisFlagSpecs(),
          {
              {"audio", FlagType::kString, "",
               "A WAV clip to send with each image (voice analysis in the same request).", "WAV"},
              {"annotate", FlagType::kString, "",
               "Write the image with its results drawn on it (.png, .jpg, .bmp, .webp).",
               "OUT.png"},
              {"blur_faces", FlagType::kBool, "false",
               "With --annotate: blur every detected face first, for images that will be "
               "shared (faces the detector missed stay visible: check before sharing)."},
              {"request_id", FlagType::kString, "",
               "Request id to send (echoed in the answer and in server logs; default: the "
               "server generates one).",
               "ID"},
          },
      })),
      1,
      1 << 20,
      RunAnalyze,
  };
}

}  // namespace affect::client

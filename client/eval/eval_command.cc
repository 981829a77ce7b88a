// affect-client eval --dataset DIR: accuracy of the expression ensemble and
// of each member alone, per face-crop policy, on a labelled dataset.
//
// Unlike the other subcommands it calls no server: it loads the models with
// the server's own libraries (hence its own library, affect::eval, the only
// part of the client that links LibTorch), because choosing the crop policy
// and running one ensemble member alone are controls the gRPC API does not
// offer.
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/cli/command.h"
#include "client/cli/output.h"
#include "client/cli/rpc_error.h"
#include "client/eval/crop_setting.h"
#include "client/eval/dataset_selection.h"
#include "client/eval/eval_report.h"
#include "client/eval/expression_dataset.h"
#include "client/eval/expression_evaluation.h"
#include "client/eval/expression_evaluator.h"
#include "client/eval/group_chart.h"
#include "client/eval/group_report.h"
#include "server/common/abseil_setup.h"
#include "server/common/logging.h"

namespace affect::client {
namespace {

constexpr char kName[] = "eval";

// Model loading logs a line per model at INFO; eval's own output says what
// matters, so the server's logger is quietened for the run and restored.
class ScopedLogLevel {
 public:
  explicit ScopedLogLevel(LogLevel level) : saved_(GetLogLevel()) { SetLogLevel(level); }
  ~ScopedLogLevel() { SetLogLevel(saved_); }
  ScopedLogLevel(const ScopedLogLevel&) = delete;
  ScopedLogLevel& operator=(const ScopedLogLevel&) = delete;

 private:
  LogLevel saved_;
};

int RunEval(const ParsedFlags& flags, const CommandEnv& env) {
  // The evaluator creates and destroys many absl::Mutex objects (model
  // repository, batchers): see abseil_setup.h for why the detector must go.
  DisableMutexDeadlockDetection();
  absl::StatusOr<OutputFormat> output = OutputFormatFromFlags(flags, env.out_is_tty);
  if (!output.ok()) return UsageError(env, kName, std::string(output.status().message()));
  if (flags.GetBool("json")) output = OutputFormat::kJson;
  const std::string dataset = flags.GetString("dataset");
  if (dataset.empty()) return UsageError(env, kName, "--dataset=DIR is required");
  if (const std::string chart = flags.GetString("chart");
      !chart.empty() && !absl::EndsWithIgnoreCase(chart, ".png")) {
    return UsageError(env, kName, absl::StrCat("--chart: '", chart, "' must end in .png"));
  }
  absl::StatusOr<std::vector<eval::CropSetting>> settings =
      eval::ParseCropSettings(flags.GetString("crop_policies"));
  if (!settings.ok()) {
    return UsageError(env, kName, absl::StrCat("--crop_policies: ", settings.status().message()));
  }
  absl::StatusOr<std::vector<eval::DatasetImage>> all_images = eval::ReadExpressionDataset(dataset);
  if (!all_images.ok()) return UsageError(env, kName, std::string(all_images.status().message()));
  absl::StatusOr<eval::DatasetSplit> split = eval::ParseDatasetSplit(flags.GetString("split"));
  if (!split.ok())
    return UsageError(env, kName, absl::StrCat("--split: ", split.status().message()));
  if (flags.GetInt("split_seed") < 0) {
    return UsageError(env, kName, "--split_seed must be 0 or more");
  }
  eval::DatasetSelection selection;
  selection.split = *split;
  selection.seed = static_cast<uint64_t>(flags.GetInt("split_seed"));
  selection.tune_fraction = flags.GetDouble("split_fraction");
  selection.limit_per_class = flags.GetInt("limit_per_class");
  absl::StatusOr<std::vector<eval::DatasetImage>> images =
      eval::SelectDatasetImages(*all_images, selection);
  if (!images.ok()) return UsageError(env, kName, std::string(images.status().message()));
  if (images->empty()) return UsageError(env, kName, "the split and limit leave no image");

  ScopedLogLevel quiet(LogLevel::kWarning);
  eval::EvaluatorOptions options;
  options.model_repository = flags.GetString("model_repository");
  options.model = flags.GetString("model");
  if (env.err_is_tty) *env.err << "Loading models from " << options.model_repository << "...\n";
  absl::StatusOr<std::unique_ptr<eval::ExpressionEvaluator>> evaluator =
      eval::ExpressionEvaluator::Create(options);
  if (!evaluator.ok()) {
    *env.err << "affect-client: " << kName << ": " << evaluator.status().message() << "\n";
    return kExitRpcError;
  }
  const auto progress = [&env](size_t done, size_t total) {
    if (!env.err_is_tty) return;
    *env.err << "\rEvaluated " << done << "/" << total << " images" << (done == total ? "\n" : "")
             << std::flush;
  };
  absl::StatusOr<eval::EvaluationReport> report =
      eval::EvaluateExpressionDataset(**evaluator, *images, *settings, progress);
  if (!report.ok()) {
    *env.err << "affect-client: " << kName << ": " << report.status().message() << "\n";
    return kExitRpcError;
  }
  // Per-group figures (bias measurement) for the model the service uses
  // (the ensemble, last) under the first crop setting.
  absl::StatusOr<eval::GroupReport> groups =
      eval::MakeGroupReport(*report, 0, report->models.size() - 1);
  if (!groups.ok()) {
    *env.err << "affect-client: " << kName << ": " << groups.status().message() << "\n";
    return kExitRpcError;
  }
  if (*output == OutputFormat::kJson) {
    // The report's object with one more member, "group_report".
    std::string json = eval::EvaluationReportJson(*report, dataset);
    while (!json.empty() && (json.back() == '\n' || json.back() == '}')) {
      const bool brace = json.back() == '}';
      json.pop_back();
      if (brace) break;
    }
    *env.out << json << ",\"group_report\":" << eval::GroupReportJson(*groups) << "}\n";
  } else {
    *env.out << eval::FormatEvaluationReport(*report, dataset) << "\n"
             << eval::FormatGroupReport(*groups);
  }
  if (const std::string chart = flags.GetString("chart"); !chart.empty()) {
    if (absl::Status written = eval::WriteGroupChart(*groups, chart); !written.ok()) {
      *env.err << "affect-client: " << kName << ": " << written.message() << "\n";
      return kExitRpcError;
    }
    *env.err << "affect-client: " << kName << ": chart written to " << chart << "\n";
  }
  env.out->flush();
  if (!*env.out) {
    *env.err << "affect-client: " << kName << ": the report could not be written\n";
    return kExitRpcError;
  }
  return kExitOk;
}

}  // namespace

Command EvalCommand() {
  return Command{
      kName,
      "Measure expression accuracy on a labelled dataset, per model and crop (no server)",
      "eval --dataset=DIR [--model_repository=DIR] [--crop_policies=LIST] [--split=tune|test] "
      "[--limit_per_class=N] [--chart=OUT.png] [flags]",
      "Measures how well the facial expression models read a labelled dataset: the\n"
      "ensemble and each of its members alone, under each face-crop policy, with per-class\n"
      "recall, overall accuracy, mean recall, the mean probability given to the true class\n"
      "and the confusion matrix of every (model, crop) combination.\n\n"
      "DIR has one sub-folder per class (angry, disgust, fear, happy, sad, surprise,\n"
      "neutral) of images, or one sub-folder per GROUP you define (DIR/<group>/<class>/...,\n"
      "e.g. lighting, camera, or demographic groups you labelled yourself) to measure bias:\n"
      "then the served model's per-class recall, confusion matrix, calibration error (ECE)\n"
      "and uncertain count are also given per group, with the largest gap between groups\n"
      "(--chart draws them). The subject of each image is its LARGEST detected face. Whole\n"
      "photos work best (the detector then sees the face as Analyze does); a cut-out needs\n"
      "about half a face of context on each side, and tight face crops (FER2013-style)\n"
      "leave no room for the crop policies being compared. Images without a face are\n"
      "skipped and listed. scripts/make-expression-dataset.sh writes the repository's own\n"
      "labelled demo faces into such a folder.\n\n"
      "eval runs IN-PROCESS: it loads the models from --model_repository with the server's\n"
      "own libraries (face detection, face crops, ensemble) and contacts no server, because\n"
      "choosing the crop policy or running one ensemble member alone are controls the gRPC\n"
      "API does not offer. Runs on the CPU.\n\n"
      "Crop policies: presets configured (each model's own face_crop from its config.pbtxt),\n"
      "tight, square, margin10, margin20, aligned, keypoints, keypoints_aligned; or a spec\n"
      "of '+'-joined terms: detector|keypoints (box source, first), square, align,\n"
      "margin=F (e.g. keypoints+align+margin=0.05). Grayscale or RGB is fixed by each model.\n\n"
      "Choosing defaults: choose on --split=tune, then report the choice once on\n"
      "--split=test with the same --split_seed (docs/accuracy.md). --json gives every\n"
      "image's seven scores per model and crop, to fit ensemble weights on the tuning part.",
      JoinFlagSpecs({{
                         {"dataset", FlagType::kString, "",
                          "Folder with one sub-folder of images per class (required).", "DIR"},
                         {"model_repository", FlagType::kString, "models/repository",
                          "Model repository to load the models from.", "DIR"},
                         {"model", FlagType::kString, "",
                          "Expression model or ensemble to evaluate (an ensemble's members are "
                          "evaluated alone too). Default: the one the server uses.",
                          "NAME"},
                         {"crop_policies", FlagType::kString, eval::DefaultCropSettings(),
                          "Comma-separated crop policies to try (see above).", "LIST"},
                         {"split", FlagType::kString, "all",
                          "Which part of the dataset to read: all, tune (choose settings on it) "
                          "or test (report them on it). The parts are disjoint and fixed by "
                          "--split_seed and each image's file name.",
                          "all|tune|test"},
                         {"split_seed", FlagType::kInt, "1",
                          "Seed of the tuning/test split (and of the order --limit_per_class "
                          "takes images in).",
                          "N"},
                         {"split_fraction", FlagType::kDouble, "0.5",
                          "Share of each class that is in the tuning part.", "F"},
                         {"limit_per_class", FlagType::kInt, "0",
                          "At most N images per class (per group and class with groups), "
                          "after the split, in seeded order; 0: every image. Measure a few "
                          "first: every image is read under every crop policy.",
                          "N"},
                         {"json", FlagType::kBool, "false", "Same as --output=json."},
                         {"chart", FlagType::kString, "",
                          "Also draw the per-group figures as a bar chart (.png).", "FILE.png"},
                     },
                     OutputFlagSpecs()}),
      0,
      0,
      RunEval,
  };
}

}  // namespace affect::client

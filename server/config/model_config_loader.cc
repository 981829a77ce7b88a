#include "server/config/model_config_loader.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "server/common/status_macros.h"

namespace affect {
namespace {

using v1::ModelConfig;
using v1::TensorSpec;

constexpr uint32_t kMaxInstanceCount = 64;
constexpr uint32_t kMaxBatchSizeLimit = 4096;
constexpr uint64_t kMaxQueueDelayUs = 10'000'000;

// Collects the first text-format error with its position.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (error_.empty()) error_ = absl::StrCat("line ", line + 1, " column ", column + 1, ": ", message);
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

absl::Status FieldError(absl::string_view source, absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", field, " ", problem));
}

// Channels of an image tensor according to its layout, or -1.
int64_t ChannelCount(const TensorSpec& spec) {
  if (spec.dims_size() != 3) return -1;
  if (spec.layout() == v1::TENSOR_LAYOUT_NHWC) return spec.dims(2);
  if (spec.layout() == v1::TENSOR_LAYOUT_NCHW) return spec.dims(0);
  return -1;
}

absl::Status ValidateTensor(const TensorSpec& spec, absl::string_view field, bool is_input,
                            absl::string_view source) {
  if (spec.name().empty()) return FieldError(source, field, "needs a name");
  if (spec.dims_size() == 0) return FieldError(source, absl::StrCat(field, ".dims"), "is empty");
  for (int i = 0; i < spec.dims_size(); ++i) {
    const int64_t d = spec.dims(i);
    if (d == 0 || d < -1 || (is_input && d < 0)) {
      return FieldError(source, absl::StrCat(field, ".dims[", i, "]"),
                        absl::StrCat("is ", d, is_input ? "; input dims must be > 0"
                                                        : "; output dims must be > 0 or -1"));
    }
  }
  const bool image = spec.layout() == v1::TENSOR_LAYOUT_NHWC ||
                     spec.layout() == v1::TENSOR_LAYOUT_NCHW;
  if (image && spec.dims_size() != 3) {
    return FieldError(source, absl::StrCat(field, ".dims"),
                      "must have 3 entries (without batch) for an image layout");
  }
  if (spec.has_normalization()) {
    const auto& norm = spec.normalization();
    const std::string nfield = absl::StrCat(field, ".normalization");
    if (!image) return FieldError(source, nfield, "needs layout NHWC or NCHW");
    if (norm.scale() == 0.0f) {
      return FieldError(source, absl::StrCat(nfield, ".scale"), "must be set and non-zero");
    }
    if (norm.color_format() == v1::COLOR_FORMAT_UNSPECIFIED) {
      return FieldError(source, absl::StrCat(nfield, ".color_format"), "must be set");
    }
    const int64_t channels = ChannelCount(spec);
    const int64_t expected = norm.color_format() == v1::COLOR_FORMAT_GRAY ? 1 : 3;
    if (channels != expected) {
      return FieldError(source, absl::StrCat(field, ".dims"),
                        absl::StrCat("have ", channels, " channels but color_format needs ",
                                     expected));
    }
    if (norm.mean_size() != 0 && norm.mean_size() != channels) {
      return FieldError(source, absl::StrCat(nfield, ".mean"),
                        absl::StrCat("has ", norm.mean_size(), " values for ", channels,
                                     " channels"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBatching(const ModelConfig& config, absl::string_view source) {
  if (config.max_batch_size() > kMaxBatchSizeLimit) {
    return FieldError(source, "max_batch_size",
                      absl::StrCat(config.max_batch_size(), " exceeds ", kMaxBatchSizeLimit));
  }
  const uint32_t max_batch = std::max<uint32_t>(1, config.max_batch_size());
  for (uint32_t preferred : config.dynamic_batching().preferred_batch_size()) {
    if (preferred == 0 || preferred > max_batch) {
      return FieldError(source, "dynamic_batching.preferred_batch_size",
                        absl::StrCat(preferred, " must be in [1, max_batch_size = ", max_batch,
                                     "]"));
    }
  }
  if (config.dynamic_batching().max_queue_delay_us() > kMaxQueueDelayUs) {
    return FieldError(source, "dynamic_batching.max_queue_delay_us",
                      absl::StrCat(config.dynamic_batching().max_queue_delay_us(),
                                   " exceeds 10 s"));
  }
  if (config.instance_count() < 1 || config.instance_count() > kMaxInstanceCount) {
    return FieldError(source, "instance_count",
                      absl::StrCat(config.instance_count(), " must be in [1, ", kMaxInstanceCount,
                                   "]"));
  }
  return absl::OkStatus();
}

absl::Status ValidateEnsemble(const ModelConfig& config, absl::string_view source) {
  if (config.ensemble().member_size() == 0) {
    return FieldError(source, "ensemble.member", "is empty: an ensemble needs members");
  }
  if (config.labels_size() == 0) {
    return FieldError(source, "labels", "must list the ensemble's canonical labels");
  }
  const std::set<std::string> labels(config.labels().begin(), config.labels().end());
  std::set<std::string> seen;
  for (int i = 0; i < config.ensemble().member_size(); ++i) {
    const auto& member = config.ensemble().member(i);
    const std::string field = absl::StrCat("ensemble.member[", i, "]");
    if (member.model().empty()) return FieldError(source, field, "needs a model name");
    if (member.model() == config.name()) return FieldError(source, field, "cannot name itself");
    if (!seen.insert(member.model()).second) {
      return FieldError(source, field, absl::StrCat("repeats model ", member.model()));
    }
    if (!(member.weight() > 0.0f)) {
      return FieldError(source, absl::StrCat(field, ".weight"), "must be > 0");
    }
    if (member.label_map().empty()) {
      return FieldError(source, absl::StrCat(field, ".label_map"), "is empty");
    }
    for (const auto& [from, to] : member.label_map()) {
      if (labels.count(to) == 0) {
        return FieldError(source, absl::StrCat(field, ".label_map[", from, "]"),
                          absl::StrCat("maps to '", to, "', which is not in labels"));
      }
    }
  }
  return absl::OkStatus();
}

// The file is joined to <repository>/<name>/<version>/: a path there would
// let a config load any file the process can read ("../../x", "/etc/x").
absl::Status ValidateModelFilename(absl::string_view filename, absl::string_view source) {
  const bool plain = !filename.empty() && filename != "." && filename != ".." &&
                     filename.find('/') == absl::string_view::npos &&
                     filename.find('\\') == absl::string_view::npos &&
                     filename.find('\0') == absl::string_view::npos;
  if (plain) return absl::OkStatus();
  return FieldError(source, "model_filename",
                    absl::StrCat("'", absl::CHexEscape(filename),
                                 "' must be a file name inside the version folder (no '/', no "
                                 "'..'), e.g. model.pt"));
}

}  // namespace

absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view text, absl::string_view source) {
  ModelConfig config;
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not a valid ModelConfig text proto: ", errors.error()));
  }
  return config;
}

void FillModelConfigDefaults(ModelConfig* config) {
  if (config->platform().empty()) config->set_platform(kPlatformTorchScript);
  if (config->model_filename().empty()) config->set_model_filename(kDefaultModelFilename);
  if (config->version_policy().policy_case() == v1::VersionPolicy::POLICY_NOT_SET) {
    config->mutable_version_policy()->mutable_latest()->set_num_versions(1);
  }
  if (config->version_policy().has_latest() &&
      config->version_policy().latest().num_versions() == 0) {
    config->mutable_version_policy()->mutable_latest()->set_num_versions(1);
  }
  if (config->instance_count() == 0) config->set_instance_count(1);
  auto* batching = config->mutable_dynamic_batching();
  if (batching->max_queue_size() == 0) {
    batching->set_max_queue_size(8 * std::max<uint32_t>(1, config->max_batch_size()) *
                                 config->instance_count());
  }
  for (auto* specs : {config->mutable_input(), config->mutable_output()}) {
    for (TensorSpec& spec : *specs) {
      if (spec.data_type() == v1::DATA_TYPE_UNSPECIFIED) spec.set_data_type(v1::DATA_TYPE_FLOAT32);
      if (spec.has_normalization() &&
          spec.normalization().resize() == v1::RESIZE_METHOD_UNSPECIFIED) {
        spec.mutable_normalization()->set_resize(v1::RESIZE_METHOD_BILINEAR);
      }
    }
  }
}

absl::Status ValidateModelConfig(const ModelConfig& config, absl::string_view expected_name,
                                 absl::string_view source) {
  if (config.name().empty()) return FieldError(source, "name", "is empty");
  if (!expected_name.empty() && config.name() != expected_name) {
    return FieldError(source, "name",
                      absl::StrCat("'", config.name(), "' differs from its folder name '",
                                   expected_name, "'"));
  }
  if (config.task() == v1::MODEL_TASK_UNSPECIFIED) {
    return FieldError(source, "task", "must be set (e.g. MODEL_TASK_FACIAL_EXPRESSION)");
  }
  AFFECT_RETURN_IF_ERROR(ValidateModelFilename(config.model_filename(), source));
  if (config.min_confidence() != 0.0f) {
    if (config.task() != v1::MODEL_TASK_FACIAL_EXPRESSION) {
      return FieldError(source, "min_confidence", "applies to MODEL_TASK_FACIAL_EXPRESSION only");
    }
    if (!(config.min_confidence() > 0.0f && config.min_confidence() < 1.0f)) {
      return FieldError(source, "min_confidence",
                        absl::StrCat(config.min_confidence(), " is outside [0, 1)"));
    }
  }
  if (config.platform() == kPlatformEnsemble) {
    return ValidateEnsemble(config, source);
  }
  if (config.platform() != kPlatformTorchScript) {
    return FieldError(source, "platform",
                      absl::StrCat("'", config.platform(), "' is not 'torchscript' or 'ensemble'"));
  }
  if (config.input_size() == 0) return FieldError(source, "input", "is empty");
  if (config.output_size() == 0) return FieldError(source, "output", "is empty");
  for (int i = 0; i < config.input_size(); ++i) {
    AFFECT_RETURN_IF_ERROR(
        ValidateTensor(config.input(i), absl::StrCat("input[", i, "]"), true, source));
  }
  for (int i = 0; i < config.output_size(); ++i) {
    AFFECT_RETURN_IF_ERROR(
        ValidateTensor(config.output(i), absl::StrCat("output[", i, "]"), false, source));
  }
  if (config.version_policy().has_specific() &&
      config.version_policy().specific().versions_size() == 0) {
    return FieldError(source, "version_policy.specific.versions", "is empty");
  }
  if ((config.task() == v1::MODEL_TASK_FACIAL_EXPRESSION ||
       config.task() == v1::MODEL_TASK_SPEECH_EMOTION ||
       config.task() == v1::MODEL_TASK_OBJECT_DETECTION) &&
      config.labels_size() == 0) {
    return FieldError(source, "labels", "must list the class labels for this task");
  }
  if (config.task() == v1::MODEL_TASK_SPEECH_EMOTION) {
    const auto& features = config.audio_features();
    if (features.sample_rate_hz() == 0 || features.n_fft() == 0 || features.hop_length() == 0 ||
        features.n_mels() == 0 || features.frames() == 0) {
      return FieldError(source, "audio_features",
                        "needs sample_rate_hz, n_fft, hop_length, n_mels and frames");
    }
  }
  return ValidateBatching(config, source);
}

absl::StatusOr<ModelConfig> LoadModelConfigFile(const std::string& path,
                                                absl::string_view expected_name) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot open model config"));
  std::stringstream text;
  text << file.rdbuf();
  AFFECT_ASSIGN_OR_RETURN(ModelConfig config, ParseModelConfig(text.str(), path));
  FillModelConfigDefaults(&config);
  AFFECT_RETURN_IF_ERROR(ValidateModelConfig(config, expected_name, path));
  return config;
}

std::string ModelTaskName(v1::ModelTask task) {
  const std::string name = v1::ModelTask_Name(task);
  absl::string_view view = name;
  absl::ConsumePrefix(&view, "MODEL_TASK_");
  return absl::AsciiStrToLower(view);
}

}  // namespace affect

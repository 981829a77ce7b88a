#include "server/analysis/voice/speech_emotion_classifier.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/common/logging.h"
#include "server/common/status_macros.h"
#include "server/media/audio_decoder.h"
#include "server/media/audio_resampler.h"

namespace affect {
namespace {

constexpr uint32_t kMaxFrames = 100000;
constexpr int kMaxWindowsLimit = 1024;
// Probabilities may carry rounding noise just outside [0, 1].
constexpr float kProbabilitySlack = 1e-3f;

absl::Status ConfigError(const v1::ModelConfig& config, absl::string_view field,
                         absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("speech-emotion model '", config.name(), "': ", field, " ", problem));
}

std::string Parameter(const v1::ModelConfig& config, const std::string& key,
                      absl::string_view fallback) {
  const auto it = config.parameters().find(key);
  return it == config.parameters().end() ? std::string(fallback) : it->second;
}

void Softmax(std::vector<double>* values) {
  const double top = *std::max_element(values->begin(), values->end());
  double sum = 0.0;
  for (double& v : *values) {
    v = std::exp(v - top);
    sum += v;
  }
  for (double& v : *values) v /= sum;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SpeechEmotionClassifier>> SpeechEmotionClassifier::Create(
    const v1::ModelConfig& config, int64_t version, SubmitFn submit,
    const SpeechEmotionOptions& options) {
  if (config.task() != v1::MODEL_TASK_SPEECH_EMOTION) {
    return ConfigError(config, "task",
                       "must be MODEL_TASK_SPEECH_EMOTION for the speech-emotion slot");
  }
  if (config.labels_size() == 0) return ConfigError(config, "labels", "is empty");
  if (config.input_size() != 1) {
    return ConfigError(config, "input",
                       absl::StrCat("has ", config.input_size(), " tensors; the slot feeds one"));
  }
  if (config.output_size() < 1) return ConfigError(config, "output", "is empty");
  if (options.max_windows < 1 || options.max_windows > kMaxWindowsLimit) {
    return absl::InvalidArgumentError(absl::StrCat("speech-emotion max_windows ",
                                                   options.max_windows, " is outside [1, ",
                                                   kMaxWindowsLimit, "]"));
  }

  const std::string output = Parameter(config, "output", "probabilities");
  if (output != "probabilities" && output != "logits") {
    return ConfigError(config, "parameters[output]",
                       absl::StrCat("'", output, "' must be 'probabilities' or 'logits'"));
  }
  const std::string scale_name = Parameter(config, "mel_scale", "htk");
  MelScale scale;
  if (scale_name == "htk") {
    scale = MelScale::kHtk;
  } else if (scale_name == "slaney") {
    scale = MelScale::kSlaney;
  } else {
    return ConfigError(config, "parameters[mel_scale]",
                       absl::StrCat("'", scale_name, "' must be 'htk' or 'slaney'"));
  }
  const std::string offset_text = Parameter(config, "log_offset", "1e-6");
  float log_offset = 0.0f;
  if (!absl::SimpleAtof(offset_text, &log_offset) || !(log_offset > 0.0f)) {
    return ConfigError(config, "parameters[log_offset]",
                       absl::StrCat("'", offset_text, "' must be a number > 0"));
  }
  AFFECT_ASSIGN_OR_RETURN(
      const LogMelOptions mel_options,
      LogMelOptionsFromConfig(config.audio_features(), scale, log_offset,
                              absl::StrCat("speech-emotion model '", config.name(), "'")));
  const uint32_t frames = config.audio_features().frames();
  if (frames < 1 || frames > kMaxFrames) {
    return ConfigError(config, "audio_features.frames",
                       absl::StrCat(frames, " is outside [1, ", kMaxFrames, "]"));
  }

  const std::vector<int64_t> dims(config.input(0).dims().begin(), config.input(0).dims().end());
  const std::vector<int64_t> plain = {mel_options.n_mels, static_cast<int64_t>(frames)};
  const std::vector<int64_t> channel = {1, mel_options.n_mels, static_cast<int64_t>(frames)};
  if (dims != plain && dims != channel) {
    return ConfigError(config, "input[0].dims",
                       absl::StrCat(ShapeToString(dims), " must be [n_mels, frames] = ",
                                    ShapeToString(plain), " or ", ShapeToString(channel)));
  }
  const auto& out_dims = config.output(0).dims();
  const bool fixed = std::all_of(out_dims.begin(), out_dims.end(), [](int64_t d) { return d > 0; });
  if (fixed && !out_dims.empty()) {
    const int64_t count = NumElements(std::vector<int64_t>(out_dims.begin(), out_dims.end()));
    if (count != config.labels_size()) {
      return ConfigError(
          config, "output[0].dims",
          absl::StrCat("hold ", count, " values per item but labels lists ", config.labels_size()));
    }
  }

  AFFECT_ASSIGN_OR_RETURN(std::unique_ptr<LogMelSpectrogram> front_end,
                          LogMelSpectrogram::Create(mel_options));
  auto decoder = std::make_shared<OutputDecoder>();
  decoder->model.set_name(config.name());
  decoder->model.set_version(version);
  decoder->description =
      absl::StrCat("speech-emotion model '", config.name(), "' version ", version);
  decoder->labels.assign(config.labels().begin(), config.labels().end());
  decoder->logits = output == "logits";

  std::unique_ptr<SpeechEmotionClassifier> classifier(new SpeechEmotionClassifier());
  classifier->decoder_ = std::move(decoder);
  classifier->item_shape_ = dims;
  classifier->frames_ = static_cast<int>(frames);
  classifier->options_ = options;
  classifier->front_end_ = std::move(front_end);
  classifier->submit_ = std::move(submit);
  return classifier;
}

std::vector<Tensor> SpeechEmotionClassifier::MakeWindows(absl::Span<const float> samples) const {
  const Tensor mel = front_end_->Compute(samples);
  const int mels = static_cast<int>(mel.dim(0));
  const int total = static_cast<int>(mel.dim(1));
  const int width = frames_;
  int count = 1;
  if (total > width) count = std::min((total + width - 1) / width, options_.max_windows);
  std::vector<Tensor> windows;
  windows.reserve(static_cast<size_t>(count));
  for (int w = 0; w < count; ++w) {
    int start = 0;
    if (total > width) {
      start = count == 1 ? (total - width) / 2
                         : static_cast<int>(
                               std::lround(static_cast<double>(w) * (total - width) / (count - 1)));
    }
    Tensor window(item_shape_);
    float* out = window.data();
    for (int m = 0; m < mels; ++m) {
      const float* row = mel.data() + static_cast<size_t>(m) * total;
      for (int c = 0; c < width; ++c) {
        const int source = start + c;
        out[static_cast<size_t>(m) * width + c] =
            source < total ? row[source] : front_end_->silence_value();
      }
    }
    windows.push_back(std::move(window));
  }
  return windows;
}

absl::StatusOr<SpeechEmotionResult> SpeechEmotionClassifier::OutputDecoder::Decode(
    const InferenceResult& result, size_t windows) const {
  if (result.outputs.size() != windows) {
    return absl::InternalError(absl::StrCat(description, ": the engine returned ",
                                            result.outputs.size(), " items for ", windows,
                                            " windows"));
  }
  const size_t classes = labels.size();
  std::vector<double> sum(classes, 0.0);
  for (const std::vector<Tensor>& item : result.outputs) {
    if (item.empty()) return absl::InternalError(absl::StrCat(description, ": returned no output"));
    const Tensor& scores = item[0];
    if (static_cast<size_t>(scores.num_elements()) != classes) {
      return absl::InternalError(absl::StrCat(
          description, ": output 0 has ", scores.num_elements(), " values per item (shape ",
          ShapeToString(scores.shape()), ") but the config lists ", classes, " labels"));
    }
    std::vector<double> p(scores.values().begin(), scores.values().end());
    for (double v : p) {
      if (!std::isfinite(v)) {
        return absl::InternalError(
            absl::StrCat(description, ": output 0 holds a non-finite value (NaN or infinity)"));
      }
      if (!logits && (v < -kProbabilitySlack || v > 1.0 + kProbabilitySlack)) {
        return absl::InternalError(absl::StrCat(
            description, ": output 0 value ", v,
            " is outside [0, 1]; if the model returns logits, set parameters { key: \"output\" "
            "value: \"logits\" } in its config"));
      }
    }
    if (logits) Softmax(&p);
    for (size_t k = 0; k < classes; ++k) sum[k] += std::clamp(p[k], 0.0, 1.0);
  }
  SpeechEmotionResult out;
  out.model = model;
  out.windows = static_cast<int>(windows);
  out.queue_time = result.queue_time;
  out.compute_time = result.compute_time;
  for (size_t k = 0; k < classes; ++k) {
    v1::LabelScore score;
    score.set_label(labels[k]);
    score.set_score(static_cast<float>(sum[k] / static_cast<double>(windows)));
    out.scores.push_back(std::move(score));
  }
  return out;
}

absl::StatusOr<SpeechEmotionResult> SpeechEmotionClassifier::DecodeResult(
    const InferenceResult& result, size_t windows) const {
  return decoder_->Decode(result, windows);
}

absl::Status SpeechEmotionClassifier::Classify(absl::Span<const float> samples,
                                               uint32_t sample_rate_hz,
                                               const SpeechEmotionCall& call,
                                               SpeechEmotionCallback done) const {
  if (samples.empty()) return absl::InvalidArgumentError("speech emotion: no samples");
  if (sample_rate_hz < kMinAudioSampleRateHz || sample_rate_hz > kMaxAudioSampleRateHz) {
    return absl::InvalidArgumentError(absl::StrCat("speech emotion: sample rate ", sample_rate_hz,
                                                   " Hz is outside [", kMinAudioSampleRateHz, ", ",
                                                   kMaxAudioSampleRateHz, "]"));
  }
  const uint32_t model_rate = static_cast<uint32_t>(front_end_->options().sample_rate_hz);
  std::vector<Tensor> windows;
  if (sample_rate_hz == model_rate) {
    windows = MakeWindows(samples);
  } else {
    windows = MakeWindows(Resample(samples, sample_rate_hz, model_rate));
  }
  const size_t count = windows.size();
  auto request = std::make_unique<InferenceRequest>();
  request->items.reserve(count);
  for (Tensor& window : windows) {
    std::vector<Tensor> item;
    item.push_back(std::move(window));
    request->items.push_back(std::move(item));
  }
  request->deadline = call.deadline;
  request->cancellation = call.cancellation;
  request->traffic_class = call.traffic_class;
  request->done = [decoder = decoder_, count,
                   done = std::move(done)](absl::StatusOr<InferenceResult> result) mutable {
    if (!result.ok()) {
      std::move(done)(result.status());
      return;
    }
    std::move(done)(decoder->Decode(*result, count));
  };
  AFFECT_LOG(DEBUG).With("model", decoder_->model.name()).With("windows", count)
      << "speech-emotion request";
  return submit_(request);
}

void FillSpeechEmotion(const SpeechEmotionResult& result, v1::Voice* voice) {
  voice->clear_emotion_scores();
  for (const v1::LabelScore& score : result.scores) *voice->add_emotion_scores() = score;
  *voice->mutable_emotion_model() = result.model;
}

}  // namespace affect

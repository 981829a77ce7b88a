#include "server/analysis/scene/centernet_decoder.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/analysis/proto_conversions.h"
#include "server/analysis/scene/coco_labels.h"
#include "server/common/status_macros.h"

namespace affect::analysis {
namespace {

struct Grid {
  int64_t height = 0;
  int64_t width = 0;
  int64_t channels = 0;
};

// [H, W, C] or [1, H, W, C].
absl::StatusOr<Grid> GridOf(const Tensor& tensor, absl::string_view what) {
  const std::vector<int64_t>& s = tensor.shape();
  if (s.size() == 3) return Grid{s[0], s[1], s[2]};
  if (s.size() == 4 && s[0] == 1) return Grid{s[1], s[2], s[3]};
  return absl::InvalidArgumentError(absl::StrCat("CenterNet ", what, " has shape ",
                                                 tensor.DebugString(), "; expected [H,W,C]"));
}

// The 3x3 stride-1 SAME max-pool of the graph at one element (-inf outside).
float MaxPool3x3(const float* heat, const Grid& g, int64_t y, int64_t x, int64_t c) {
  float best = -std::numeric_limits<float>::infinity();
  for (int64_t yy = std::max<int64_t>(0, y - 1); yy <= std::min(g.height - 1, y + 1); ++yy) {
    for (int64_t xx = std::max<int64_t>(0, x - 1); xx <= std::min(g.width - 1, x + 1); ++xx) {
      best = std::max(best, heat[(yy * g.width + xx) * g.channels + c]);
    }
  }
  return best;
}

}  // namespace

absl::StatusOr<std::vector<CenterNetPeak>> CenterNetTopK(const Tensor& heatmap, const Tensor& wh,
                                                         const Tensor* heatmap_max,
                                                         int input_width, int input_height,
                                                         int top_k, float min_score) {
  AFFECT_ASSIGN_OR_RETURN(const Grid g, GridOf(heatmap, "heatmap"));
  AFFECT_ASSIGN_OR_RETURN(const Grid gwh, GridOf(wh, "wh"));
  if (g.height <= 0 || g.width <= 0 || g.channels <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("CenterNet heatmap ", heatmap.DebugString(), " is empty"));
  }
  if (gwh.height != g.height || gwh.width != g.width || gwh.channels != 4) {
    return absl::InvalidArgumentError(absl::StrCat("CenterNet wh ", wh.DebugString(),
                                                   " does not match heatmap ",
                                                   heatmap.DebugString(), " (needs [H,W,4])"));
  }
  if (heatmap_max != nullptr && heatmap_max->num_elements() != heatmap.num_elements()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CenterNet max-pooled heatmap ", heatmap_max->DebugString(),
                     " does not match heatmap ", heatmap.DebugString()));
  }
  if (input_width <= 0 || input_height <= 0 || top_k <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("CenterNet input ", input_width, "x",
                                                   input_height, ", top_k ", top_k));
  }
  const float* heat = heatmap.data();
  const int64_t total = heatmap.num_elements();
  // (score, flat index): the graph's peaks tensor, restricted to entries
  // that can matter. Non-peaks are 0 there, so they only count when
  // min_score <= 0.
  std::vector<std::pair<float, int64_t>> candidates;
  for (int64_t i = 0; i < total; ++i) {
    const float value = heat[i];
    const bool can_peak = value >= min_score;
    bool peak = false;
    if (can_peak) {
      const int64_t c = i % g.channels;
      const int64_t cell = i / g.channels;
      const float pooled = heatmap_max != nullptr
                               ? heatmap_max->data()[i]
                               : MaxPool3x3(heat, g, cell / g.width, cell % g.width, c);
      peak = value == pooled;
    }
    if (peak) {
      candidates.emplace_back(value, i);
    } else if (min_score <= 0.0f) {
      candidates.emplace_back(0.0f, i);
    }
  }
  const auto better = [](const std::pair<float, int64_t>& a, const std::pair<float, int64_t>& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  const size_t keep = std::min(candidates.size(), static_cast<size_t>(top_k));
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep),
                    candidates.end(), better);
  candidates.resize(keep);

  const float stride_x = static_cast<float>(input_width) / static_cast<float>(g.width);
  const float stride_y = static_cast<float>(input_height) / static_cast<float>(g.height);
  std::vector<CenterNetPeak> peaks;
  peaks.reserve(keep);
  for (const auto& [score, index] : candidates) {
    const int64_t c = index % g.channels;
    const int64_t cell = index / g.channels;
    const float y = static_cast<float>(cell / g.width);
    const float x = static_cast<float>(cell % g.width);
    const float* size = wh.data() + cell * 4;
    CenterNetPeak peak;
    peak.box = Box::FromCorners(stride_x * x - size[0], stride_y * y - size[1],
                                stride_x * x + size[2], stride_y * y + size[3]);
    peak.score = score;
    peak.class_id = static_cast<int>(c);
    peaks.push_back(peak);
  }
  return peaks;
}

absl::StatusOr<CenterNetOptions> CenterNetOptions::FromParameters(const ParameterMap& parameters) {
  AFFECT_RETURN_IF_ERROR(CheckKnownParameters(
      parameters,
      {"score_threshold", "iou_threshold", "max_detections", "class_aware_nms",
       "cross_class_iou_threshold", "top_k", "stride", "fit"}));
  CenterNetOptions options;
  AFFECT_RETURN_IF_ERROR(
      ReadFloatParameter(parameters, "score_threshold", &options.score_threshold));
  AFFECT_RETURN_IF_ERROR(ReadFloatParameter(parameters, "iou_threshold", &options.iou_threshold));
  AFFECT_RETURN_IF_ERROR(ReadIntParameter(parameters, "max_detections", &options.max_detections));
  AFFECT_RETURN_IF_ERROR(
      ReadBoolParameter(parameters, "class_aware_nms", &options.class_aware_nms));
  AFFECT_RETURN_IF_ERROR(ReadFloatParameter(parameters, "cross_class_iou_threshold",
                                            &options.cross_class_iou_threshold));
  AFFECT_RETURN_IF_ERROR(ReadIntParameter(parameters, "top_k", &options.top_k));
  AFFECT_RETURN_IF_ERROR(ReadFloatParameter(parameters, "stride", &options.stride));
  AFFECT_RETURN_IF_ERROR(ReadFitParameter(parameters, "fit", &options.fit));
  AFFECT_RETURN_IF_ERROR(options.Validate());
  return options;
}

absl::Status CenterNetOptions::Validate() const {
  if (!(score_threshold > 0.0f && score_threshold <= 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("score_threshold ", score_threshold, " is not in (0, 1]"));
  }
  if (!(iou_threshold >= 0.0f && iou_threshold <= 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("iou_threshold ", iou_threshold, " is not in [0, 1]"));
  }
  if (max_detections < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_detections ", max_detections, " must be >= 1"));
  }
  if (!(cross_class_iou_threshold >= 0.0f && cross_class_iou_threshold <= 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("cross_class_iou_threshold ",
                                                   cross_class_iou_threshold, " is not in [0, 1]"));
  }
  if (top_k < 1) return absl::InvalidArgumentError(absl::StrCat("top_k ", top_k, " must be >= 1"));
  if (!(stride >= 0.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("stride ", stride, " must be >= 0"));
  }
  return absl::OkStatus();
}

absl::StatusOr<CenterNetDecoder> CenterNetDecoder::Create(const CenterNetOptions& options,
                                                          std::vector<std::string> labels,
                                                          int input_width, int input_height) {
  AFFECT_RETURN_IF_ERROR(options.Validate());
  if (input_width <= 0 || input_height <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("CenterNet input size ", input_width, "x", input_height));
  }
  if (labels.empty()) labels = CocoLabels();
  return CenterNetDecoder(options, std::move(labels), input_width, input_height);
}

absl::StatusOr<CenterNetDecoder> CenterNetDecoder::FromConfig(const v1::ModelConfig& config) {
  if (config.input_size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "object detector '", config.name(), "' needs one input, has ", config.input_size()));
  }
  AFFECT_ASSIGN_OR_RETURN(const ImageInputShape shape, ImageInputShapeOf(config.input(0)));
  absl::StatusOr<CenterNetOptions> options = CenterNetOptions::FromParameters(config.parameters());
  if (!options.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("object detector '", config.name(), "': ", options.status().message()));
  }
  std::vector<std::string> labels(config.labels().begin(), config.labels().end());
  return Create(*options, std::move(labels), shape.width, shape.height);
}

absl::StatusOr<std::vector<Detection>> CenterNetDecoder::Decode(
    absl::Span<const Tensor> outputs, const InputTransform& transform) const {
  if (outputs.size() != 2 && outputs.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CenterNet needs 2 or 3 outputs (heatmap, wh[, heatmap_max]), got ", outputs.size()));
  }
  if (transform.scale_x <= 0.0f || transform.scale_y <= 0.0f) {
    return absl::InvalidArgumentError("CenterNet input transform has a zero scale");
  }
  AFFECT_ASSIGN_OR_RETURN(const Grid g, GridOf(outputs[0], "heatmap"));
  if (g.channels != static_cast<int64_t>(labels_.size())) {
    return absl::InvalidArgumentError(absl::StrCat("CenterNet heatmap ",
                                                   outputs[0].DebugString(), " has ", g.channels,
                                                   " classes; the config has ", labels_.size(),
                                                   " labels"));
  }
  if (options_.stride > 0.0f &&
      (std::abs(options_.stride * static_cast<float>(g.width) - input_width_) > 0.5f ||
       std::abs(options_.stride * static_cast<float>(g.height) - input_height_) > 0.5f)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CenterNet stride ", options_.stride, " does not match input ", input_width_, "x",
        input_height_, " over heatmap ", g.width, "x", g.height));
  }
  AFFECT_ASSIGN_OR_RETURN(
      const std::vector<CenterNetPeak> peaks,
      CenterNetTopK(outputs[0], outputs[1], outputs.size() == 3 ? &outputs[2] : nullptr,
                    input_width_, input_height_, options_.top_k, options_.score_threshold));
  std::vector<Detection> detections;
  detections.reserve(peaks.size());
  for (const CenterNetPeak& peak : peaks) {
    Detection d;
    d.box = transform.ToImage(peak.box);
    d.score = peak.score;
    d.class_id = peak.class_id;
    if (d.box.empty()) continue;
    detections.push_back(std::move(d));
  }
  NmsOptions per_class;
  per_class.iou_threshold = options_.iou_threshold;
  per_class.class_aware = options_.class_aware_nms;
  NmsOptions across_classes;
  across_classes.iou_threshold = options_.cross_class_iou_threshold;
  across_classes.max_detections = options_.max_detections;
  return NonMaxSuppression(NonMaxSuppression(std::move(detections), per_class), across_classes);
}

std::vector<v1::DetectedObject> CenterNetDecoder::ToObjects(
    const std::vector<Detection>& detections, int image_width, int image_height) const {
  std::vector<v1::DetectedObject> objects;
  objects.reserve(detections.size());
  for (const Detection& d : detections) {
    v1::DetectedObject object;
    if (d.class_id >= 0 && d.class_id < static_cast<int>(labels_.size())) {
      object.set_label(labels_[static_cast<size_t>(d.class_id)]);
    }
    object.set_class_id(d.class_id);
    object.set_score(d.score);
    const Box clipped =
        ClipBox(d.box, static_cast<float>(image_width), static_cast<float>(image_height));
    *object.mutable_box() = ToProto(clipped);
    if (image_width > 0 && image_height > 0) {
      *object.mutable_box_normalized() = ToNormalizedProto(clipped, image_width, image_height);
    }
    objects.push_back(std::move(object));
  }
  return objects;
}

}  // namespace affect::analysis

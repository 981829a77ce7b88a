#include "server/analysis/face/face_detection_decoder.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/analysis/proto_conversions.h"
#include "server/common/status_macros.h"

namespace affect::analysis {
namespace {

// Where each anchor's logit and regressors live in the model outputs.
struct AnchorValues {
  std::vector<const float*> logit;      // one per anchor
  std::vector<const float*> regressor;  // kBlazeFaceRegressors per anchor
};

absl::StatusOr<AnchorValues> LocateValues(absl::Span<const Tensor> outputs,
                                          const std::vector<AnchorLayer>& layers) {
  std::vector<int64_t> layer_start;
  std::vector<int64_t> layer_count;
  int64_t total = 0;
  for (const AnchorLayer& layer : layers) {
    layer_start.push_back(total);
    layer_count.push_back(int64_t{layer.grid_size} * layer.grid_size * layer.anchors_per_cell);
    total += layer_count.back();
  }
  AnchorValues values;
  values.logit.assign(static_cast<size_t>(total), nullptr);
  values.regressor.assign(static_cast<size_t>(total), nullptr);
  std::vector<bool> scores_seen(layers.size(), false);
  std::vector<bool> regressors_seen(layers.size(), false);

  auto assign = [&](const float* data, int64_t start, int64_t count, int64_t stride,
                    bool logits, bool regressors) {
    for (int64_t i = 0; i < count; ++i) {
      const float* row = data + i * stride;
      if (logits) values.logit[static_cast<size_t>(start + i)] = row;
      if (regressors) {
        values.regressor[static_cast<size_t>(start + i)] = logits ? row + 1 : row;
      }
    }
  };

  for (size_t t = 0; t < outputs.size(); ++t) {
    const Tensor& tensor = outputs[t];
    const int64_t n = tensor.num_elements();
    if (n == total * (kBlazeFaceRegressors + 1)) {
      assign(tensor.data(), 0, total, kBlazeFaceRegressors + 1, true, true);
      std::fill(scores_seen.begin(), scores_seen.end(), true);
      std::fill(regressors_seen.begin(), regressors_seen.end(), true);
      continue;
    }
    if (n == total && layers.size() > 1) {
      assign(tensor.data(), 0, total, 1, true, false);
      std::fill(scores_seen.begin(), scores_seen.end(), true);
      continue;
    }
    if (n == total * kBlazeFaceRegressors && layers.size() > 1) {
      assign(tensor.data(), 0, total, kBlazeFaceRegressors, false, true);
      std::fill(regressors_seen.begin(), regressors_seen.end(), true);
      continue;
    }
    bool matched = false;
    for (size_t l = 0; l < layers.size() && !matched; ++l) {
      if (n == layer_count[l] && !scores_seen[l]) {
        assign(tensor.data(), layer_start[l], layer_count[l], 1, true, false);
        scores_seen[l] = matched = true;
      } else if (n == layer_count[l] * kBlazeFaceRegressors && !regressors_seen[l]) {
        assign(tensor.data(), layer_start[l], layer_count[l], kBlazeFaceRegressors, false, true);
        regressors_seen[l] = matched = true;
      }
    }
    if (!matched) {
      return absl::InvalidArgumentError(
          absl::StrCat("face detector output ", t, " ", tensor.DebugString(), " (", n,
                       " values) matches no anchor layer's scores or regressors (", total,
                       " anchors)"));
    }
  }
  for (size_t l = 0; l < layers.size(); ++l) {
    if (!scores_seen[l] || !regressors_seen[l]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "face detector outputs lack the ", scores_seen[l] ? "regressors" : "scores",
          " of anchor layer ", l, " (", layer_count[l], " anchors); got ", outputs.size(),
          " outputs"));
    }
  }
  return values;
}

absl::StatusOr<FaceKeypoint> ParseKeypointName(absl::string_view text) {
  const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (name == "right_eye") return FaceKeypoint::kRightEye;
  if (name == "left_eye") return FaceKeypoint::kLeftEye;
  if (name == "nose" || name == "nose_tip") return FaceKeypoint::kNoseTip;
  if (name == "mouth" || name == "mouth_center") return FaceKeypoint::kMouthCenter;
  if (name == "right_ear" || name == "right_ear_tragion") return FaceKeypoint::kRightEarTragion;
  if (name == "left_ear" || name == "left_ear_tragion") return FaceKeypoint::kLeftEarTragion;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown keypoint '", text, "'; use right_eye, left_eye, nose, mouth, right_ear, left_ear"));
}

float Sigmoid(float logit) { return 1.0f / (1.0f + std::exp(-logit)); }

v1::LandmarkType LandmarkTypeOf(int keypoint) {
  // FaceKeypoint order equals the LandmarkType order, shifted by one.
  return static_cast<v1::LandmarkType>(keypoint + 1);
}

}  // namespace

absl::StatusOr<FaceDetectionOptions> FaceDetectionOptions::FromParameters(
    const ParameterMap& parameters) {
  AFFECT_RETURN_IF_ERROR(CheckKnownParameters(
      parameters, {"score_threshold", "iou_threshold", "max_detections", "min_face_size",
                   "score_clip", "fit", "keypoints", "anchor_strides", "anchors_per_cell"}));
  FaceDetectionOptions options;
  AFFECT_RETURN_IF_ERROR(
      ReadFloatParameter(parameters, "score_threshold", &options.score_threshold));
  AFFECT_RETURN_IF_ERROR(ReadFloatParameter(parameters, "iou_threshold", &options.iou_threshold));
  AFFECT_RETURN_IF_ERROR(ReadIntParameter(parameters, "max_detections", &options.max_detections));
  AFFECT_RETURN_IF_ERROR(ReadFloatParameter(parameters, "min_face_size", &options.min_face_size));
  AFFECT_RETURN_IF_ERROR(ReadFloatParameter(parameters, "score_clip", &options.score_clip));
  AFFECT_RETURN_IF_ERROR(ReadFitParameter(parameters, "fit", &options.fit));
  const auto keypoints = parameters.find("keypoints");
  if (keypoints != parameters.end()) {
    options.keypoint_order.clear();
    for (absl::string_view name : absl::StrSplit(keypoints->second, ',')) {
      AFFECT_ASSIGN_OR_RETURN(const FaceKeypoint k, ParseKeypointName(name));
      options.keypoint_order.push_back(k);
    }
  }
  AFFECT_RETURN_IF_ERROR(options.Validate());
  return options;
}

absl::Status FaceDetectionOptions::Validate() const {
  if (!(score_threshold >= 0.0f && score_threshold <= 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("score_threshold ", score_threshold, " is not in [0, 1]"));
  }
  if (!(iou_threshold >= 0.0f && iou_threshold <= 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("iou_threshold ", iou_threshold, " is not in [0, 1]"));
  }
  if (max_detections < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_detections ", max_detections, " must be >= 1"));
  }
  if (!(min_face_size >= 0.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_face_size ", min_face_size, " must be >= 0"));
  }
  if (!(score_clip > 0.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("score_clip ", score_clip, " must be > 0"));
  }
  std::vector<bool> seen(kBlazeFaceKeypoints, false);
  for (FaceKeypoint k : keypoint_order) seen[static_cast<size_t>(k)] = true;
  if (keypoint_order.size() != kBlazeFaceKeypoints ||
      !std::all_of(seen.begin(), seen.end(), [](bool s) { return s; })) {
    return absl::InvalidArgumentError(
        "keypoints must name each of right_eye, left_eye, nose, mouth, right_ear, left_ear once");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AnchorLayer>> ParseAnchorLayers(const ParameterMap& parameters,
                                                           int input_size) {
  const auto strides = parameters.find("anchor_strides");
  const auto per_cell = parameters.find("anchors_per_cell");
  if (strides == parameters.end() && per_cell == parameters.end()) return BlazeFaceBackLayers();
  if (strides == parameters.end() || per_cell == parameters.end()) {
    return absl::InvalidArgumentError("anchor_strides and anchors_per_cell go together");
  }
  const std::vector<std::string> stride_texts = absl::StrSplit(strides->second, ',');
  const std::vector<std::string> count_texts = absl::StrSplit(per_cell->second, ',');
  if (stride_texts.size() != count_texts.size()) {
    return absl::InvalidArgumentError(absl::StrCat("anchor_strides '", strides->second,
                                                   "' and anchors_per_cell '", per_cell->second,
                                                   "' differ in length"));
  }
  std::vector<AnchorLayer> layers;
  for (size_t i = 0; i < stride_texts.size(); ++i) {
    int stride = 0;
    int count = 0;
    if (!absl::SimpleAtoi(stride_texts[i], &stride) || stride <= 0 ||
        !absl::SimpleAtoi(count_texts[i], &count) || count <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("bad anchor layer ", i, ": stride '",
                                                     stride_texts[i], "', anchors '",
                                                     count_texts[i], "'"));
    }
    layers.push_back(AnchorLayer{(input_size + stride - 1) / stride, count});
  }
  return layers;
}

FaceDetectionDecoder::FaceDetectionDecoder(const FaceDetectionOptions& options, int input_width,
                                           int input_height, std::vector<AnchorLayer> layers)
    : options_(options),
      input_width_(input_width),
      input_height_(input_height),
      layers_(std::move(layers)),
      anchors_(GenerateAnchors(layers_)) {}

absl::StatusOr<FaceDetectionDecoder> FaceDetectionDecoder::Create(
    const FaceDetectionOptions& options, int input_width, int input_height,
    std::vector<AnchorLayer> layers) {
  AFFECT_RETURN_IF_ERROR(options.Validate());
  if (input_width <= 0 || input_height <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("face detector input size ", input_width, "x", input_height));
  }
  if (layers.empty()) return absl::InvalidArgumentError("face detector has no anchor layers");
  for (const AnchorLayer& layer : layers) {
    if (layer.grid_size <= 0 || layer.anchors_per_cell <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("anchor layer ", layer.grid_size, "x",
                                                     layer.grid_size, "x",
                                                     layer.anchors_per_cell, " is empty"));
    }
  }
  return FaceDetectionDecoder(options, input_width, input_height, std::move(layers));
}

absl::StatusOr<FaceDetectionDecoder> FaceDetectionDecoder::FromConfig(
    const v1::ModelConfig& config) {
  if (config.input_size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "face detector '", config.name(), "' needs one input, has ", config.input_size()));
  }
  AFFECT_ASSIGN_OR_RETURN(const ImageInputShape shape, ImageInputShapeOf(config.input(0)));
  if (shape.width != shape.height) {
    return absl::InvalidArgumentError(absl::StrCat("face detector '", config.name(),
                                                   "' input is not square (", shape.width, "x",
                                                   shape.height, ")"));
  }
  const std::string source = absl::StrCat("face detector '", config.name(), "': ");
  absl::StatusOr<FaceDetectionOptions> options =
      FaceDetectionOptions::FromParameters(config.parameters());
  if (!options.ok()) return absl::InvalidArgumentError(source + std::string(options.status().message()));
  absl::StatusOr<std::vector<AnchorLayer>> layers =
      ParseAnchorLayers(config.parameters(), shape.width);
  if (!layers.ok()) return absl::InvalidArgumentError(source + std::string(layers.status().message()));
  return Create(*options, shape.width, shape.height, *std::move(layers));
}

absl::StatusOr<std::vector<FaceDetection>> FaceDetectionDecoder::Decode(
    absl::Span<const Tensor> outputs, const InputTransform& transform) const {
  if (transform.scale_x <= 0.0f || transform.scale_y <= 0.0f) {
    return absl::InvalidArgumentError("face detector input transform has a zero scale");
  }
  AFFECT_ASSIGN_OR_RETURN(const AnchorValues values, LocateValues(outputs, layers_));
  const float w = static_cast<float>(input_width_);
  const float h = static_cast<float>(input_height_);
  std::vector<Detection> candidates;
  for (size_t a = 0; a < anchors_.size(); ++a) {
    const float logit = std::clamp(*values.logit[a], -options_.score_clip, options_.score_clip);
    const float score = Sigmoid(logit);
    if (!(score >= options_.score_threshold)) continue;  // also drops NaN
    const float* r = values.regressor[a];
    const float cx = anchors_[a].x * w + r[0];
    const float cy = anchors_[a].y * h + r[1];
    Detection d;
    d.score = score;
    d.box = transform.ToImage(Box{cx - 0.5f * r[2], cy - 0.5f * r[3], r[2], r[3]});
    if (!std::isfinite(d.box.x) || !std::isfinite(d.box.y) || !std::isfinite(d.box.width) ||
        !std::isfinite(d.box.height) || d.box.empty()) {
      continue;
    }
    d.keypoints.resize(kBlazeFaceKeypoints);
    for (int k = 0; k < kBlazeFaceKeypoints; ++k) {
      const size_t slot = static_cast<size_t>(options_.keypoint_order[static_cast<size_t>(k)]);
      d.keypoints[slot] = transform.ToImage(
          Point{anchors_[a].x * w + r[4 + 2 * k], anchors_[a].y * h + r[5 + 2 * k]});
    }
    candidates.push_back(std::move(d));
  }
  NmsOptions nms;
  nms.iou_threshold = options_.iou_threshold;
  std::vector<Detection> merged = WeightedNonMaxSuppression(std::move(candidates), nms);
  std::vector<FaceDetection> faces;
  for (Detection& d : merged) {
    if (static_cast<int>(faces.size()) >= options_.max_detections) break;
    if (std::min(d.box.width, d.box.height) < options_.min_face_size) continue;
    faces.push_back(FaceDetection{d.box, d.score, std::move(d.keypoints)});
  }
  return faces;
}

std::vector<v1::Face> FaceDetectionDecoder::ToFaces(const std::vector<FaceDetection>& faces,
                                                    int image_width, int image_height,
                                                    const v1::ModelRef& detector) {
  std::vector<v1::Face> out;
  out.reserve(faces.size());
  for (size_t i = 0; i < faces.size(); ++i) {
    const FaceDetection& f = faces[i];
    v1::Face face;
    face.set_index(static_cast<int32_t>(i));
    *face.mutable_box() = ToProto(f.box);
    if (image_width > 0 && image_height > 0) {
      *face.mutable_box_normalized() = ToNormalizedProto(f.box, image_width, image_height);
    }
    face.set_detection_score(f.score);
    for (size_t k = 0; k < f.keypoints.size(); ++k) {
      v1::Landmark* landmark = face.add_landmarks();
      landmark->set_type(LandmarkTypeOf(static_cast<int>(k)));
      *landmark->mutable_position() = ToProto(f.keypoints[k]);
    }
    *face.mutable_detector() = detector;
    out.push_back(std::move(face));
  }
  return out;
}

FaceDetection FaceDetectionFromProto(const v1::Face& face) {
  FaceDetection out;
  out.box = FromProto(face.box());
  out.score = face.detection_score();
  std::vector<Point> points(kBlazeFaceKeypoints);
  std::vector<bool> found(kBlazeFaceKeypoints, false);
  for (const v1::Landmark& landmark : face.landmarks()) {
    const int k = static_cast<int>(landmark.type()) - 1;
    if (k < 0 || k >= kBlazeFaceKeypoints) continue;
    points[static_cast<size_t>(k)] = FromProto(landmark.position());
    found[static_cast<size_t>(k)] = true;
  }
  if (std::all_of(found.begin(), found.end(), [](bool f) { return f; })) {
    out.keypoints = std::move(points);
  }
  return out;
}

}  // namespace affect::analysis

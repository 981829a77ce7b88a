// Decodes the CenterNet (MobileNetV3, COCO) heads into objects.
//
// The converted module stops before the TF.js graph's own post-processing;
// CenterNetTopK re-implements those nodes exactly:
//   peaks    = heatmap * (heatmap == maxpool3x3_same(heatmap))
//   TopKV2   over peaks flattened in (y, x, class) order, k = 100, sorted,
//            equal values in index order
//   class    = index mod C;  cell = index div C;  y = cell div W; x = cell mod W
//   box      = (s*x - wh0, s*y - wh1, s*x + wh2, s*y + wh3), s = input / grid
//            (4 for 512 / 128, the graph's mul_3..6 constant)
// in model-input pixels. CenterNetDecoder then keeps rows above
// score_threshold, maps them to image pixels, runs class-aware NMS (the
// reference uses class-agnostic NMS, which lets a "person" erase the "tie"
// it wears), drops same-box duplicates across classes and keeps
// max_detections.
//
// Thread-safe: everything is const.
#ifndef AFFECT_SERVER_ANALYSIS_SCENE_CENTERNET_DECODER_H_
#define AFFECT_SERVER_ANALYSIS_SCENE_CENTERNET_DECODER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "affect/v1/model_config.pb.h"
#include "affect/v1/results.pb.h"
#include "server/analysis/geometry.h"
#include "server/analysis/image_input.h"
#include "server/analysis/parameters.h"
#include "server/tensor/tensor.h"

namespace affect::analysis {

// The graph's TopKV2 k.
inline constexpr int kCenterNetTopK = 100;

// One graph detection row (input pixels).
struct CenterNetPeak {
  Box box;
  float score = 0.0f;
  int class_id = 0;
};

// The graph's post-processing for one image. `heatmap` [H,W,C] and `wh`
// [H,W,4] (a leading batch of 1 is allowed); `heatmap_max` is the graph's
// own 3x3 max-pool of the heatmap (same shape) or nullptr to compute it here
// (SAME padding, -inf border). Returns at most `top_k` rows, best first,
// skipping rows below `min_score` (the graph keeps them; they are never
// used). INVALID_ARGUMENT on shape mismatches.
absl::StatusOr<std::vector<CenterNetPeak>> CenterNetTopK(const Tensor& heatmap, const Tensor& wh,
                                                         const Tensor* heatmap_max,
                                                         int input_width, int input_height,
                                                         int top_k, float min_score);

struct CenterNetOptions {
  // Detections below this score are dropped (human uses 0.2; 0.3 keeps
  // cluttered scenes readable).
  float score_threshold = 0.3f;
  // Overlap above which the lower-scoring box of the same class is dropped.
  float iou_threshold = 0.5f;
  int max_detections = 25;
  bool class_aware_nms = true;
  // After class-aware NMS, boxes of different classes overlapping above this
  // IoU keep only the higher score. CenterNet predicts one box per cell, so
  // two classes peaking in the same cell give the very same box ("cell
  // phone" 0.54 and "remote" 0.41 on one phone in face-api's sample2); a
  // person and the tie they wear overlap far less.
  float cross_class_iou_threshold = 0.9f;
  int top_k = kCenterNetTopK;
  // Input pixels per heatmap cell; 0 = input size / heatmap size (4 for
  // this model). When set it must agree with the sizes.
  float stride = 0.0f;
  // Letterbox, though the reference stretches to 512 x 512: on face-api's
  // six demo photos letterboxing found 21 of the 22 people (stretch 19) with
  // higher person scores (e.g. 0.75/0.71/0.55/0.53 vs 0.63/0.61/0.45/0.36 on
  // sample6) and more small objects (cup, bottle, chair).
  FitMode fit = FitMode::kLetterbox;

  // Keys: score_threshold, iou_threshold, max_detections, class_aware_nms,
  // cross_class_iou_threshold, top_k, stride, fit.
  static absl::StatusOr<CenterNetOptions> FromParameters(const ParameterMap& parameters);
  absl::Status Validate() const;
};

class CenterNetDecoder {
 public:
  // `labels`: one per heatmap channel (CocoLabels() when empty).
  static absl::StatusOr<CenterNetDecoder> Create(const CenterNetOptions& options,
                                                 std::vector<std::string> labels,
                                                 int input_width, int input_height);
  // Input size from config.input(0), labels from config.labels, options from
  // config.parameters.
  static absl::StatusOr<CenterNetDecoder> FromConfig(const v1::ModelConfig& config);

  // `outputs`: heatmap, wh and optionally the graph's max-pooled heatmap, in
  // that order (the converted module's output tuple). Returns detections in
  // image pixels (class_id = heatmap channel), best first.
  absl::StatusOr<std::vector<Detection>> Decode(absl::Span<const Tensor> outputs,
                                                const InputTransform& transform) const;

  // DetectedObject messages (label, class id, score, box and normalised box
  // clipped to the image).
  std::vector<v1::DetectedObject> ToObjects(const std::vector<Detection>& detections,
                                            int image_width, int image_height) const;

  const CenterNetOptions& options() const { return options_; }
  const std::vector<std::string>& labels() const { return labels_; }
  int input_width() const { return input_width_; }
  int input_height() const { return input_height_; }

 private:
  CenterNetDecoder(const CenterNetOptions& options, std::vector<std::string> labels,
                   int input_width, int input_height)
      : options_(options),
        labels_(std::move(labels)),
        input_width_(input_width),
        input_height_(input_height) {}

  CenterNetOptions options_;
  std::vector<std::string> labels_;
  int input_width_;
  int input_height_;
};

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_SCENE_CENTERNET_DECODER_H_

// Decodes BlazeFace outputs into face boxes and keypoints in image pixels.
//
// Per anchor the model gives one logit and 16 regressor values: box centre
// offset (x, y) and size (w, h), then six keypoints (x, y), all in input
// pixels relative to the anchor centre (MediaPipe's x/y/w/h_scale = input
// size, fixed anchor size). Score = sigmoid(logit clipped to
// +-score_clip). Candidates above score_threshold are mapped to image pixels,
// merged by weighted NMS, filtered by size and cut to max_detections.
//
// Thread-safe: Decode is const and keeps no state between calls.
#ifndef AFFECT_SERVER_ANALYSIS_FACE_FACE_DETECTION_DECODER_H_
#define AFFECT_SERVER_ANALYSIS_FACE_FACE_DETECTION_DECODER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "affect/v1/model_config.pb.h"
#include "affect/v1/results.pb.h"
#include "server/analysis/geometry.h"
#include "server/analysis/image_input.h"
#include "server/analysis/parameters.h"
#include "server/analysis/face/blazeface_anchors.h"
#include "server/tensor/tensor.h"

namespace affect::analysis {

// BlazeFace keypoint order (indices into FaceDetection::keypoints). "Right"
// is the person's right: on the left of an unmirrored photo.
enum class FaceKeypoint {
  kRightEye = 0,
  kLeftEye = 1,
  kNoseTip = 2,
  kMouthCenter = 3,
  kRightEarTragion = 4,
  kLeftEarTragion = 5,
};
inline constexpr int kBlazeFaceKeypoints = 6;
inline constexpr int kBlazeFaceRegressors = 4 + 2 * kBlazeFaceKeypoints;

struct FaceDetection {
  // Image pixels. The box may extend past the image edges for a face cut by
  // the frame (it is what the detector saw; clip when drawing).
  Box box;
  float score = 0.0f;
  // kBlazeFaceKeypoints points in FaceKeypoint order, image pixels.
  std::vector<Point> keypoints;

  Point keypoint(FaceKeypoint k) const { return keypoints[static_cast<size_t>(k)]; }
};

struct FaceDetectionOptions {
  // Sigmoid score below which an anchor is ignored. 0.5 is MediaPipe's
  // min_score_thresh for this model.
  float score_threshold = 0.5f;
  // Weighted-NMS overlap; 0.3 is MediaPipe's min_suppression_threshold.
  float iou_threshold = 0.3f;
  // Faces kept, highest score first.
  int max_detections = 20;
  // Faces whose box's shorter side is below this many image pixels are
  // dropped: below ~16 px neither expression model sees a usable face.
  float min_face_size = 16.0f;
  // Logits are clipped to +-score_clip before the sigmoid (MediaPipe's
  // score_clipping_thresh), so extreme values cannot overflow.
  float score_clip = 100.0f;
  // How the image was fitted to the input (see FitMode): letterbox, as
  // MediaPipe does for face detection.
  FitMode fit = FitMode::kLetterbox;
  // keypoint_order[i]: which face keypoint (person's left/right, as in
  // results.proto) the model's i-th keypoint is. Default: MediaPipe's order,
  // checked on all 22 faces of face-api's six demo photos: keypoints 0 and 4
  // lie on the image's left, i.e. the person's RIGHT eye and ear.
  std::vector<FaceKeypoint> keypoint_order = {
      FaceKeypoint::kRightEye,        FaceKeypoint::kLeftEye,
      FaceKeypoint::kNoseTip,         FaceKeypoint::kMouthCenter,
      FaceKeypoint::kRightEarTragion, FaceKeypoint::kLeftEarTragion};

  // Keys (model config `parameters`): score_threshold, iou_threshold,
  // max_detections, min_face_size, score_clip, fit, keypoints (comma
  // separated names in the model's order: right_eye, left_eye, nose, mouth,
  // right_ear, left_ear; "right" is the person's right, as in the proto). anchor_strides and anchors_per_cell are
  // accepted here and read by ParseAnchorLayers.
  static absl::StatusOr<FaceDetectionOptions> FromParameters(const ParameterMap& parameters);
  absl::Status Validate() const;
};

// Anchor layers from the config's "anchor_strides" ("16,32": input pixels
// per cell) and "anchors_per_cell" ("2,6"); grid = ceil(input_size /
// stride). BlazeFaceBackLayers() when both are absent.
absl::StatusOr<std::vector<AnchorLayer>> ParseAnchorLayers(const ParameterMap& parameters,
                                                           int input_size);

class FaceDetectionDecoder {
 public:
  // `input_width` x `input_height`: the model's input size (256 x 256).
  static absl::StatusOr<FaceDetectionDecoder> Create(
      const FaceDetectionOptions& options, int input_width, int input_height,
      std::vector<AnchorLayer> layers = BlazeFaceBackLayers());
  // Input size from config.input(0); options and anchor layers from
  // config.parameters.
  static absl::StatusOr<FaceDetectionDecoder> FromConfig(const v1::ModelConfig& config);

  // `outputs`: one item's model outputs (with or without a leading batch of
  // 1), matched by element count, so any order works: per anchor layer a
  // score tensor (layer anchors x 1) and a regressor tensor (x 16), or all
  // scores (896) and all regressors (896 x 16), or one combined tensor
  // (896 x 17, logit first). `transform` maps input pixels to the image.
  // Returns faces by descending score. INVALID_ARGUMENT when the outputs do
  // not fit the anchors.
  absl::StatusOr<std::vector<FaceDetection>> Decode(absl::Span<const Tensor> outputs,
                                                    const InputTransform& transform) const;

  // Face messages (index = position, box, normalised box, score, the six
  // landmarks, detector). Expression and track id are left for later stages.
  static std::vector<v1::Face> ToFaces(const std::vector<FaceDetection>& faces, int image_width,
                                       int image_height, const v1::ModelRef& detector);

  const FaceDetectionOptions& options() const { return options_; }
  int input_width() const { return input_width_; }
  int input_height() const { return input_height_; }
  const std::vector<Point>& anchors() const { return anchors_; }

 private:
  FaceDetectionDecoder(const FaceDetectionOptions& options, int input_width, int input_height,
                       std::vector<AnchorLayer> layers);

  FaceDetectionOptions options_;
  int input_width_;
  int input_height_;
  std::vector<AnchorLayer> layers_;
  std::vector<Point> anchors_;
};

// Reads a face's geometry back from its message (box and the six landmarks
// by type; missing landmarks leave keypoints empty).
FaceDetection FaceDetectionFromProto(const v1::Face& face);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_FACE_FACE_DETECTION_DECODER_H_

// Decodes the MoveNet MultiPose heads into people with 17 COCO keypoints.
//
// The converted module stops after the graph's six CenterNet heads (64x64
// grid for a 256x256 input); MoveNetGraphPoses re-implements the graph's own
// post-processing exactly (models/README.md "movenet_multipose", checked
// against the graph's [1, 6, 56] output by models/verify):
//   centres  = peaks of the centre heatmap (equal to their 5x5 SAME max
//              within 1e-6), the 6 largest, cell = divmod(index, W)
//   box      = centre + box_offset -/+ max(box_scale, 0) / 2, clipped to the
//              grid
//   keypoint = the cell maximising heatmap_k * exp(-d^2 / (0.3 min(H, W)))
//              inside the box (d: distance to centre + regression_k), plus
//              keypoint_offset_k there; its score is the maximum of that
//              weighted heatmap over all 6 people at the chosen cell
//   person   = centre score x mean of the keypoint scores above 0.127
// MoveNetDecoder then maps the graph's rows to image pixels through the
// InputTransform, keeps people at or above person_score_threshold and drops
// a person whose head is a better-scored person's head (the graph has no
// suppression: two centres on one body can give the same keypoints; on
// sample3 a 0.16 copy of a 0.54 person had the very same nose).
//
// Thread-safe: everything is const.
#ifndef AFFECT_SERVER_ANALYSIS_BODY_MOVENET_DECODER_H_
#define AFFECT_SERVER_ANALYSIS_BODY_MOVENET_DECODER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "affect/v1/model_config.pb.h"
#include "server/analysis/body/pose_refinement.h"
#include "server/analysis/body/pose_types.h"
#include "server/analysis/image_input.h"
#include "server/analysis/parameters.h"
#include "server/tensor/tensor.h"

namespace affect::analysis {

// The graph's constants (read from movenet-multipose.json).
inline constexpr int kMoveNetPeakWindow = 5;                             // MaxPool ksize
inline constexpr float kMoveNetPeakTolerance = 1.0132789611816406e-06f;  // Less/y
inline constexpr int kMoveNetMaxPeople = 6;                              // TopKV2/k
inline constexpr float kMoveNetSigmaFactor = 0.300048828125f;            // mul_6/y
inline constexpr float kMoveNetKeypointThreshold = 0.126953125f;         // Greater_1/y

// COCO keypoint name ("nose", "left_eye", ...) of a BodyPart index (0..16);
// "" outside that range.
absl::string_view BodyPartName(int part);

// The graph's output for one image: up to max_people rows, in centre-score
// order (not person-score order), coordinates in model-input pixels
// (normalised graph value x input size).
struct MoveNetGraphOptions {
  int peak_window = kMoveNetPeakWindow;
  int max_people = kMoveNetMaxPeople;
  float keypoint_threshold = kMoveNetKeypointThreshold;
};

// `heads`: center_heatmap [H,W,1], box_scale [H,W,2], box_offset [H,W,2],
// keypoint_heatmap [H,W,17], keypoint_regression [H,W,34],
// keypoint_offset [H,W,34] (a leading batch of 1 is allowed), the module's
// output order. INVALID_ARGUMENT on other shapes.
absl::StatusOr<std::vector<PersonPose>> MoveNetGraphPoses(absl::Span<const Tensor> heads,
                                                          int input_width, int input_height,
                                                          const MoveNetGraphOptions& options);

struct MoveNetOptions {
  MoveNetGraphOptions graph;
  // People below this score are dropped. The score is centre confidence x
  // mean keypoint score: on face-api's six demo photos (letterboxed) 20 of
  // the 22 people scored 0.24-0.54, two 0.16 and 0.18 (their heads clear,
  // their bodies hidden by others), and the empty rows at most 0.013.
  // human uses 0.3 (body.minConfidence), which loses five of them.
  float person_score_threshold = 0.15f;
  // Two people are one when the mean distance between their noses and eyes
  // is below this fraction of the better one's eye distance.
  float same_head_fraction = 0.5f;
  // human pads the frame to a centred square before resizing (movenetfix.ts
  // padInput): the letterbox.
  FitMode fit = FitMode::kLetterbox;
  // The second look at faces without a pose (pose_refinement.h).
  PoseRefinementOptions refine;

  // Keys: peak_window, max_people, keypoint_threshold,
  // person_score_threshold, same_head_fraction, fit, refine_max_faces,
  // refine_half_width, refine_above, refine_below.
  static absl::StatusOr<MoveNetOptions> FromParameters(const ParameterMap& parameters);
  absl::Status Validate() const;
};

class MoveNetDecoder {
 public:
  static absl::StatusOr<MoveNetDecoder> Create(const MoveNetOptions& options, int input_width,
                                               int input_height);
  // Input size from config.input(0), options from config.parameters.
  static absl::StatusOr<MoveNetDecoder> FromConfig(const v1::ModelConfig& config);

  // People in image pixels (keypoints and box through `transform`, box
  // clipped to the image), at or above person_score_threshold, best first.
  absl::StatusOr<std::vector<PersonPose>> Decode(absl::Span<const Tensor> outputs,
                                                 const InputTransform& transform) const;

  const MoveNetOptions& options() const { return options_; }
  int input_width() const { return input_width_; }
  int input_height() const { return input_height_; }

 private:
  MoveNetDecoder(const MoveNetOptions& options, int input_width, int input_height)
      : options_(options), input_width_(input_width), input_height_(input_height) {}

  MoveNetOptions options_;
  int input_width_;
  int input_height_;
};

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_BODY_MOVENET_DECODER_H_

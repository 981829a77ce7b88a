// Runs-side helpers of the face mesh model (MediaPipe FaceMesh): the crop
// around a detected face and the decoding of its outputs into FaceLandmarks
// in image pixels.
//
// The crop follows human (src/face/facemesh.ts, facemeshutil.ts): the face
// detector's box enlarged box_scale (1.5) times about its centre, squared
// on its longer side, turned so that the eyes are level (human turns the
// image by the nose-mouth line when detector.rotation is on; we use the eye
// line, which BlazeFace places more steadily), black outside the image,
// resized to 192x192 and normalised as the config says (x / 255). The model
// answers 468 (x, y, z) in crop-input pixels; back in the image (human
// transformRawCoords): d = ((x, y) / input size - 0.5) * crop side,
// image = centre + R(angle) d; z is scaled like x. Measured on the demo
// photos: without turning, the mesh eyes of a tilted head (sample1, right)
// were 36 px from BlazeFace's eyes on a 153 px face.
//
// Pure and thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_FACE_FACE_MESH_H_
#define AFFECT_SERVER_ANALYSIS_FACE_FACE_MESH_H_

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "affect/v1/model_config.pb.h"
#include "opencv2/core.hpp"
#include "server/analysis/face/face_crop.h"
#include "server/analysis/face/face_detection_decoder.h"
#include "server/analysis/face/face_landmarks.h"
#include "server/analysis/geometry.h"
#include "server/analysis/parameters.h"
#include "server/tensor/tensor.h"

namespace affect::analysis {

struct FaceMeshOptions {
  // The detector's box grows this many times about its centre before
  // squaring (human enlargeBox default for the mesh crop).
  float box_scale = 1.5f;
  // Faces whose mesh confidence is below this are not reported (human drops
  // them below detector.minConfidence, 0.2 by default; random crops score
  // about 1e-10, a near-profile demo face 0.495).
  float min_face_confidence = 0.2f;
  // Turn the crop so that BlazeFace's eyes are level (needs its keypoints).
  bool align_eyes = true;

  // Keys: box_scale, min_face_confidence, align_eyes.
  static absl::StatusOr<FaceMeshOptions> FromParameters(const ParameterMap& parameters);
  absl::Status Validate() const;
};

// The square crop, in image pixels, for a detector box (may extend past the
// image). INVALID_ARGUMENT for an empty or non-finite box.
absl::StatusOr<Box> FaceMeshCropBox(const Box& face_box, float box_scale);

// The (square, maybe turned) region of the image the mesh model sees for a
// face. INVALID_ARGUMENT for an empty box, or missing eye keypoints when
// aligning.
absl::StatusOr<FaceCropRegion> FaceMeshRegion(const FaceDetection& face,
                                              const FaceMeshOptions& options);

// A face crop ready for the model, and the region it came from.
struct FaceMeshInput {
  Tensor tensor;  // no batch dimension
  FaceCropRegion region;
};

class FaceMeshReader {
 public:
  static absl::StatusOr<FaceMeshReader> Create(const FaceMeshOptions& options,
                                               const v1::TensorSpec& input_spec);
  // Input spec from config.input(0), options from config.parameters.
  static absl::StatusOr<FaceMeshReader> FromConfig(const v1::ModelConfig& config);

  // The model input for `face`. INVALID_ARGUMENT for an empty image or box.
  absl::StatusOr<FaceMeshInput> MakeInput(const cv::Mat& rgb, const FaceDetection& face) const;

  // `outputs`: face_confidence [1] and landmarks [1404] (a leading batch of
  // 1 is allowed), the module's order. Landmarks in image pixels through
  // `region`. INVALID_ARGUMENT on other shapes.
  absl::StatusOr<FaceLandmarks> Decode(absl::Span<const Tensor> outputs,
                                       const FaceCropRegion& region) const;

  // Whether the mesh confirmed a face (confidence >= min_face_confidence).
  bool Accepts(const FaceLandmarks& landmarks) const {
    return landmarks.confidence >= options_.min_face_confidence;
  }

  const FaceMeshOptions& options() const { return options_; }

 private:
  FaceMeshReader(const FaceMeshOptions& options, const v1::TensorSpec& input_spec, int width,
                 int height)
      : options_(options), input_spec_(input_spec), input_width_(width), input_height_(height) {}

  FaceMeshOptions options_;
  v1::TensorSpec input_spec_;
  int input_width_;
  int input_height_;
};

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_FACE_FACE_MESH_H_

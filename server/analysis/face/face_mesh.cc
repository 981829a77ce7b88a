#include "server/analysis/face/face_mesh.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "server/analysis/face/face_crop.h"
#include "server/analysis/image_input.h"
#include "server/common/status_macros.h"

namespace affect::analysis {

absl::StatusOr<FaceMeshOptions> FaceMeshOptions::FromParameters(const ParameterMap& parameters) {
  AFFECT_RETURN_IF_ERROR(
      CheckKnownParameters(parameters, {"box_scale", "min_face_confidence", "align_eyes"}));
  FaceMeshOptions options;
  AFFECT_RETURN_IF_ERROR(ReadFloatParameter(parameters, "box_scale", &options.box_scale));
  AFFECT_RETURN_IF_ERROR(
      ReadFloatParameter(parameters, "min_face_confidence", &options.min_face_confidence));
  AFFECT_RETURN_IF_ERROR(ReadBoolParameter(parameters, "align_eyes", &options.align_eyes));
  AFFECT_RETURN_IF_ERROR(options.Validate());
  return options;
}

absl::Status FaceMeshOptions::Validate() const {
  if (!(box_scale >= 1.0f && box_scale <= 4.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("box_scale must be in [1, 4], got ", box_scale));
  }
  if (!(min_face_confidence >= 0.0f && min_face_confidence <= 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_face_confidence must be in [0, 1], got ", min_face_confidence));
  }
  return absl::OkStatus();
}

absl::StatusOr<Box> FaceMeshCropBox(const Box& face_box, float box_scale) {
  if (!std::isfinite(face_box.x) || !std::isfinite(face_box.y) || face_box.empty() ||
      !std::isfinite(face_box.width) || !std::isfinite(face_box.height)) {
    return absl::InvalidArgumentError("face mesh crop: the face box is empty or not finite");
  }
  const float side = box_scale * std::max(face_box.width, face_box.height);
  return Box{face_box.center_x() - 0.5f * side, face_box.center_y() - 0.5f * side, side, side};
}

absl::StatusOr<FaceCropRegion> FaceMeshRegion(const FaceDetection& face,
                                              const FaceMeshOptions& options) {
  AFFECT_ASSIGN_OR_RETURN(const Box crop, FaceMeshCropBox(face.box, options.box_scale));
  FaceCropRegion region;
  region.center = Point{crop.center_x(), crop.center_y()};
  region.width = crop.width;
  region.height = crop.height;
  if (options.align_eyes) {
    if (static_cast<int>(face.keypoints.size()) < kBlazeFaceKeypoints) {
      return absl::InvalidArgumentError(
          "face mesh crop: align_eyes needs the detector's eye keypoints");
    }
    const Point right = face.keypoint(FaceKeypoint::kRightEye);
    const Point left = face.keypoint(FaceKeypoint::kLeftEye);
    // The person's right eye is on the image's left: right -> left points
    // along +x for an upright face.
    region.angle = std::atan2(left.y - right.y, left.x - right.x);
  }
  return region;
}

absl::StatusOr<FaceMeshReader> FaceMeshReader::Create(const FaceMeshOptions& options,
                                                      const v1::TensorSpec& input_spec) {
  AFFECT_RETURN_IF_ERROR(options.Validate());
  AFFECT_ASSIGN_OR_RETURN(const ImageInputShape shape, ImageInputShapeOf(input_spec));
  if (shape.channels != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("face mesh input '", input_spec.name(), "' must have 3 channels"));
  }
  return FaceMeshReader(options, input_spec, shape.width, shape.height);
}

absl::StatusOr<FaceMeshReader> FaceMeshReader::FromConfig(const v1::ModelConfig& config) {
  if (config.input_size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("face mesh model '", config.name(), "' must have one input"));
  }
  absl::StatusOr<FaceMeshOptions> options = FaceMeshOptions::FromParameters(config.parameters());
  if (!options.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("face mesh model '", config.name(), "': ", options.status().message()));
  }
  return Create(*options, config.input(0));
}

absl::StatusOr<FaceMeshInput> FaceMeshReader::MakeInput(const cv::Mat& rgb,
                                                        const FaceDetection& face) const {
  AFFECT_ASSIGN_OR_RETURN(const FaceCropRegion region, FaceMeshRegion(face, options_));
  AFFECT_ASSIGN_OR_RETURN(cv::Mat pixels, CropFace(rgb, region, input_width_, input_height_,
                                                   input_spec_.normalization().resize()));
  AFFECT_ASSIGN_OR_RETURN(Tensor tensor, PixelsToTensor(pixels, input_spec_));
  return FaceMeshInput{std::move(tensor), region};
}

absl::StatusOr<FaceLandmarks> FaceMeshReader::Decode(absl::Span<const Tensor> outputs,
                                                     const FaceCropRegion& region) const {
  if (outputs.size() != 2 || outputs[0].num_elements() != 1 ||
      outputs[1].num_elements() != 3 * kFaceMeshLandmarkCount) {
    return absl::InvalidArgumentError(
        absl::StrCat("face mesh needs 2 outputs (face_confidence [1], landmarks [",
                     3 * kFaceMeshLandmarkCount, "]), got ", outputs.size(),
                     outputs.empty() ? "" : ": ", outputs.empty() ? "" : outputs[0].DebugString(),
                     outputs.size() > 1 ? " " + outputs[1].DebugString() : ""));
  }
  FaceLandmarks landmarks;
  landmarks.confidence = outputs[0].data()[0];
  const float* raw = outputs[1].data();
  const float scale_x = region.width / static_cast<float>(input_width_);
  const float scale_y = region.height / static_cast<float>(input_height_);
  const float cos_a = std::cos(region.angle);
  const float sin_a = std::sin(region.angle);
  for (int i = 0; i < kFaceMeshLandmarkCount; ++i) {
    Landmark3& point = landmarks.points[static_cast<size_t>(i)];
    // Crop pixels -> offset from the crop centre, turned back into the image.
    const float dx = raw[3 * i] * scale_x - 0.5f * region.width;
    const float dy = raw[3 * i + 1] * scale_y - 0.5f * region.height;
    point.x = region.center.x + cos_a * dx - sin_a * dy;
    point.y = region.center.y + sin_a * dx + cos_a * dy;
    point.z = raw[3 * i + 2] * scale_x;
  }
  return landmarks;
}

}  // namespace affect::analysis

// Turns an RGB image into a model's input tensor, following the model's
// TensorSpec (size, colour format, normalisation, layout), and maps model
// coordinates back to image pixels.
//
// Images are cv::Mat CV_8UC3 in RGB order (the media decoder's output).
// Tensors come WITHOUT the batch dimension (InferenceRequest items).
//
// Normalisation (model_config.proto): value[c] = (pixel[c] - mean[c]) *
// scale + offset, pixel in [0, 255]. GRAY is 0.2989 R + 0.5870 G + 0.1140 B
// computed in float (the formula the emotion model's reference uses; OpenCV's
// cvtColor rounds to 8 bits and uses 0.299).
//
// All functions are pure and thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_IMAGE_INPUT_H_
#define AFFECT_SERVER_ANALYSIS_IMAGE_INPUT_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "affect/v1/model_config.pb.h"
#include "opencv2/core.hpp"
#include "server/analysis/geometry.h"
#include "server/tensor/tensor.h"

namespace affect::analysis {

// How an image of another aspect ratio is fitted to the model's input.
enum class FitMode {
  // Resize each axis independently (aspect ratio changes). What the
  // @vladmandic/human reference does for CenterNet and the selfie segmenter.
  kStretch,
  // Scale to fit inside, keep the aspect ratio, pad with black, centred.
  // MediaPipe's face detection graphs do this (keep_aspect_ratio), so faces
  // keep their proportions, which BlazeFace's square anchors expect.
  kLetterbox,
};

// "stretch" or "letterbox" (case-insensitive); INVALID_ARGUMENT otherwise.
absl::StatusOr<FitMode> ParseFitMode(absl::string_view text);
absl::string_view FitModeName(FitMode fit);

// The spatial shape of an image input, read from a TensorSpec.
struct ImageInputShape {
  int height = 0;
  int width = 0;
  int channels = 0;
  v1::TensorLayout layout = v1::TENSOR_LAYOUT_NHWC;
};

// Reads height, width and channels from `spec.dims` ([H,W,C] for NHWC,
// [C,H,W] for NCHW; no batch dimension) and checks them against the colour
// format (1 channel for GRAY, 3 for RGB/BGR), the mean (empty, one value, or
// one per channel) and the scale (non-zero). INVALID_ARGUMENT naming the
// problem otherwise.
absl::StatusOr<ImageInputShape> ImageInputShapeOf(const v1::TensorSpec& spec);

// model = image * scale + offset, per axis, in continuous pixel coordinates
// (pixel i covers [i, i + 1)). A value type; trivially thread-safe.
struct InputTransform {
  float scale_x = 1.0f;
  float scale_y = 1.0f;
  float offset_x = 0.0f;
  float offset_y = 0.0f;
  int input_width = 0;
  int input_height = 0;
  int image_width = 0;
  int image_height = 0;

  Point ToImage(Point model) const;
  Box ToImage(const Box& model) const;
  Point ToModel(Point image) const;
  Box ToModel(const Box& image) const;
};

// The transform a resize of an image_width x image_height image to
// input_width x input_height produces under `fit`. Letterboxing scales by the
// smaller ratio, rounds the content size to whole pixels and centres it
// (floor of half the padding on the left/top).
InputTransform MakeInputTransform(int image_width, int image_height, int input_width,
                                  int input_height, FitMode fit);

// `crop`, the transform of a region whose top-left corner is at (crop_x,
// crop_y) in an image_width x image_height image, as a transform of the
// whole image: model coordinates then map straight to the whole image's
// pixels (a second look at part of a frame answers in frame pixels).
InputTransform OfCropInImage(const InputTransform& crop, int crop_x, int crop_y,
                             int image_width, int image_height);

// OK for a non-empty CV_8UC3 image, INVALID_ARGUMENT otherwise.
absl::Status ValidateRgbImage(const cv::Mat& image);

// cv::resize interpolation flag for a config resize method (UNSPECIFIED is
// bilinear).
int ToOpenCvInterpolation(v1::ResizeMethod method);

// Normalises pixels that already have the model's spatial size into a
// tensor shaped like `spec.dims`. INVALID_ARGUMENT when `rgb` is not CV_8UC3,
// its size differs from the spec, or the spec is not an image spec.
absl::StatusOr<Tensor> PixelsToTensor(const cv::Mat& rgb, const v1::TensorSpec& spec);

struct ImageTensor {
  Tensor tensor;
  InputTransform transform;
};

// Resizes `rgb` to the spec's size (spec.normalization.resize) under `fit`,
// then normalises. INVALID_ARGUMENT for an empty/non-RGB image or a bad spec.
absl::StatusOr<ImageTensor> MakeImageTensor(const cv::Mat& rgb, const v1::TensorSpec& spec,
                                            FitMode fit);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_IMAGE_INPUT_H_

#include "server/analysis/image_input.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "opencv2/imgproc.hpp"
#include "server/common/status_macros.h"

namespace affect::analysis {
namespace {

// Luma weights of the GRAY colour format (model_config.proto).
constexpr float kGrayRed = 0.2989f;
constexpr float kGrayGreen = 0.5870f;
constexpr float kGrayBlue = 0.1140f;

int ChannelsFor(v1::ColorFormat format) { return format == v1::COLOR_FORMAT_GRAY ? 1 : 3; }

}  // namespace

absl::StatusOr<FitMode> ParseFitMode(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "stretch") return FitMode::kStretch;
  if (lower == "letterbox") return FitMode::kLetterbox;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown fit mode '", text, "': use stretch or letterbox"));
}

absl::string_view FitModeName(FitMode fit) {
  return fit == FitMode::kStretch ? "stretch" : "letterbox";
}

absl::StatusOr<ImageInputShape> ImageInputShapeOf(const v1::TensorSpec& spec) {
  if (spec.dims_size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("input '", spec.name(), "' has ", spec.dims_size(),
                     " dims; an image input needs 3 (without the batch dimension)"));
  }
  ImageInputShape shape;
  shape.layout = spec.layout() == v1::TENSOR_LAYOUT_UNSPECIFIED ? v1::TENSOR_LAYOUT_NHWC
                                                                 : spec.layout();
  if (shape.layout == v1::TENSOR_LAYOUT_NHWC) {
    shape.height = static_cast<int>(spec.dims(0));
    shape.width = static_cast<int>(spec.dims(1));
    shape.channels = static_cast<int>(spec.dims(2));
  } else if (shape.layout == v1::TENSOR_LAYOUT_NCHW) {
    shape.channels = static_cast<int>(spec.dims(0));
    shape.height = static_cast<int>(spec.dims(1));
    shape.width = static_cast<int>(spec.dims(2));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("input '", spec.name(), "' needs layout NHWC or NCHW for an image"));
  }
  if (shape.height <= 0 || shape.width <= 0 || shape.height > 16384 || shape.width > 16384) {
    return absl::InvalidArgumentError(absl::StrCat("input '", spec.name(), "' has size ",
                                                   shape.width, "x", shape.height));
  }
  const v1::Normalization& norm = spec.normalization();
  const int expected_channels = ChannelsFor(norm.color_format());
  if (shape.channels != expected_channels) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input '", spec.name(), "' has ", shape.channels, " channels but colour format ",
        v1::ColorFormat_Name(norm.color_format()), " needs ", expected_channels));
  }
  if (norm.mean_size() != 0 && norm.mean_size() != 1 && norm.mean_size() != shape.channels) {
    return absl::InvalidArgumentError(absl::StrCat("input '", spec.name(), "' has ",
                                                   norm.mean_size(), " mean values for ",
                                                   shape.channels, " channels"));
  }
  if (norm.scale() == 0.0f || !std::isfinite(norm.scale())) {
    return absl::InvalidArgumentError(
        absl::StrCat("input '", spec.name(), "' has normalization.scale 0"));
  }
  return shape;
}

Point InputTransform::ToImage(Point model) const {
  return Point{(model.x - offset_x) / scale_x, (model.y - offset_y) / scale_y};
}

Box InputTransform::ToImage(const Box& model) const {
  const Point top_left = ToImage(Point{model.x, model.y});
  return Box{top_left.x, top_left.y, model.width / scale_x, model.height / scale_y};
}

Point InputTransform::ToModel(Point image) const {
  return Point{image.x * scale_x + offset_x, image.y * scale_y + offset_y};
}

Box InputTransform::ToModel(const Box& image) const {
  const Point top_left = ToModel(Point{image.x, image.y});
  return Box{top_left.x, top_left.y, image.width * scale_x, image.height * scale_y};
}

InputTransform MakeInputTransform(int image_width, int image_height, int input_width,
                                  int input_height, FitMode fit) {
  InputTransform t;
  t.image_width = image_width;
  t.image_height = image_height;
  t.input_width = input_width;
  t.input_height = input_height;
  if (image_width <= 0 || image_height <= 0) return t;
  if (fit == FitMode::kStretch) {
    t.scale_x = static_cast<float>(input_width) / static_cast<float>(image_width);
    t.scale_y = static_cast<float>(input_height) / static_cast<float>(image_height);
    return t;
  }
  const double ratio = std::min(static_cast<double>(input_width) / image_width,
                                static_cast<double>(input_height) / image_height);
  const int content_width = std::clamp(static_cast<int>(std::lround(image_width * ratio)), 1,
                                       input_width);
  const int content_height = std::clamp(static_cast<int>(std::lround(image_height * ratio)), 1,
                                        input_height);
  t.scale_x = static_cast<float>(content_width) / static_cast<float>(image_width);
  t.scale_y = static_cast<float>(content_height) / static_cast<float>(image_height);
  t.offset_x = static_cast<float>((input_width - content_width) / 2);
  t.offset_y = static_cast<float>((input_height - content_height) / 2);
  return t;
}

InputTransform OfCropInImage(const InputTransform& crop, int crop_x, int crop_y,
                             int image_width, int image_height) {
  // model = (image - crop origin) * scale + offset.
  InputTransform t = crop;
  t.offset_x -= static_cast<float>(crop_x) * crop.scale_x;
  t.offset_y -= static_cast<float>(crop_y) * crop.scale_y;
  t.image_width = image_width;
  t.image_height = image_height;
  return t;
}

absl::Status ValidateRgbImage(const cv::Mat& image) {
  if (image.empty()) return absl::InvalidArgumentError("image is empty");
  if (image.type() != CV_8UC3) {
    return absl::InvalidArgumentError(
        absl::StrCat("image must be 8-bit RGB (CV_8UC3), got OpenCV type ", image.type()));
  }
  return absl::OkStatus();
}

int ToOpenCvInterpolation(v1::ResizeMethod method) {
  switch (method) {
    case v1::RESIZE_METHOD_AREA:
      return cv::INTER_AREA;
    case v1::RESIZE_METHOD_NEAREST:
      return cv::INTER_NEAREST;
    default:
      return cv::INTER_LINEAR;
  }
}

absl::StatusOr<Tensor> PixelsToTensor(const cv::Mat& rgb, const v1::TensorSpec& spec) {
  AFFECT_RETURN_IF_ERROR(ValidateRgbImage(rgb));
  AFFECT_ASSIGN_OR_RETURN(const ImageInputShape shape, ImageInputShapeOf(spec));
  if (rgb.cols != shape.width || rgb.rows != shape.height) {
    return absl::InvalidArgumentError(absl::StrCat("pixels are ", rgb.cols, "x", rgb.rows,
                                                   ", input '", spec.name(), "' needs ",
                                                   shape.width, "x", shape.height));
  }
  const v1::Normalization& norm = spec.normalization();
  std::array<float, 3> mean = {0.0f, 0.0f, 0.0f};
  for (int c = 0; c < shape.channels; ++c) {
    if (norm.mean_size() == 1) mean[static_cast<size_t>(c)] = norm.mean(0);
    if (norm.mean_size() == shape.channels) mean[static_cast<size_t>(c)] = norm.mean(c);
  }
  const float scale = norm.scale();
  const float offset = norm.offset();
  const bool nchw = shape.layout == v1::TENSOR_LAYOUT_NCHW;
  const int64_t plane = static_cast<int64_t>(shape.height) * shape.width;
  std::vector<int64_t> dims(spec.dims().begin(), spec.dims().end());
  Tensor tensor(std::move(dims));
  float* out = tensor.data();
  for (int y = 0; y < shape.height; ++y) {
    const cv::Vec3b* row = rgb.ptr<cv::Vec3b>(y);
    for (int x = 0; x < shape.width; ++x) {
      const float r = row[x][0];
      const float g = row[x][1];
      const float b = row[x][2];
      std::array<float, 3> values;
      switch (norm.color_format()) {
        case v1::COLOR_FORMAT_GRAY:
          values[0] = kGrayRed * r + kGrayGreen * g + kGrayBlue * b;
          break;
        case v1::COLOR_FORMAT_BGR:
          values = {b, g, r};
          break;
        default:
          values = {r, g, b};
          break;
      }
      const int64_t pixel = static_cast<int64_t>(y) * shape.width + x;
      for (int c = 0; c < shape.channels; ++c) {
        const size_t ci = static_cast<size_t>(c);
        const float value = (values[ci] - mean[ci]) * scale + offset;
        const int64_t index = nchw ? c * plane + pixel : pixel * shape.channels + c;
        out[index] = value;
      }
    }
  }
  return tensor;
}

absl::StatusOr<ImageTensor> MakeImageTensor(const cv::Mat& rgb, const v1::TensorSpec& spec,
                                            FitMode fit) {
  AFFECT_RETURN_IF_ERROR(ValidateRgbImage(rgb));
  AFFECT_ASSIGN_OR_RETURN(const ImageInputShape shape, ImageInputShapeOf(spec));
  ImageTensor result;
  result.transform = MakeInputTransform(rgb.cols, rgb.rows, shape.width, shape.height, fit);
  const InputTransform& t = result.transform;
  const int interpolation = ToOpenCvInterpolation(spec.normalization().resize());
  cv::Mat resized;
  if (rgb.cols == shape.width && rgb.rows == shape.height) {
    resized = rgb;
  } else if (fit == FitMode::kStretch) {
    cv::resize(rgb, resized, cv::Size(shape.width, shape.height), 0, 0, interpolation);
  } else {
    const int content_width = static_cast<int>(std::lround(t.scale_x * rgb.cols));
    const int content_height = static_cast<int>(std::lround(t.scale_y * rgb.rows));
    resized = cv::Mat(shape.height, shape.width, CV_8UC3, cv::Scalar(0, 0, 0));
    cv::Mat content = resized(cv::Rect(static_cast<int>(t.offset_x), static_cast<int>(t.offset_y),
                                       content_width, content_height));
    cv::resize(rgb, content, content.size(), 0, 0, interpolation);
  }
  AFFECT_ASSIGN_OR_RETURN(result.tensor, PixelsToTensor(resized, spec));
  return result;
}

}  // namespace affect::analysis

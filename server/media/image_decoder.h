// Image input: encoded files (JPEG, PNG, BMP, WebP) or raw pixels -> an RGB
// cv::Mat, with the checks that keep hostile input from hurting the server.
//
// The pixel-count limit is checked from the file header BEFORE any pixel is
// decoded (a 50 KB PNG can claim 100000 x 100000 pixels: a decompression
// bomb). Truncated files are rejected instead of decoded into grey bands.
#ifndef AFFECT_SERVER_MEDIA_IMAGE_DECODER_H_
#define AFFECT_SERVER_MEDIA_IMAGE_DECODER_H_

#include <cstdint>
#include <string>

#include <opencv2/core/mat.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "affect/v1/media.pb.h"

namespace affect {

enum class ImageFormat { kUnknown, kJpeg, kPng, kBmp, kWebp };

struct ImageHeader {
  ImageFormat format = ImageFormat::kUnknown;
  uint32_t width = 0;
  uint32_t height = 0;
};

// Reads format and dimensions from the first bytes, without decoding.
// INVALID_ARGUMENT for an unknown format or a header too short or corrupt.
absl::StatusOr<ImageHeader> ReadImageHeader(absl::string_view bytes);

// JPEGs with more scans are refused before decoding: each scan of a
// progressive JPEG is a pass over the whole image, so thousands of tiny scans
// make a small file cost minutes of decoding. Encoders write about 10
// (libjpeg's default progression); libjpeg-turbo's own fuzzers stop at 500.
inline constexpr int kMaxJpegScans = 100;

struct ImageDecodeOptions {
  int64_t max_pixels = 40'000'000;
};

// Every check DecodeImage makes before it decodes a pixel (format, header,
// pixel limit, truncation, JPEG scan count, raw size), cheap enough to run on
// the gRPC thread so a bad or oversized image is refused before it waits for
// a decoder.
// Returns the image's pixel count (the work it will cost to decode).
absl::StatusOr<int64_t> CheckImageBeforeDecoding(const v1::Image& image,
                                                 const ImageDecodeOptions& options);

// Decodes `image` to 8-bit RGB (CV_8UC3). Errors name the field:
//   INVALID_ARGUMENT "image: no pixels (set encoded or raw)"
//   INVALID_ARGUMENT "image.encoded: truncated JPEG (no end-of-image marker)"
//   INVALID_ARGUMENT "image.raw.data: got 100 bytes, expected 640x480x3 = 921600"
//   OUT_OF_RANGE     "image: 20000x20000 = 400000000 pixels exceeds the limit of 40000000"
absl::StatusOr<cv::Mat> DecodeImage(const v1::Image& image, const ImageDecodeOptions& options);

// DecodeImage without the checks, for an image CheckImageBeforeDecoding has
// already accepted (the walk over a JPEG's scans need not run twice).
// REQUIRES: CheckImageBeforeDecoding(image, ...) returned OK.
absl::StatusOr<cv::Mat> DecodeCheckedImage(const v1::Image& image);

std::string ImageFormatName(ImageFormat format);

}  // namespace affect

#endif  // AFFECT_SERVER_MEDIA_IMAGE_DECODER_H_

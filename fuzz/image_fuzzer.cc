// libFuzzer target: image header parsing, the pre-decode checks and decoding
// (server/media/image_decoder.h) on arbitrary bytes.
//
// The first byte picks the path: even = encoded file (the rest of the
// input), odd = raw pixels (width, height and format from the next bytes).
// Invariants: never crash; a failure is INVALID_ARGUMENT or OUT_OF_RANGE; a
// success is an 8-bit RGB image within the pixel limit whose size matches
// the header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "affect/v1/media.pb.h"
#include "server/media/image_decoder.h"

namespace {

// Small enough that each decode takes milliseconds.
constexpr int64_t kMaxPixels = 1 << 20;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  affect::v1::Image image;
  if ((data[0] & 1) == 0) {
    image.set_encoded(rest);
    (void)affect::ReadImageHeader(rest);
  } else {
    if (rest.size() < 5) return 0;
    const auto* p = reinterpret_cast<const uint8_t*>(rest.data());
    image.mutable_raw()->set_width(p[0] | (p[1] << 8));
    image.mutable_raw()->set_height(p[2] | (p[3] << 8));
    image.mutable_raw()->set_format(static_cast<affect::v1::PixelFormat>(p[4] % 8));
    image.mutable_raw()->set_data(rest.substr(5));
  }
  affect::ImageDecodeOptions options;
  options.max_pixels = kMaxPixels;
  const absl::StatusOr<int64_t> pixels = affect::CheckImageBeforeDecoding(image, options);
  if (pixels.ok()) Check(*pixels >= 0 && *pixels <= kMaxPixels);
  const absl::StatusOr<cv::Mat> decoded = affect::DecodeImage(image, options);
  if (!decoded.ok()) {
    Check(decoded.status().code() == absl::StatusCode::kInvalidArgument ||
          decoded.status().code() == absl::StatusCode::kOutOfRange);
    return 0;
  }
  Check(pixels.ok());
  Check(decoded->type() == CV_8UC3);
  Check(int64_t{decoded->rows} * decoded->cols <= kMaxPixels);
  return 0;
}

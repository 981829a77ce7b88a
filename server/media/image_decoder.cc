#include "server/media/image_decoder.h"

#include <cstdlib>
#include <cstring>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"

namespace affect {
namespace {

uint32_t ReadBigEndian16(const unsigned char* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t ReadBigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint32_t ReadLittleEndian16(const unsigned char* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8); }
uint32_t ReadLittleEndian24(const unsigned char* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16);
}
uint32_t ReadLittleEndian32(const unsigned char* p) {
  return ReadLittleEndian24(p) | (uint32_t{p[3]} << 24);
}

absl::Status Corrupt(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("image.encoded: ", what));
}

// JPEG: walk the marker segments up to a start-of-frame (SOF0..SOF15 except
// DHT/JPG/DAC) and read its height and width.
absl::StatusOr<ImageHeader> ReadJpegHeader(const unsigned char* p, size_t size) {
  size_t pos = 2;
  while (pos + 4 <= size) {
    if (p[pos] != 0xFF) return Corrupt("corrupt JPEG (bad marker before the frame header)");
    const unsigned char marker = p[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      pos += 2;  // markers without a length
      continue;
    }
    const uint32_t length = ReadBigEndian16(p + pos + 2);
    if (length < 2) return Corrupt("corrupt JPEG (segment length < 2)");
    const bool is_frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 &&
                          marker != 0xC8 && marker != 0xCC;
    if (is_frame) {
      if (pos + 9 > size) return Corrupt("truncated JPEG frame header");
      ImageHeader header{ImageFormat::kJpeg, ReadBigEndian16(p + pos + 7),
                         ReadBigEndian16(p + pos + 5)};
      return header;
    }
    if (marker == 0xDA || marker == 0xD9) break;  // scan or end before any frame
    pos += 2 + length;
  }
  return Corrupt("JPEG without a frame header (truncated or corrupt)");
}

// Counts the scans (SOS segments) of a JPEG by walking its markers and
// skipping each scan's entropy-coded data (where FF is followed by 00 or by
// a restart marker), and refuses more than kMaxJpegScans. A progressive
// JPEG's decoder makes a pass over the whole coefficient buffer for every
// scan, so a small file of thousands of tiny scans costs thousands of
// full-image passes. Damage the walk cannot follow is left to the decoder.
absl::Status CheckJpegScanCount(const unsigned char* p, size_t size) {
  size_t pos = 2;
  int scans = 0;
  while (pos + 4 <= size) {
    if (p[pos] != 0xFF) return absl::OkStatus();
    const unsigned char marker = p[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD9) return absl::OkStatus();  // end of image
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      pos += 2;
      continue;
    }
    pos += 2 + ReadBigEndian16(p + pos + 2);
    if (marker != 0xDA) continue;
    if (++scans > kMaxJpegScans) {
      return Corrupt(absl::StrCat("JPEG with more than ", kMaxJpegScans,
                                  " scans (encoders write about 10): refused before decoding"));
    }
    // Entropy-coded data up to the next marker.
    while (pos < size) {
      const void* found = std::memchr(p + pos, 0xFF, size - pos);
      if (found == nullptr) return absl::OkStatus();
      pos = static_cast<size_t>(static_cast<const unsigned char*>(found) - p);
      if (pos + 1 >= size) return absl::OkStatus();
      const unsigned char next = p[pos + 1];
      if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
        pos += 2;  // stuffed byte or restart marker: still in the scan
      } else if (next == 0xFF) {
        ++pos;  // fill before a marker
      } else {
        break;  // the marker after the scan
      }
    }
  }
  return absl::OkStatus();
}

// A complete JPEG ends with the end-of-image marker FFD9 (some writers add a
// few bytes of padding after it).
bool JpegHasEnd(const unsigned char* p, size_t size) {
  const size_t window = std::min<size_t>(size, 64);
  for (size_t i = size - window; i + 1 < size; ++i) {
    if (p[i] == 0xFF && p[i + 1] == 0xD9) return true;
  }
  return false;
}

// A complete PNG ends with the IEND chunk.
bool PngHasEnd(const unsigned char* p, size_t size) {
  static constexpr unsigned char kIend[] = {0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82};
  const size_t window = std::min<size_t>(size, 64);
  for (size_t i = size - window; i + sizeof(kIend) <= size; ++i) {
    if (std::equal(kIend, kIend + sizeof(kIend), p + i)) return true;
  }
  return false;
}

int ChannelsOf(v1::PixelFormat format) {
  switch (format) {
    case v1::PIXEL_FORMAT_RGB8:
    case v1::PIXEL_FORMAT_BGR8:
      return 3;
    case v1::PIXEL_FORMAT_RGBA8:
    case v1::PIXEL_FORMAT_BGRA8:
      return 4;
    case v1::PIXEL_FORMAT_GRAY8:
      return 1;
    default:
      return 0;
  }
}

absl::Status CheckPixelCount(uint32_t width, uint32_t height, int64_t max_pixels) {
  if (width == 0 || height == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("image: ", width, "x", height, " has no pixels"));
  }
  // Unsigned 64-bit: two 32-bit header fields multiply to as much as
  // 2^64 - 2^33 + 1, which overflowed int64 (undefined; in practice a
  // negative count that passed the limit).
  const uint64_t pixels = uint64_t{width} * uint64_t{height};
  if (max_pixels < 0 || pixels > static_cast<uint64_t>(max_pixels)) {
    return absl::OutOfRangeError(absl::StrCat("image: ", width, "x", height, " = ", pixels,
                                              " pixels exceeds the limit of ", max_pixels,
                                              " (--max_image_pixels); downscale it first"));
  }
  return absl::OkStatus();
}

// Converts raw pixels already checked by CheckImageBeforeDecoding.
absl::StatusOr<cv::Mat> DecodeRaw(const v1::RawImage& raw) {
  const int channels = ChannelsOf(raw.format());
  const cv::Mat view(static_cast<int>(raw.height()), static_cast<int>(raw.width()),
                     CV_8UC(channels), const_cast<char*>(raw.data().data()));
  cv::Mat rgb;
  switch (raw.format()) {
    case v1::PIXEL_FORMAT_RGB8:
      rgb = view.clone();
      break;
    case v1::PIXEL_FORMAT_BGR8:
      cv::cvtColor(view, rgb, cv::COLOR_BGR2RGB);
      break;
    case v1::PIXEL_FORMAT_RGBA8:
      cv::cvtColor(view, rgb, cv::COLOR_RGBA2RGB);
      break;
    case v1::PIXEL_FORMAT_BGRA8:
      cv::cvtColor(view, rgb, cv::COLOR_BGRA2RGB);
      break;
    default:
      cv::cvtColor(view, rgb, cv::COLOR_GRAY2RGB);
  }
  return rgb;
}

}  // namespace

std::string ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kBmp:
      return "BMP";
    case ImageFormat::kWebp:
      return "WebP";
    case ImageFormat::kUnknown:
      break;
  }
  return "unknown";
}

absl::StatusOr<ImageHeader> ReadImageHeader(absl::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t size = bytes.size();
  if (size >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return ReadJpegHeader(p, size);
  static constexpr unsigned char kPngMagic[] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (size >= 8 && std::equal(kPngMagic, kPngMagic + 8, p)) {
    if (size < 24 || std::string(reinterpret_cast<const char*>(p + 12), 4) != "IHDR") {
      return Corrupt("truncated PNG header");
    }
    return ImageHeader{ImageFormat::kPng, ReadBigEndian32(p + 16), ReadBigEndian32(p + 20)};
  }
  if (size >= 2 && p[0] == 'B' && p[1] == 'M') {
    if (size < 26) return Corrupt("truncated BMP header");
    // OS/2 1.x bitmaps (a 12-byte BITMAPCOREHEADER) store 16-bit unsigned
    // dimensions; every later header stores signed 32-bit ones.
    if (ReadLittleEndian32(p + 14) == 12) {
      return ImageHeader{ImageFormat::kBmp, ReadLittleEndian16(p + 18), ReadLittleEndian16(p + 20)};
    }
    const auto width = static_cast<int32_t>(ReadLittleEndian32(p + 18));
    const auto height = static_cast<int32_t>(ReadLittleEndian32(p + 22));
    // Height is negative for top-down bitmaps.
    // Magnitude in 64 bits: std::abs(INT32_MIN) overflows.
    return ImageHeader{ImageFormat::kBmp, static_cast<uint32_t>(std::llabs(int64_t{width})),
                       static_cast<uint32_t>(std::llabs(int64_t{height}))};
  }
  if (size >= 12 && std::string(reinterpret_cast<const char*>(p), 4) == "RIFF" &&
      std::string(reinterpret_cast<const char*>(p + 8), 4) == "WEBP") {
    if (size < 30) return Corrupt("truncated WebP header");
    const std::string chunk(reinterpret_cast<const char*>(p + 12), 4);
    if (chunk == "VP8 ") {
      return ImageHeader{ImageFormat::kWebp, ReadLittleEndian16(p + 26) & 0x3FFF,
                         ReadLittleEndian16(p + 28) & 0x3FFF};
    }
    if (chunk == "VP8L") {
      const uint32_t bits = ReadLittleEndian32(p + 21);
      return ImageHeader{ImageFormat::kWebp, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
    }
    if (chunk == "VP8X") {
      return ImageHeader{ImageFormat::kWebp, ReadLittleEndian24(p + 24) + 1,
                         ReadLittleEndian24(p + 27) + 1};
    }
    return Corrupt("unknown WebP chunk");
  }
  return absl::InvalidArgumentError(
      "image.encoded: not a JPEG, PNG, BMP or WebP file (unrecognised leading bytes)");
}

absl::StatusOr<int64_t> CheckImageBeforeDecoding(const v1::Image& image,
                                                 const ImageDecodeOptions& options) {
  if (image.has_raw()) {
    const v1::RawImage& raw = image.raw();
    const int channels = ChannelsOf(raw.format());
    if (channels == 0) {
      return absl::InvalidArgumentError(
          "image.raw.format: must be set (RGB8, BGR8, RGBA8, BGRA8 or GRAY8)");
    }
    AFFECT_RETURN_IF_ERROR(CheckPixelCount(raw.width(), raw.height(), options.max_pixels));
    const uint64_t expected =
        uint64_t{raw.width()} * raw.height() * static_cast<uint64_t>(channels);
    if (raw.data().size() != expected) {
      return absl::InvalidArgumentError(absl::StrCat(
          "image.raw.data: got ", raw.data().size(), " bytes, expected ", raw.width(), "x",
          raw.height(), "x", channels, " = ", expected));
    }
    return int64_t{raw.width()} * int64_t{raw.height()};
  }
  if (image.encoded().empty()) {
    return absl::InvalidArgumentError("image: no pixels (set encoded or raw)");
  }
  const std::string& bytes = image.encoded();
  AFFECT_ASSIGN_OR_RETURN(const ImageHeader header, ReadImageHeader(bytes));
  AFFECT_RETURN_IF_ERROR(CheckPixelCount(header.width, header.height, options.max_pixels));
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (header.format == ImageFormat::kJpeg) {
    if (!JpegHasEnd(p, bytes.size())) return Corrupt("truncated JPEG (no end-of-image marker)");
    AFFECT_RETURN_IF_ERROR(CheckJpegScanCount(p, bytes.size()));
  }
  if (header.format == ImageFormat::kPng && !PngHasEnd(p, bytes.size())) {
    return Corrupt("truncated PNG (no IEND chunk)");
  }
  return int64_t{header.width} * int64_t{header.height};
}

absl::StatusOr<cv::Mat> DecodeImage(const v1::Image& image, const ImageDecodeOptions& options) {
  AFFECT_RETURN_IF_ERROR(CheckImageBeforeDecoding(image, options).status());
  return DecodeCheckedImage(image);
}

absl::StatusOr<cv::Mat> DecodeCheckedImage(const v1::Image& image) {
  if (image.has_raw()) return DecodeRaw(image.raw());
  const std::string& bytes = image.encoded();
  AFFECT_ASSIGN_OR_RETURN(const ImageHeader header, ReadImageHeader(bytes));
  cv::Mat bgr;
  try {
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    bgr = cv::imdecode(buffer, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return Corrupt(absl::StrCat("cannot decode ", ImageFormatName(header.format), ": ", e.what()));
  }
  if (bgr.empty()) {
    return Corrupt(absl::StrCat("cannot decode ", ImageFormatName(header.format),
                                " (corrupt or unsupported variant)"));
  }
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

}  // namespace affect

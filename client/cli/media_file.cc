#include "client/cli/media_file.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/connection.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"

namespace affect::client {
namespace {

bool HasPrefix(absl::string_view bytes, absl::string_view prefix, size_t at = 0) {
  return bytes.size() >= at + prefix.size() && bytes.substr(at, prefix.size()) == prefix;
}

std::string LeadingBytes(absl::string_view bytes) {
  std::string hex;
  for (size_t i = 0; i < bytes.size() && i < 8; ++i) {
    absl::StrAppendFormat(&hex, "%s%02x", i == 0 ? "" : " ", static_cast<unsigned char>(bytes[i]));
  }
  return hex;
}

}  // namespace

MediaKind DetectMediaKind(absl::string_view bytes) {
  if (HasPrefix(bytes, "\xFF\xD8\xFF")) return MediaKind::kJpeg;
  if (HasPrefix(bytes, "\x89PNG\r\n\x1A\n")) return MediaKind::kPng;
  if (HasPrefix(bytes, "BM") && bytes.size() >= 26) return MediaKind::kBmp;
  if (HasPrefix(bytes, "RIFF") && HasPrefix(bytes, "WEBP", 8)) return MediaKind::kWebp;
  if (HasPrefix(bytes, "RIFF") && HasPrefix(bytes, "WAVE", 8)) return MediaKind::kWav;
  return MediaKind::kUnknown;
}

absl::string_view MediaKindName(MediaKind kind) {
  switch (kind) {
    case MediaKind::kJpeg:
      return "JPEG";
    case MediaKind::kPng:
      return "PNG";
    case MediaKind::kBmp:
      return "BMP";
    case MediaKind::kWebp:
      return "WebP";
    case MediaKind::kWav:
      return "WAV";
    case MediaKind::kUnknown:
      break;
  }
  return "unknown";
}

bool IsImageKind(MediaKind kind) {
  return kind == MediaKind::kJpeg || kind == MediaKind::kPng || kind == MediaKind::kBmp ||
         kind == MediaKind::kWebp;
}

absl::StatusOr<MediaInput> MediaInputFromBytes(std::string bytes, absl::string_view label) {
  if (bytes.empty()) return absl::InvalidArgumentError(absl::StrCat(label, ": the file is empty"));
  MediaInput input;
  input.kind = DetectMediaKind(bytes);
  if (input.kind == MediaKind::kWav) {
    input.has_audio = true;
    input.audio.set_wav(std::move(bytes));
    return input;
  }
  if (IsImageKind(input.kind)) {
    input.has_image = true;
    input.image.set_encoded(std::move(bytes));
    return input;
  }
  // Not a format the server takes: let OpenCV try (TIFF, PPM, ...), and send
  // a lossless PNG of what it decodes.
  cv::Mat decoded;
  try {
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, bytes.data());
    decoded = cv::imdecode(buffer, cv::IMREAD_COLOR);
  } catch (const cv::Exception&) {
    decoded.release();
  }
  std::vector<unsigned char> png;
  if (decoded.empty() || !cv::imencode(".png", decoded, png)) {
    return absl::InvalidArgumentError(
        absl::StrCat(label,
                     ": not an image (JPEG, PNG, BMP, WebP, or another format OpenCV reads) nor a "
                     "RIFF/WAVE file (starts with ",
                     LeadingBytes(bytes), ")"));
  }
  input.kind = MediaKind::kPng;
  input.has_image = true;
  input.image.set_encoded(std::string(png.begin(), png.end()));
  input.note =
      absl::StrCat(label, ": converted to PNG (", decoded.cols, "x", decoded.rows, ") for sending");
  return input;
}

absl::StatusOr<MediaInput> LoadMediaFile(const std::string& path) {
  auto bytes = ReadFileToString(path, "input");
  if (!bytes.ok()) return bytes.status();
  return MediaInputFromBytes(std::move(*bytes), path);
}

}  // namespace affect::client

// Input files of `affect-client analyze`: what a file is (from its leading
// bytes, as the server decides too) and the request media built from it.
#ifndef AFFECT_CLIENT_CLI_MEDIA_FILE_H_
#define AFFECT_CLIENT_CLI_MEDIA_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "affect/v1/media.pb.h"

namespace affect::client {

enum class MediaKind { kUnknown, kJpeg, kPng, kBmp, kWebp, kWav };

// From the magic bytes only (a ".jpg" that holds a PNG is a PNG).
MediaKind DetectMediaKind(absl::string_view bytes);
// "JPEG", "PNG", "BMP", "WebP", "WAV", "unknown".
absl::string_view MediaKindName(MediaKind kind);
bool IsImageKind(MediaKind kind);

// A file ready to send: exactly one of image/audio is set.
struct MediaInput {
  MediaKind kind = MediaKind::kUnknown;
  bool has_image = false;
  bool has_audio = false;
  v1::Image image;
  v1::Audio audio;
  // Set when the client converted the file (e.g. "TIFF converted to PNG"),
  // for a note on stderr.
  std::string note;
};

// Reads `path`. JPEG/PNG/BMP/WebP go as Image.encoded, WAV as Audio.wav,
// unchanged. Another image format OpenCV can read (TIFF, PPM, ...) is
// converted to PNG (lossless) first. Errors: NOT_FOUND (cannot read),
// INVALID_ARGUMENT (empty, or neither image nor WAV: the message shows the
// leading bytes).
absl::StatusOr<MediaInput> LoadMediaFile(const std::string& path);

// Same, from bytes already in memory; `label` names the input in errors.
absl::StatusOr<MediaInput> MediaInputFromBytes(std::string bytes, absl::string_view label);

}  // namespace affect::client

#endif  // AFFECT_CLIENT_CLI_MEDIA_FILE_H_

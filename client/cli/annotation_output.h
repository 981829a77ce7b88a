// --annotate: the input with its results drawn on it (server/analysis/
// annotate.h does the drawing), written as an image (analyze) or a video
// (stream).
#ifndef AFFECT_CLIENT_CLI_ANNOTATION_OUTPUT_H_
#define AFFECT_CLIENT_CLI_ANNOTATION_OUTPUT_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "affect/v1/affect_service.pb.h"
#include "opencv2/core.hpp"
#include "opencv2/videoio.hpp"

namespace affect::client {

// By extension, case-insensitive: .png .jpg .jpeg .bmp .webp / .mp4 .avi
// .mkv.
bool IsImageOutputPath(absl::string_view path);
bool IsVideoOutputPath(absl::string_view path);

// Decodes an encoded image as the server does (cv::imdecode, so EXIF
// orientation is applied the same way and the coordinates match) into RGB.
absl::StatusOr<cv::Mat> DecodeToRgb(absl::string_view encoded);

// Draws `analysis` on a copy of `rgb` and writes it to `path` (format from
// the extension); `blur_faces` blurs every detected face first
// (--blur_faces, for outputs that will be shared). INTERNAL when the file
// cannot be written.
absl::Status WriteAnnotatedImage(const v1::ImageAnalysis& analysis, const cv::Mat& rgb,
                                 const std::string& path, bool blur_faces = false);

// Writes the frames of a stream, annotated with their results, as a video.
//
// Frames are added as they are sent and written once their fate is known:
// results arrive in frame order, so a result for frame N settles every
// earlier frame still pending (the server dropped those; they are drawn with
// the latest analysis, as a live viewer would see them). Finish() writes
// the rest the same way. Thread-safe: the sending and receiving threads call
// it concurrently.
class AnnotatedVideoWriter {
 public:
  // `fps` is the rate of the frames that will be added; `size` their size.
  // .mp4 uses the mp4v codec, .avi MJPG, .mkv X264 where available.
  static absl::StatusOr<std::unique_ptr<AnnotatedVideoWriter>> Open(const std::string& path,
                                                                    double fps, cv::Size size);

  // REQUIRES: sequences increase; `rgb` of the size given to Open (other
  // sizes are resized).
  void AddFrame(uint64_t sequence, cv::Mat rgb);
  void OnFrameResult(const v1::FrameResult& result);
  // Writes the frames still pending and closes the file. Returns the number
  // of frames written.
  int64_t Finish();

 private:
  AnnotatedVideoWriter(cv::VideoWriter writer, cv::Size size)
      : writer_(std::move(writer)), size_(size) {}
  void WriteLocked(const cv::Mat& rgb) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  absl::Mutex mutex_;
  cv::VideoWriter writer_ ABSL_GUARDED_BY(mutex_);
  const cv::Size size_;
  std::deque<std::pair<uint64_t, cv::Mat>> pending_ ABSL_GUARDED_BY(mutex_);
  // The latest successful analysis, drawn on frames that got none.
  v1::ImageAnalysis latest_ ABSL_GUARDED_BY(mutex_);
  bool has_latest_ ABSL_GUARDED_BY(mutex_) = false;
  int64_t written_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace affect::client

#endif  // AFFECT_CLIENT_CLI_ANNOTATION_OUTPUT_H_

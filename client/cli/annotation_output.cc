#include "client/cli/annotation_output.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "server/analysis/annotate.h"

namespace affect::client {
namespace {

std::string Extension(absl::string_view path) {
  const size_t dot = path.rfind('.');
  if (dot == absl::string_view::npos || path.find('/', dot) != absl::string_view::npos) return "";
  return absl::AsciiStrToLower(path.substr(dot));
}

void Annotate(const v1::ImageAnalysis& analysis, cv::Mat* rgb) {
  // AnnotateImage only fails for an empty or non-RGB Mat, which callers
  // never pass; the frame is then written as it is.
  (void)analysis::AnnotateImage(analysis, analysis::AnnotateOptions(), rgb);
}

}  // namespace

bool IsImageOutputPath(absl::string_view path) {
  const std::string ext = Extension(path);
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".webp";
}

bool IsVideoOutputPath(absl::string_view path) {
  const std::string ext = Extension(path);
  return ext == ".mp4" || ext == ".avi" || ext == ".mkv";
}

absl::StatusOr<cv::Mat> DecodeToRgb(absl::string_view encoded) {
  cv::Mat bgr;
  try {
    const cv::Mat buffer(1, static_cast<int>(encoded.size()), CV_8UC1,
                         const_cast<char*>(encoded.data()));
    bgr = cv::imdecode(buffer, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("cannot decode the image: ", e.what()));
  }
  if (bgr.empty()) return absl::InvalidArgumentError("cannot decode the image");
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

absl::Status WriteAnnotatedImage(const v1::ImageAnalysis& analysis, const cv::Mat& rgb,
                                 const std::string& path, bool blur_faces) {
  cv::Mat canvas = rgb.clone();
  analysis::AnnotateOptions options;
  options.blur_faces = blur_faces;
  if (absl::Status drawn = analysis::AnnotateImage(analysis, options, &canvas); !drawn.ok()) {
    return drawn;
  }
  cv::Mat bgr;
  cv::cvtColor(canvas, bgr, cv::COLOR_RGB2BGR);
  bool written = false;
  try {
    written = cv::imwrite(path, bgr);
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("--annotate: cannot write '", path, "': ", e.what()));
  }
  if (!written) return absl::InternalError(absl::StrCat("--annotate: cannot write '", path, "'"));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AnnotatedVideoWriter>> AnnotatedVideoWriter::Open(
    const std::string& path, double fps, cv::Size size) {
  const std::string ext = Extension(path);
  int fourcc = cv::VideoWriter::fourcc('m', 'p', '4', 'v');
  if (ext == ".avi") fourcc = cv::VideoWriter::fourcc('M', 'J', 'P', 'G');
  if (ext == ".mkv") fourcc = cv::VideoWriter::fourcc('X', '2', '6', '4');
  cv::VideoWriter writer;
  try {
    writer.open(path, fourcc, fps > 0 ? fps : 10.0, size, /*isColor=*/true);
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("--annotate: cannot open '", path, "': ", e.what()));
  }
  if (!writer.isOpened()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--annotate: OpenCV cannot write '", path, "' (no encoder for ", ext,
                     " in this OpenCV build? .avi (MJPG) always works)"));
  }
  return std::unique_ptr<AnnotatedVideoWriter>(new AnnotatedVideoWriter(std::move(writer), size));
}

void AnnotatedVideoWriter::WriteLocked(const cv::Mat& rgb) {
  cv::Mat canvas = rgb;
  if (has_latest_) Annotate(latest_, &canvas);
  cv::Mat bgr;
  cv::cvtColor(canvas, bgr, cv::COLOR_RGB2BGR);
  writer_.write(bgr);
  ++written_;
}

void AnnotatedVideoWriter::AddFrame(uint64_t sequence, cv::Mat rgb) {
  if (rgb.size() != size_) cv::resize(rgb, rgb, size_);
  absl::MutexLock lock(&mutex_);
  pending_.emplace_back(sequence, std::move(rgb));
}

void AnnotatedVideoWriter::OnFrameResult(const v1::FrameResult& result) {
  absl::MutexLock lock(&mutex_);
  while (!pending_.empty() && pending_.front().first <= result.sequence()) {
    if (pending_.front().first == result.sequence() && !result.has_error()) {
      latest_ = result.analysis();
      has_latest_ = true;
    }
    WriteLocked(pending_.front().second);
    pending_.pop_front();
  }
}

int64_t AnnotatedVideoWriter::Finish() {
  absl::MutexLock lock(&mutex_);
  while (!pending_.empty()) {
    WriteLocked(pending_.front().second);
    pending_.pop_front();
  }
  writer_.release();
  return written_;
}

}  // namespace affect::client

#include "client/cli/console.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace affect::client {
namespace {

constexpr absl::Duration kRedrawInterval = absl::Milliseconds(100);
constexpr int kLineWidth = 100;

}  // namespace

std::string RenderProgressLine(int64_t done, int64_t total, absl::Duration elapsed,
                               const std::string& detail, int width) {
  const int64_t seconds = absl::ToInt64Seconds(elapsed);
  const std::string clock = absl::StrFormat("%02d:%02d", seconds / 60, seconds % 60);
  std::string line;
  if (total > 0) {
    const double fraction = std::clamp(static_cast<double>(done) / total, 0.0, 1.0);
    constexpr int kBarWidth = 24;
    const int filled = static_cast<int>(fraction * kBarWidth);
    line =
        absl::StrFormat("[%s%s] %3.0f%%  %d/%d frames  %s", std::string(filled, '#'),
                        std::string(kBarWidth - filled, '.'), 100.0 * fraction, done, total, clock);
  } else {
    line = absl::StrFormat("%d frames  %s", done, clock);
  }
  if (!detail.empty()) absl::StrAppend(&line, "  ", detail);
  if (static_cast<int>(line.size()) > width) line.resize(std::max(0, width));
  return line;
}

Console::Console(std::ostream* out, std::ostream* err, bool progress)
    : out_(out), err_(err), progress_(progress) {}

void Console::ClearLocked() {
  if (drawn_) {
    *err_ << "\r\033[K";
    err_->flush();
    drawn_ = false;
  }
}

void Console::DrawLocked() {
  if (!progress_) return;
  *err_ << "\r\033[K"
        << RenderProgressLine(done_, total_, absl::Now() - started_, detail_, kLineWidth);
  err_->flush();
  drawn_ = true;
  last_draw_ = absl::Now();
}

void Console::Print(const std::string& text) {
  absl::MutexLock lock(&mutex_);
  ClearLocked();
  *out_ << text;
  out_->flush();
  if (progress_) DrawLocked();
}

void Console::Note(const std::string& text) {
  absl::MutexLock lock(&mutex_);
  ClearLocked();
  *err_ << text;
  err_->flush();
  if (progress_) DrawLocked();
}

void Console::Progress(int64_t done, int64_t total, const std::string& detail) {
  absl::MutexLock lock(&mutex_);
  done_ = done;
  total_ = total;
  detail_ = detail;
  if (progress_ && absl::Now() - last_draw_ >= kRedrawInterval) DrawLocked();
}

void Console::EnableProgress() {
  absl::MutexLock lock(&mutex_);
  progress_ = true;
}

void Console::EndProgress() {
  absl::MutexLock lock(&mutex_);
  ClearLocked();
  progress_ = false;
}

}  // namespace affect::client

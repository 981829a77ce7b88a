#include "server/stream/lean_baseline.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_format.h"

namespace affect::stream {
namespace {

constexpr int64_t kSecondUs = 1'000'000;

}  // namespace

absl::Status ValidateLeanTrackerOptions(const LeanTrackerOptions& options) {
  if (absl::Status pose = analysis::ValidatePostureCueOptions(options.pose); !pose.ok()) {
    return pose;
  }
  if (options.window_us < kSecondUs || options.window_us > 3600 * kSecondUs) {
    return absl::InvalidArgumentError(
        absl::StrFormat("lean: window_us %d is outside [1 s, 1 h]", options.window_us));
  }
  if (options.min_span_us < 0 || options.min_span_us > options.window_us) {
    return absl::InvalidArgumentError(
        absl::StrFormat("lean: min_span_us %d is outside [0, window_us]", options.min_span_us));
  }
  if (options.min_poses < 1 || options.max_poses < static_cast<size_t>(options.min_poses)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("lean: min_poses %d and max_poses %d must satisfy 1 <= min <= max",
                        options.min_poses, options.max_poses));
  }
  return absl::OkStatus();
}

LeanTracker::LeanTracker(const LeanTrackerOptions& options) : options_(options) {}

std::optional<float> LeanTracker::baseline() const {
  if (scales_.size() < static_cast<size_t>(options_.min_poses)) return std::nullopt;
  if (scales_.back().timestamp_us - scales_.front().timestamp_us < options_.min_span_us) {
    return std::nullopt;
  }
  std::vector<float> values;
  values.reserve(scales_.size());
  for (const Scale& s : scales_) values.push_back(s.scale_px);
  const size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + middle, values.end());
  if (values.size() % 2 == 1) return values[middle];
  const float upper = values[middle];
  const float lower = *std::max_element(values.begin(), values.begin() + middle);
  return lower + 0.5f * (upper - lower);  // no overflow for large finite scales
}

absl::StatusOr<std::optional<analysis::PostureCue>> LeanTracker::Observe(
    int64_t timestamp_us, const analysis::PersonPose& pose) {
  if (timestamp_us < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("lean: timestamp %d us is negative", timestamp_us));
  }
  if (last_us_ && timestamp_us <= *last_us_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "lean: timestamp %d us is not after the previous pose's %d us", timestamp_us, *last_us_));
  }
  last_us_ = timestamp_us;
  // Scales older than the window leave before the comparison: the baseline
  // is the person's size over the window up to now.
  while (!scales_.empty() && timestamp_us - scales_.front().timestamp_us > options_.window_us) {
    scales_.pop_front();
  }
  std::optional<analysis::PostureCue> cue;
  if (const std::optional<float> reference = baseline()) {
    cue = analysis::LeanCue(pose, *reference, options_.pose);
  }
  if (const std::optional<float> scale = analysis::BodyScale(pose, options_.pose)) {
    scales_.push_back(Scale{timestamp_us, *scale});
    if (scales_.size() > options_.max_poses) scales_.pop_front();
  }
  return cue;
}

}  // namespace affect::stream

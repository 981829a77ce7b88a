#include "server/stream/movement_energy.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"

namespace affect::stream {
namespace {

constexpr int64_t kHourUs = int64_t{3600} * 1'000'000;

bool Usable(const analysis::BodyKeypoint& k, float min_score) {
  return k.score >= min_score && std::isfinite(k.x) && std::isfinite(k.y);
}

}  // namespace

absl::Status ValidateMovementEnergyOptions(const MovementEnergyOptions& options) {
  if (absl::Status pose = analysis::ValidatePostureCueOptions(options.pose); !pose.ok()) {
    return pose;
  }
  if (options.window_us < 100'000 || options.window_us > kHourUs) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "movement energy: window_us %d is outside [100 ms, 1 h]", options.window_us));
  }
  if (options.max_step_us <= 0 || options.max_step_us > options.window_us) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "movement energy: max_step_us %d is outside (0, window_us]", options.max_step_us));
  }
  if (options.min_common_keypoints < 1 || options.min_common_keypoints > analysis::kBodyPartCount) {
    return absl::InvalidArgumentError(
        absl::StrFormat("movement energy: min_common_keypoints %d is outside [1, 17]",
                        options.min_common_keypoints));
  }
  if (!(std::isfinite(options.vigorous_energy) && options.vigorous_energy > 0.0f)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("movement energy: vigorous_energy %g must be finite and positive",
                        options.vigorous_energy));
  }
  if (options.max_steps < 1) {
    return absl::InvalidArgumentError("movement energy: max_steps must be at least 1");
  }
  return absl::OkStatus();
}

MovementEnergyTracker::MovementEnergyTracker(const MovementEnergyOptions& options)
    : options_(options) {}

std::optional<double> MovementEnergyTracker::MeanDisplacement(const analysis::PersonPose& from,
                                                              const analysis::PersonPose& to,
                                                              float scale) const {
  const float min_score = options_.pose.min_keypoint_score;
  double sum = 0.0;
  int count = 0;
  for (int i = 0; i < analysis::kBodyPartCount; ++i) {
    const analysis::BodyKeypoint& a = from.keypoints[i];
    const analysis::BodyKeypoint& b = to.keypoints[i];
    if (!Usable(a, min_score) || !Usable(b, min_score)) continue;
    // Doubles: two finite floats far apart can overflow a float difference.
    sum += std::hypot(static_cast<double>(b.x) - a.x, static_cast<double>(b.y) - a.y) / scale;
    ++count;
  }
  if (count < options_.min_common_keypoints) return std::nullopt;
  const double mean = sum / count;
  if (!std::isfinite(mean)) return std::nullopt;
  return mean;
}

absl::Status MovementEnergyTracker::Add(int64_t timestamp_us, const analysis::PersonPose& pose) {
  if (timestamp_us < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("movement energy: timestamp %d us is negative", timestamp_us));
  }
  if (previous_ && timestamp_us <= previous_->timestamp_us) {
    return absl::InvalidArgumentError(
        absl::StrFormat("movement energy: timestamp %d us is not after the previous pose's %d us",
                        timestamp_us, previous_->timestamp_us));
  }
  const std::optional<float> scale = analysis::BodyScale(pose, options_.pose);
  if (previous_ && previous_->scale && scale) {
    const int64_t duration = timestamp_us - previous_->timestamp_us;  // both >= 0: no overflow
    if (duration <= options_.max_step_us) {
      const float mean_scale = 0.5f * (*previous_->scale + *scale);
      if (const std::optional<double> d = MeanDisplacement(previous_->pose, pose, mean_scale)) {
        steps_.push_back(Step{timestamp_us, duration, *d});
        displacement_sum_ += *d;
        duration_sum_us_ += duration;
      }
    }
  }
  previous_ = Previous{timestamp_us, pose, scale};

  const auto pop = [this] {
    displacement_sum_ -= steps_.front().displacement;
    duration_sum_us_ -= steps_.front().duration_us;
    steps_.pop_front();
  };
  while (!steps_.empty() && steps_.front().end_us <= timestamp_us - options_.window_us) pop();
  while (steps_.size() > options_.max_steps) pop();
  if (steps_.empty()) {
    displacement_sum_ = 0.0;  // no drift from the running sums
    duration_sum_us_ = 0;
  }
  return absl::OkStatus();
}

MovementEnergy MovementEnergyTracker::Energy() const {
  MovementEnergy result;
  result.steps = static_cast<int>(steps_.size());
  result.measured_seconds = static_cast<double>(duration_sum_us_) / 1e6;
  if (steps_.empty() || duration_sum_us_ <= 0) return result;
  // Saturated: hostile coordinates can make it exceed float's range, and
  // that cast would be undefined.
  const double energy = std::min(std::max(0.0, displacement_sum_) / result.measured_seconds,
                                 static_cast<double>(std::numeric_limits<float>::max()));
  result.energy = static_cast<float>(energy);
  result.level = static_cast<float>(std::min(1.0, energy / options_.vigorous_energy));
  return result;
}

}  // namespace affect::stream

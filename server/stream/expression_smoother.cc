#include "server/stream/expression_smoother.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "server/analysis/face/expression_labels.h"

namespace affect::stream {

absl::Status ValidateExpressionSmootherOptions(const ExpressionSmootherOptions& o) {
  if (o.window_frames < 1 || o.window_frames > 300) {
    return absl::InvalidArgumentError(
        absl::StrCat("smoothing_window_frames: ", o.window_frames, " is outside [1, 300]"));
  }
  if (o.min_lead_frames < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_lead_frames: ", o.min_lead_frames, " is outside [1, inf)"));
  }
  if (!(o.min_lead_margin >= 0.0f && o.min_lead_margin < 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_lead_margin: ", o.min_lead_margin, " is outside [0, 1)"));
  }
  return absl::OkStatus();
}

std::optional<ExpressionScores> ScoresFromResult(const v1::ExpressionResult& result) {
  ExpressionScores scores{};
  double sum = 0.0;
  for (const v1::ExpressionScore& entry : result.scores()) {
    const int index = analysis::ExpressionIndex(entry.expression());
    if (index < 0) continue;
    if (!std::isfinite(entry.score()) || entry.score() < 0.0f) return std::nullopt;
    scores[static_cast<size_t>(index)] += entry.score();
    sum += entry.score();
  }
  if (!(sum > 0.0)) return std::nullopt;
  for (float& s : scores) s = static_cast<float>(s / sum);
  return scores;
}

int TopIndex(const ExpressionScores& scores) {
  int top = 0;
  for (int i = 1; i < analysis::kNumExpressions; ++i) {
    if (scores[static_cast<size_t>(i)] > scores[static_cast<size_t>(top)]) top = i;
  }
  return top;
}

ExpressionSmoother::ExpressionSmoother(const ExpressionSmootherOptions& options)
    : options_(options), ring_(static_cast<size_t>(options.window_frames)) {}

std::optional<v1::ExpressionChange> ExpressionSmoother::Add(int64_t timestamp_us,
                                                            const ExpressionScores& scores) {
  ring_[static_cast<size_t>(next_)] = scores;
  next_ = (next_ + 1) % options_.window_frames;
  if (count_ < options_.window_frames) ++count_;
  // Recomputed rather than kept as a running sum: at most 300 x 7 additions,
  // and no drift however long the stream runs.
  std::array<double, analysis::kNumExpressions> sum{};
  for (int k = 0; k < count_; ++k) {
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += ring_[static_cast<size_t>(k)][i];
  }
  for (size_t i = 0; i < sum.size(); ++i) smoothed_[i] = static_cast<float>(sum[i] / count_);

  const int leader = TopIndex(smoothed_);
  const auto& classes = analysis::CanonicalExpressions();
  if (dominant_ == v1::EXPRESSION_UNSPECIFIED) {
    dominant_ = classes[static_cast<size_t>(leader)];
    return std::nullopt;
  }
  const int current = analysis::ExpressionIndex(dominant_);
  const float lead =
      smoothed_[static_cast<size_t>(leader)] - smoothed_[static_cast<size_t>(current)];
  if (leader == current || lead < options_.min_lead_margin) {
    candidate_ = -1;
    candidate_frames_ = 0;
    return std::nullopt;
  }
  if (leader != candidate_) {
    candidate_ = leader;
    candidate_frames_ = 0;
    candidate_since_us_ = timestamp_us;
    candidate_score_ = smoothed_[static_cast<size_t>(leader)];
  }
  if (++candidate_frames_ < options_.min_lead_frames) return std::nullopt;

  v1::ExpressionChange change;
  change.set_timestamp_us(candidate_since_us_);
  change.set_from(dominant_);
  change.set_to(classes[static_cast<size_t>(leader)]);
  change.set_score(candidate_score_);
  dominant_ = change.to();
  candidate_ = -1;
  candidate_frames_ = 0;
  return change;
}

}  // namespace affect::stream

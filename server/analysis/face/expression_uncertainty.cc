#include "server/analysis/face/expression_uncertainty.h"

#include <cmath>
#include <cstddef>

#include "absl/strings/str_format.h"
#include "server/analysis/face/expression_labels.h"

namespace affect::analysis {
namespace {

size_t TopClass(const ExpressionScores& scores) {
  size_t top = 0;
  for (size_t i = 1; i < scores.size(); ++i) {
    if (scores[i] > scores[top]) top = i;
  }
  return top;
}

std::string TopName(const ExpressionScores& scores) {
  return std::string(ExpressionName(CanonicalExpressions()[TopClass(scores)]));
}

}  // namespace

float ScoreDistance(const ExpressionScores& a, const ExpressionScores& b) {
  float sum = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) sum += std::abs(a[i] - b[i]);
  return 0.5f * sum;
}

void ApplyExpressionUncertainty(float min_confidence, const std::vector<MemberReading>& members,
                                v1::ExpressionResult* result) {
  // The two members furthest apart.
  float disagreement = 0.0f;
  size_t first = 0;
  size_t second = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    for (size_t j = i + 1; j < members.size(); ++j) {
      const float distance = ScoreDistance(members[i].scores, members[j].scores);
      if (distance > disagreement) {
        disagreement = distance;
        first = i;
        second = j;
      }
    }
  }
  const v1::Expression top = result->dominant();
  const float top_score = result->dominant_score();
  std::string reason;
  if (min_confidence > 0.0f && top_score < min_confidence) {
    reason = absl::StrFormat("top score %.2f (%s) is below min_confidence %.2f", top_score,
                             std::string(ExpressionName(top)), min_confidence);
  } else if (disagreement > kMaxMemberDisagreement) {
    reason = absl::StrFormat(
        "ensemble members disagree: %s reads %s, %s reads %s (disagreement %.2f > %.2f)",
        members[first].model, TopName(members[first].scores), members[second].model,
        TopName(members[second].scores), disagreement, kMaxMemberDisagreement);
  } else {
    return;
  }
  v1::ExpressionUncertainty* uncertainty = result->mutable_uncertainty();
  uncertainty->set_reason(std::move(reason));
  uncertainty->set_top(top);
  uncertainty->set_top_score(top_score);
  uncertainty->set_min_confidence(min_confidence);
  uncertainty->set_member_disagreement(disagreement);
  result->set_dominant(v1::EXPRESSION_UNCERTAIN);
}

}  // namespace affect::analysis

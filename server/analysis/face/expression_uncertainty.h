// When a face's expression is reported as EXPRESSION_UNCERTAIN instead of a
// label (the seven scores stay in the result):
//   - the top score is below the model's `min_confidence` (config.pbtxt), or
//   - the ensemble members disagree strongly: the total-variation distance
//     between two members' score vectors, 0.5 x sum |p_i - q_i| in [0, 1],
//     exceeds kMaxMemberDisagreement (e.g. one member 0.9 happy, the other
//     0.8 neutral: about 0.8).
// The result then carries ExpressionUncertainty: the reason in words, the
// top class and score, the threshold and the disagreement.
//
// Why: a 7-way softmax always names a class, even for a turned, occluded or
// badly lit face; a caller acting on "angry 0.31" acts on noise. Saying
// "uncertain" is the honest answer.
//
// Pure functions; thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_FACE_EXPRESSION_UNCERTAINTY_H_
#define AFFECT_SERVER_ANALYSIS_FACE_EXPRESSION_UNCERTAINTY_H_

#include <string>
#include <vector>

#include "affect/v1/results.pb.h"
#include "server/analysis/face/expression_reader.h"

namespace affect::analysis {

// Members further apart than this (total variation) make a face uncertain.
inline constexpr float kMaxMemberDisagreement = 0.5f;

// Total-variation distance between two score vectors, in [0, 1].
float ScoreDistance(const ExpressionScores& a, const ExpressionScores& b);

// One member's reading of a face, for the disagreement rule and the reason.
struct MemberReading {
  std::string model;
  ExpressionScores scores{};
};

// Applies the rule above to `result` (made by MakeExpressionResult from the
// combined scores): when uncertain, sets dominant to EXPRESSION_UNCERTAIN
// and fills result->uncertainty; otherwise leaves it unchanged.
// `min_confidence` 0 turns the score rule off; fewer than two members turn
// the disagreement rule off.
void ApplyExpressionUncertainty(float min_confidence, const std::vector<MemberReading>& members,
                                v1::ExpressionResult* result);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_FACE_EXPRESSION_UNCERTAINTY_H_

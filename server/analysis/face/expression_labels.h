// Maps expression-model labels onto the seven canonical classes
// (v1::Expression, the FER-2013 set).
//
// Matching is by name, case-insensitive, so that models with other label
// orders (face-api: neutral, happy, sad, angry, fearful, disgusted,
// surprised) read correctly:
//
//   canonical  accepted labels
//   ANGRY      angry, anger
//   DISGUST    disgust, disgusted
//   FEAR       fear, fearful, afraid, scared
//   HAPPY      happy, happiness, joy
//   SAD        sad, sadness
//   SURPRISE   surprise, surprised
//   NEUTRAL    neutral
//
// Any other label (e.g. AffectNet's "contempt") is an error: its probability
// would have nowhere honest to go.
#ifndef AFFECT_SERVER_ANALYSIS_FACE_EXPRESSION_LABELS_H_
#define AFFECT_SERVER_ANALYSIS_FACE_EXPRESSION_LABELS_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "affect/v1/results.pb.h"

namespace affect::analysis {

inline constexpr int kNumExpressions = 7;

// The canonical classes in enum order (ANGRY .. NEUTRAL).
const std::array<v1::Expression, kNumExpressions>& CanonicalExpressions();

// 0-based position of a canonical class in CanonicalExpressions(), -1 for
// UNSPECIFIED or an unknown value.
int ExpressionIndex(v1::Expression expression);

// Lower-case short name: "angry", "disgust", "fear", "happy", "sad",
// "surprise", "neutral", "uncertain" (EXPRESSION_UNCERTAIN, not a class;
// see expression_uncertainty.h), "unspecified" otherwise.
absl::string_view ExpressionName(v1::Expression expression);

// INVALID_ARGUMENT (naming the label and the accepted ones) for a label
// outside the table above.
absl::StatusOr<v1::Expression> ExpressionFromLabel(absl::string_view label);

// Maps every label in order; fails on the first unknown one.
absl::StatusOr<std::vector<v1::Expression>> MapExpressionLabels(
    absl::Span<const std::string> labels);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_FACE_EXPRESSION_LABELS_H_

#include "server/analysis/face/expression_labels.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace affect::analysis {
namespace {

struct LabelAlias {
  const char* label;
  v1::Expression expression;
};

constexpr LabelAlias kAliases[] = {
    {"angry", v1::EXPRESSION_ANGRY},        {"anger", v1::EXPRESSION_ANGRY},
    {"disgust", v1::EXPRESSION_DISGUST},    {"disgusted", v1::EXPRESSION_DISGUST},
    {"fear", v1::EXPRESSION_FEAR},          {"fearful", v1::EXPRESSION_FEAR},
    {"afraid", v1::EXPRESSION_FEAR},        {"scared", v1::EXPRESSION_FEAR},
    {"happy", v1::EXPRESSION_HAPPY},        {"happiness", v1::EXPRESSION_HAPPY},
    {"joy", v1::EXPRESSION_HAPPY},          {"sad", v1::EXPRESSION_SAD},
    {"sadness", v1::EXPRESSION_SAD},        {"surprise", v1::EXPRESSION_SURPRISE},
    {"surprised", v1::EXPRESSION_SURPRISE}, {"neutral", v1::EXPRESSION_NEUTRAL},
};

}  // namespace

const std::array<v1::Expression, kNumExpressions>& CanonicalExpressions() {
  static constexpr std::array<v1::Expression, kNumExpressions> kExpressions = {
      v1::EXPRESSION_ANGRY, v1::EXPRESSION_DISGUST,  v1::EXPRESSION_FEAR,
      v1::EXPRESSION_HAPPY, v1::EXPRESSION_SAD,      v1::EXPRESSION_SURPRISE,
      v1::EXPRESSION_NEUTRAL};
  return kExpressions;
}

int ExpressionIndex(v1::Expression expression) {
  const int value = static_cast<int>(expression);
  return (value >= 1 && value <= kNumExpressions) ? value - 1 : -1;
}

absl::string_view ExpressionName(v1::Expression expression) {
  switch (expression) {
    case v1::EXPRESSION_ANGRY:
      return "angry";
    case v1::EXPRESSION_DISGUST:
      return "disgust";
    case v1::EXPRESSION_FEAR:
      return "fear";
    case v1::EXPRESSION_HAPPY:
      return "happy";
    case v1::EXPRESSION_SAD:
      return "sad";
    case v1::EXPRESSION_SURPRISE:
      return "surprise";
    case v1::EXPRESSION_NEUTRAL:
      return "neutral";
    case v1::EXPRESSION_UNCERTAIN:
      return "uncertain";
    default:
      return "unspecified";
  }
}

absl::StatusOr<v1::Expression> ExpressionFromLabel(absl::string_view label) {
  const std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(label));
  for (const LabelAlias& alias : kAliases) {
    if (key == alias.label) return alias.expression;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "expression label '", label,
      "' has no canonical class; accepted: angry/anger, disgust/disgusted, "
      "fear/fearful/afraid/scared, happy/happiness/joy, sad/sadness, surprise/surprised, "
      "neutral"));
}

absl::StatusOr<std::vector<v1::Expression>> MapExpressionLabels(
    absl::Span<const std::string> labels) {
  if (labels.empty()) return absl::InvalidArgumentError("expression model has no labels");
  std::vector<v1::Expression> mapped;
  mapped.reserve(labels.size());
  for (const std::string& label : labels) {
    absl::StatusOr<v1::Expression> expression = ExpressionFromLabel(label);
    if (!expression.ok()) return expression.status();
    mapped.push_back(*expression);
  }
  return mapped;
}

}  // namespace affect::analysis

#include "server/analysis/face/circumplex.h"

namespace affect::analysis {

CircumplexPoint CircumplexCoordinates(v1::Expression expression) {
  switch (expression) {
    case v1::EXPRESSION_ANGRY:
      return {-0.5f, 0.6f};
    case v1::EXPRESSION_DISGUST:
      return {-0.6f, 0.3f};
    case v1::EXPRESSION_FEAR:
      return {-0.6f, 0.6f};
    case v1::EXPRESSION_HAPPY:
      return {0.8f, 0.3f};
    case v1::EXPRESSION_SAD:
      return {-0.7f, -0.4f};
    case v1::EXPRESSION_SURPRISE:
      return {0.2f, 0.8f};
    default:
      return {0.0f, 0.0f};
  }
}

CircumplexPoint ExpectedCircumplex(const std::array<float, kNumExpressions>& scores) {
  CircumplexPoint out;
  for (size_t i = 0; i < scores.size(); ++i) {
    const CircumplexPoint p = CircumplexCoordinates(CanonicalExpressions()[i]);
    out.valence += scores[i] * p.valence;
    out.arousal += scores[i] * p.arousal;
  }
  return out;
}

}  // namespace affect::analysis

#include "server/analysis/face/expression_reader.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/analysis/face/circumplex.h"
#include "server/common/status_macros.h"

namespace affect::analysis {

v1::ExpressionResult MakeExpressionResult(const ExpressionScores& scores,
                                          const v1::ModelRef& model) {
  v1::ExpressionResult result;
  size_t dominant = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    v1::ExpressionScore* score = result.add_scores();
    score->set_expression(CanonicalExpressions()[i]);
    score->set_score(scores[i]);
    if (scores[i] > scores[dominant]) dominant = i;
  }
  result.set_dominant(CanonicalExpressions()[dominant]);
  result.set_dominant_score(scores[dominant]);
  const CircumplexPoint point = ExpectedCircumplex(scores);
  result.set_valence(point.valence);
  result.set_arousal(point.arousal);
  *result.mutable_model() = model;
  return result;
}

absl::StatusOr<ExpressionReader> ExpressionReader::Create(const std::vector<std::string>& labels,
                                                          v1::ModelRef model) {
  AFFECT_ASSIGN_OR_RETURN(std::vector<v1::Expression> mapping, MapExpressionLabels(labels));
  return ExpressionReader(std::move(mapping), std::move(model));
}

absl::StatusOr<ExpressionReader> ExpressionReader::FromConfig(const v1::ModelConfig& config,
                                                              int64_t version) {
  std::vector<std::string> labels(config.labels().begin(), config.labels().end());
  v1::ModelRef model;
  model.set_name(config.name());
  model.set_version(version);
  absl::StatusOr<ExpressionReader> reader = Create(labels, std::move(model));
  if (!reader.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("model '", config.name(), "': ", reader.status().message()));
  }
  return reader;
}

absl::StatusOr<ExpressionScores> ExpressionReader::CanonicalScores(
    const Tensor& probabilities) const {
  const int64_t n = probabilities.num_elements();
  if (n != static_cast<int64_t>(mapping_.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("expression output ", probabilities.DebugString(), " has ", n,
                     " values; the model has ", mapping_.size(), " labels"));
  }
  ExpressionScores scores{};
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float p = probabilities.data()[i];
    if (!std::isfinite(p) || p < 0.0f) {
      return absl::InvalidArgumentError(
          absl::StrCat("expression output value ", i, " is ", p, ", not a probability"));
    }
    sum += p;
  }
  if (std::abs(sum - 1.0) > kSumTolerance) {
    return absl::InvalidArgumentError(
        absl::StrCat("expression outputs sum to ", sum,
                     ", not 1: the model must end in a softmax"));
  }
  for (int64_t i = 0; i < n; ++i) {
    const int index = ExpressionIndex(mapping_[static_cast<size_t>(i)]);
    scores[static_cast<size_t>(index)] += static_cast<float>(probabilities.data()[i] / sum);
  }
  return scores;
}

absl::StatusOr<v1::ExpressionResult> ExpressionReader::Read(const Tensor& probabilities) const {
  AFFECT_ASSIGN_OR_RETURN(const ExpressionScores scores, CanonicalScores(probabilities));
  return MakeExpressionResult(scores, model_);
}

}  // namespace affect::analysis

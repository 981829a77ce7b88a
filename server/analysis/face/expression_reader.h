// Reads an expression model's probabilities for one face into an
// ExpressionResult: the seven canonical scores (labels mapped by name, see
// expression_labels.h), the dominant class, and the DERIVED valence/arousal
// (circumplex.h).
//
// Thread-safe: Read is const.
#ifndef AFFECT_SERVER_ANALYSIS_FACE_EXPRESSION_READER_H_
#define AFFECT_SERVER_ANALYSIS_FACE_EXPRESSION_READER_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "affect/v1/model_config.pb.h"
#include "affect/v1/results.pb.h"
#include "server/analysis/face/expression_labels.h"
#include "server/tensor/tensor.h"

namespace affect::analysis {

using ExpressionScores = std::array<float, kNumExpressions>;  // canonical order

// Builds the result from canonical scores (also for ensembles, which average
// their members' canonical scores first): all seven scores in enum order,
// dominant = highest score (ties: the earlier class), valence/arousal from
// the circumplex table.
v1::ExpressionResult MakeExpressionResult(const ExpressionScores& scores,
                                          const v1::ModelRef& model);

class ExpressionReader {
 public:
  // `labels`: the model's labels in output order. INVALID_ARGUMENT for an
  // unknown label.
  static absl::StatusOr<ExpressionReader> Create(const std::vector<std::string>& labels,
                                                 v1::ModelRef model);
  // Labels from config.labels, model name from config.name.
  static absl::StatusOr<ExpressionReader> FromConfig(const v1::ModelConfig& config,
                                                     int64_t version);

  // Canonical scores from one face's output row (labels.size() values, with
  // or without a leading batch of 1). The values must be probabilities: each
  // finite and >= 0, summing to 1 within kSumTolerance (then renormalised to
  // exactly 1); several labels mapping to one class add up; classes the
  // model lacks score 0. INVALID_ARGUMENT otherwise (logits are refused
  // rather than silently squashed).
  absl::StatusOr<ExpressionScores> CanonicalScores(const Tensor& probabilities) const;

  absl::StatusOr<v1::ExpressionResult> Read(const Tensor& probabilities) const;

  const std::vector<v1::Expression>& mapping() const { return mapping_; }
  const v1::ModelRef& model() const { return model_; }

  // float16 models and rounding leave sums a little off 1.
  static constexpr float kSumTolerance = 0.02f;

 private:
  ExpressionReader(std::vector<v1::Expression> mapping, v1::ModelRef model)
      : mapping_(std::move(mapping)), model_(std::move(model)) {}

  std::vector<v1::Expression> mapping_;
  v1::ModelRef model_;
};

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_FACE_EXPRESSION_READER_H_

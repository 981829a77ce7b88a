// Bias measurement: the same figures for each group of a grouped dataset
// (expression_dataset.h: DIR/<group>/<class>/...), and the gaps between the
// groups. For one (model, crop setting) of an EvaluationReport: per-class
// recall, the confusion matrix, accuracy, mean recall and the expected
// calibration error (calibration.h), over all subjects and per group; then,
// for every figure that at least two groups have, the gap between the best
// and the worst group, largest first.
//
// Small groups give noisy figures: every figure is printed with its counts,
// and a gap between groups of a handful of faces each says little. The
// groups are the deployer's own labels; the service infers none of them.
//
// Pure functions.
#ifndef AFFECT_CLIENT_EVAL_GROUP_REPORT_H_
#define AFFECT_CLIENT_EVAL_GROUP_REPORT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "affect/v1/results.pb.h"
#include "client/eval/confusion_matrix.h"
#include "client/eval/expression_evaluation.h"
#include "server/analysis/face/expression_labels.h"

namespace affect::eval {

struct GroupFigures {
  // The group's folder name; "all" for every subject.
  std::string group;
  ConfusionMatrix matrix{analysis::kNumExpressions};
  // Over the answered subjects; nullopt when none.
  std::optional<double> ece;
  // Subjects the model reported as EXPRESSION_UNCERTAIN.
  int64_t uncertain = 0;
};

// One figure compared across groups.
struct GroupGap {
  // "accuracy", "mean recall", "ECE" or "recall of <class>".
  std::string figure;
  // best - worst in absolute value; for ECE lower is better.
  double gap = 0.0;
  std::string best_group;
  double best = 0.0;
  std::string worst_group;
  double worst = 0.0;
};

struct GroupReport {
  v1::ModelRef model;
  std::string crop;    // the crop setting's name
  std::string policy;  // its policy spec
  GroupFigures overall;
  // By group name; empty for a dataset without groups.
  std::vector<GroupFigures> groups;
  // Figures that two or more groups have, largest gap first.
  std::vector<GroupGap> gaps;
};

// The report of `report.models[model]` under `report.settings[setting]`.
// INVALID_ARGUMENT for an index out of range.
absl::StatusOr<GroupReport> MakeGroupReport(const EvaluationReport& report, size_t setting,
                                            size_t model);

// A table (one row per group, "all" first: subjects, accuracy, mean recall,
// ECE, uncertain, recall per class), the largest gap in words, the other
// gaps, and each group's confusion matrix. Ends with a newline.
std::string FormatGroupReport(const GroupReport& report);

// One JSON object (no newline): model, crop, policy, overall and groups
// (group, subjects, accuracy, mean_recall, ece, uncertain, recall by class,
// confusion rows), gaps and largest_gap (null when fewer than two groups).
std::string GroupReportJson(const GroupReport& report);

}  // namespace affect::eval

#endif  // AFFECT_CLIENT_EVAL_GROUP_REPORT_H_

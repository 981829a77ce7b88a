// How `affect-client eval` prints an EvaluationReport: tables for people
// (accuracy and per-class recall per model and crop setting, then every
// confusion matrix), or one JSON object for scripts.
//
// Pure functions; every returned string ends with a newline.
#ifndef AFFECT_CLIENT_EVAL_EVAL_REPORT_H_
#define AFFECT_CLIENT_EVAL_EVAL_REPORT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "client/eval/expression_evaluation.h"

namespace affect::eval {

// The summary table alone: one row per (model, crop setting) with accuracy,
// mean recall, the mean probability given to the true class and the recall
// of each class, as "0.93 (13/14)"; "-" for a class without samples.
std::string FormatAccuracyTable(const EvaluationReport& report);

// The confusion matrix of one combination (rows: true classes that have
// samples; columns: predicted classes, plus "none" when a face got no
// answer).
std::string FormatConfusionMatrix(const ConfusionMatrix& matrix);

// Dataset summary, the accuracy table and every confusion matrix.
// `dataset` names the dataset (its folder).
std::string FormatEvaluationReport(const EvaluationReport& report, absl::string_view dataset);

// The whole report as one line of JSON: dataset, images, evaluated,
// skipped, classes, models, crop_settings, results (per combination:
// model, crop, policy, accuracy, correct, total, unanswered, mean_recall,
// mean_true_class_probability, recall by class, confusion rows) and
// readings (per image: path, truth, predicted by crop and model). Undefined
// values are null.
std::string EvaluationReportJson(const EvaluationReport& report, absl::string_view dataset);

// `text` as a JSON string literal, quotes included.
std::string JsonString(absl::string_view text);

}  // namespace affect::eval

#endif  // AFFECT_CLIENT_EVAL_EVAL_REPORT_H_

#include "client/eval/eval_report.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "server/analysis/face/expression_labels.h"

namespace affect::eval {
namespace {

using Row = std::vector<std::string>;

// Columns padded to their widest cell: the first `left_columns` aligned
// left, the others right.
std::string FormatColumns(const std::vector<Row>& rows, size_t left_columns,
                          absl::string_view indent = "") {
  std::vector<size_t> widths;
  for (const Row& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string text;
  for (const Row& row : rows) {
    std::string line(indent);
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string padding(widths[c] - row[c].size(), ' ');
      if (c > 0) line += "  ";
      line += c < left_columns ? row[c] + padding : padding + row[c];
    }
    line.erase(line.find_last_not_of(' ') + 1);
    absl::StrAppend(&text, line, "\n");
  }
  return text;
}

std::string ClassName(int c) {
  return std::string(analysis::ExpressionName(analysis::CanonicalExpressions()[c]));
}

std::string ModelName(const v1::ModelRef& model) {
  return model.members_size() > 0 ? absl::StrCat(model.name(), " (ensemble)") : model.name();
}

std::string DescribeModel(const v1::ModelRef& model) {
  std::string text = absl::StrCat(model.name(), " v", model.version());
  if (model.members_size() > 0) {
    std::vector<std::string> members;
    for (const v1::ModelRef& member : model.members()) {
      members.push_back(absl::StrCat(member.name(), " v", member.version()));
    }
    absl::StrAppend(&text, " = ensemble of ", absl::StrJoin(members, " + "));
  }
  return text;
}

std::string Fraction(std::optional<double> value, int64_t numerator, int64_t denominator,
                     int digits) {
  if (!value.has_value()) return "-";
  return absl::StrFormat("%.*f (%d/%d)", digits, *value, numerator, denominator);
}

std::string JsonNumber(std::optional<double> value) {
  return value.has_value() ? absl::StrCat(*value) : "null";
}

std::string JsonModelRef(const v1::ModelRef& model) {
  std::string json =
      absl::StrCat("{\"name\":", JsonString(model.name()), ",\"version\":", model.version());
  if (model.members_size() > 0) {
    std::vector<std::string> members;
    for (const v1::ModelRef& member : model.members()) members.push_back(JsonModelRef(member));
    absl::StrAppend(&json, ",\"members\":[", absl::StrJoin(members, ","), "]");
  }
  return json + "}";
}

std::string JsonResult(const ModelCropResult& result, const std::string& model,
                       const std::string& crop) {
  const ConfusionMatrix& matrix = result.matrix;
  std::vector<std::string> recall;
  std::vector<std::string> rows;
  for (int t = 0; t < matrix.num_classes(); ++t) {
    recall.push_back(absl::StrCat(JsonString(ClassName(t)), ":", JsonNumber(matrix.Recall(t))));
    std::vector<int64_t> row;
    for (int p = 0; p < matrix.num_classes(); ++p) row.push_back(matrix.count(t, p));
    rows.push_back(absl::StrCat("[", absl::StrJoin(row, ","), "]"));
  }
  return absl::StrCat(
      "{\"model\":", JsonString(model), ",\"crop\":", JsonString(crop),
      ",\"policy\":", JsonString(result.policy), ",\"accuracy\":", JsonNumber(matrix.Accuracy()),
      ",\"correct\":", matrix.correct(), ",\"total\":", matrix.total(),
      ",\"unanswered\":", matrix.total_unanswered(),
      ",\"mean_recall\":", JsonNumber(matrix.MeanRecall()),
      ",\"mean_true_class_probability\":", JsonNumber(result.MeanTrueClassProbability()),
      ",\"recall\":{", absl::StrJoin(recall, ","), "},\"confusion\":[", absl::StrJoin(rows, ","),
      "]}");
}

}  // namespace

std::string JsonString(absl::string_view text) {
  std::string json = "\"";
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        json += "\\\"";
        break;
      case '\\':
        json += "\\\\";
        break;
      case '\n':
        json += "\\n";
        break;
      case '\t':
        json += "\\t";
        break;
      default:
        if (byte < 0x20) {
          json += absl::StrFormat("\\u%04x", byte);
        } else {
          json += ch;
        }
    }
  }
  return json + "\"";
}

std::string FormatAccuracyTable(const EvaluationReport& report) {
  std::vector<Row> rows;
  Row header = {"model", "crop", "policy", "accuracy", "mean recall", "p(true)"};
  for (int c = 0; c < analysis::kNumExpressions; ++c) header.push_back(ClassName(c));
  rows.push_back(header);
  for (size_t m = 0; m < report.models.size(); ++m) {
    for (size_t s = 0; s < report.settings.size(); ++s) {
      const ModelCropResult& result = report.results[s][m];
      const ConfusionMatrix& matrix = result.matrix;
      // An ensemble under `configured` crops as each member is configured
      // (the confusion matrix's heading spells it out).
      const bool per_member =
          !report.settings[s].policy.has_value() && report.models[m].members_size() > 0;
      Row row = {ModelName(report.models[m]), report.settings[s].name,
                 per_member ? "as its members" : result.policy,
                 Fraction(matrix.Accuracy(), matrix.correct(), matrix.total(), 3)};
      const std::optional<double> mean_recall = matrix.MeanRecall();
      row.push_back(mean_recall.has_value() ? absl::StrFormat("%.3f", *mean_recall) : "-");
      const std::optional<double> true_probability = result.MeanTrueClassProbability();
      row.push_back(true_probability.has_value() ? absl::StrFormat("%.3f", *true_probability)
                                                 : "-");
      for (int c = 0; c < matrix.num_classes(); ++c) {
        row.push_back(Fraction(matrix.Recall(c), matrix.count(c, c), matrix.support(c), 2));
      }
      rows.push_back(std::move(row));
    }
  }
  return FormatColumns(rows, 3);
}

std::string FormatConfusionMatrix(const ConfusionMatrix& matrix) {
  const bool any_unanswered = matrix.total_unanswered() > 0;
  std::vector<Row> rows;
  Row header = {"true \\ predicted"};
  for (int p = 0; p < matrix.num_classes(); ++p) header.push_back(ClassName(p));
  if (any_unanswered) header.push_back("none");
  rows.push_back(header);
  for (int t = 0; t < matrix.num_classes(); ++t) {
    if (matrix.support(t) == 0) continue;
    Row row = {ClassName(t)};
    for (int p = 0; p < matrix.num_classes(); ++p) row.push_back(absl::StrCat(matrix.count(t, p)));
    if (any_unanswered) row.push_back(absl::StrCat(matrix.unanswered(t)));
    rows.push_back(std::move(row));
  }
  return FormatColumns(rows, 1, "  ");
}

std::string FormatEvaluationReport(const EvaluationReport& report, absl::string_view dataset) {
  std::map<std::string, int> per_class;
  for (const ImageReading& reading : report.readings) {
    ++per_class[std::string(analysis::ExpressionName(reading.truth))];
  }
  std::vector<std::string> counts;
  for (int c = 0; c < analysis::kNumExpressions; ++c) {
    if (auto found = per_class.find(ClassName(c)); found != per_class.end()) {
      counts.push_back(absl::StrCat(found->first, " ", found->second));
    }
  }
  std::string text = absl::StrCat(
      "Dataset ", dataset, ": ", report.images, " images, ", report.readings.size(), " evaluated (",
      absl::StrJoin(counts, ", "), "); the subject of each image is its largest face\n");
  for (const SkippedImage& skipped : report.skipped) {
    absl::StrAppend(&text, "  skipped ", skipped.path, ": ", skipped.reason, "\n");
  }
  std::vector<std::string> models;
  for (const v1::ModelRef& model : report.models) models.push_back(DescribeModel(model));
  absl::StrAppend(&text, "Models: ", absl::StrJoin(models, "; "), "\n\n");
  absl::StrAppend(&text,
                  "Accuracy, mean recall, mean probability given to the true class (p(true)) "
                  "and recall per class\n(correct/samples; '-': no sample of the class)\n",
                  FormatAccuracyTable(report), "\n");
  absl::StrAppend(&text, "Confusion matrices\n");
  for (size_t m = 0; m < report.models.size(); ++m) {
    for (size_t s = 0; s < report.settings.size(); ++s) {
      const ModelCropResult& result = report.results[s][m];
      absl::StrAppend(
          &text, ModelName(report.models[m]), ", crop ", report.settings[s].name, " (",
          result.policy, "): accuracy ",
          Fraction(result.matrix.Accuracy(), result.matrix.correct(), result.matrix.total(), 3),
          "\n", FormatConfusionMatrix(result.matrix));
    }
  }
  return text;
}

std::string EvaluationReportJson(const EvaluationReport& report, absl::string_view dataset) {
  std::vector<std::string> skipped;
  for (const SkippedImage& image : report.skipped) {
    skipped.push_back(absl::StrCat("{\"path\":", JsonString(image.path),
                                   ",\"reason\":", JsonString(image.reason), "}"));
  }
  std::vector<std::string> classes;
  for (int c = 0; c < analysis::kNumExpressions; ++c) classes.push_back(JsonString(ClassName(c)));
  std::vector<std::string> models;
  for (const v1::ModelRef& model : report.models) models.push_back(JsonModelRef(model));
  std::vector<std::string> settings;
  for (const CropSetting& setting : report.settings) {
    settings.push_back(absl::StrCat(
        "{\"name\":", JsonString(setting.name), ",\"policy\":",
        setting.policy.has_value() ? JsonString(DescribeCropPolicy(*setting.policy)) : "null",
        "}"));
  }
  std::vector<std::string> results;
  for (size_t s = 0; s < report.settings.size(); ++s) {
    for (size_t m = 0; m < report.models.size(); ++m) {
      results.push_back(
          JsonResult(report.results[s][m], report.models[m].name(), report.settings[s].name));
    }
  }
  std::vector<std::string> readings;
  for (const ImageReading& reading : report.readings) {
    std::vector<std::string> by_setting;
    std::vector<std::string> scores_by_setting;
    for (size_t s = 0; s < reading.scores.size(); ++s) {
      std::vector<std::string> by_model;
      for (size_t m = 0; m < reading.scores[s].size(); ++m) {
        const std::vector<float>& seven = reading.scores[s][m];
        by_model.push_back(absl::StrCat(
            JsonString(report.models[m].name()), ":",
            seven.empty() ? "null"
                          : absl::StrCat("[",
                                         absl::StrJoin(seven, ",",
                                                       [](std::string* out, float score) {
                                                         absl::StrAppend(
                                                             out, absl::StrFormat("%.5g", score));
                                                       }),
                                         "]")));
      }
      scores_by_setting.push_back(absl::StrCat(JsonString(report.settings[s].name), ":{",
                                               absl::StrJoin(by_model, ","), "}"));
    }
    for (size_t s = 0; s < reading.predicted.size(); ++s) {
      std::vector<std::string> by_model;
      for (size_t m = 0; m < reading.predicted[s].size(); ++m) {
        const v1::Expression predicted = reading.predicted[s][m];
        by_model.push_back(absl::StrCat(JsonString(report.models[m].name()), ":",
                                        predicted == v1::EXPRESSION_UNSPECIFIED
                                            ? "null"
                                            : JsonString(analysis::ExpressionName(predicted))));
      }
      by_setting.push_back(absl::StrCat(JsonString(report.settings[s].name), ":{",
                                        absl::StrJoin(by_model, ","), "}"));
    }
    readings.push_back(absl::StrCat("{\"path\":", JsonString(reading.path), ",\"truth\":",
                                    JsonString(analysis::ExpressionName(reading.truth)),
                                    ",\"predicted\":{", absl::StrJoin(by_setting, ","),
                                    "},\"scores\":{", absl::StrJoin(scores_by_setting, ","), "}}"));
  }
  return absl::StrCat("{\"dataset\":", JsonString(dataset), ",\"images\":", report.images,
                      ",\"evaluated\":", report.readings.size(), ",\"skipped\":[",
                      absl::StrJoin(skipped, ","), "],\"classes\":[", absl::StrJoin(classes, ","),
                      "],\"models\":[", absl::StrJoin(models, ","), "],\"crop_settings\":[",
                      absl::StrJoin(settings, ","), "],\"results\":[", absl::StrJoin(results, ","),
                      "],\"readings\":[", absl::StrJoin(readings, ","), "]}\n");
}

}  // namespace affect::eval

#include "client/eval/group_report.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/eval/calibration.h"
#include "client/eval/eval_report.h"

namespace affect::eval {
namespace {

std::string ClassName(int c) {
  return std::string(analysis::ExpressionName(analysis::CanonicalExpressions()[c]));
}

std::string Fraction(std::optional<double> value, int64_t part, int64_t whole) {
  if (!value.has_value()) return "-";
  return absl::StrFormat("%.2f (%d/%d)", *value, part, whole);
}

std::string Number(std::optional<double> value) {
  return value.has_value() ? absl::StrFormat("%.3f", *value) : "-";
}

std::string JsonNumber(std::optional<double> value) {
  return value.has_value() ? absl::StrFormat("%.6g", *value) : "null";
}

// The figures of one group (or all) from its subjects' readings.
GroupFigures Figures(const std::string& name, const std::vector<const ImageReading*>& readings,
                     size_t setting, size_t model) {
  GroupFigures figures;
  figures.group = name;
  std::vector<CalibrationSample> samples;
  for (const ImageReading* reading : readings) {
    const int truth = analysis::ExpressionIndex(reading->truth);
    const v1::Expression predicted = reading->predicted[setting][model];
    const int predicted_index = analysis::ExpressionIndex(predicted);
    if (predicted_index < 0) {
      (void)figures.matrix.AddUnanswered(truth);
      continue;
    }
    (void)figures.matrix.Add(truth, predicted_index);
    if (setting < reading->confidence.size() && model < reading->confidence[setting].size()) {
      samples.push_back({reading->confidence[setting][model], predicted_index == truth});
    }
    if (setting < reading->uncertain.size() && model < reading->uncertain[setting].size() &&
        reading->uncertain[setting][model]) {
      ++figures.uncertain;
    }
  }
  figures.ece = ExpectedCalibrationError(samples);
  return figures;
}

// The gap of one figure over the groups that have it (nullopt: fewer than 2).
std::optional<GroupGap> Gap(const std::string& figure, const std::vector<GroupFigures>& groups,
                            const std::function<std::optional<double>(const GroupFigures&)>& get,
                            bool lower_is_better) {
  std::vector<std::pair<double, std::string>> values;
  for (const GroupFigures& group : groups) {
    if (const std::optional<double> value = get(group)) values.push_back({*value, group.group});
  }
  if (values.size() < 2) return std::nullopt;
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  GroupGap gap;
  gap.figure = figure;
  gap.gap = high->first - low->first;
  const auto& best = lower_is_better ? *low : *high;
  const auto& worst = lower_is_better ? *high : *low;
  gap.best_group = best.second;
  gap.best = best.first;
  gap.worst_group = worst.second;
  gap.worst = worst.first;
  return gap;
}

std::string FiguresJson(const GroupFigures& f) {
  std::vector<std::string> recall;
  std::vector<std::string> rows;
  for (int c = 0; c < f.matrix.num_classes(); ++c) {
    recall.push_back(absl::StrCat(JsonString(ClassName(c)), ":", JsonNumber(f.matrix.Recall(c))));
    if (f.matrix.support(c) == 0) continue;
    std::vector<std::string> counts;
    for (int p = 0; p < f.matrix.num_classes(); ++p) {
      counts.push_back(absl::StrCat(f.matrix.count(c, p)));
    }
    rows.push_back(absl::StrCat("{\"truth\":", JsonString(ClassName(c)), ",\"predicted\":[",
                                absl::StrJoin(counts, ","), "],\"unanswered\":",
                                f.matrix.unanswered(c), "}"));
  }
  return absl::StrCat("{\"group\":", JsonString(f.group), ",\"subjects\":", f.matrix.total(),
                      ",\"accuracy\":", JsonNumber(f.matrix.Accuracy()),
                      ",\"mean_recall\":", JsonNumber(f.matrix.MeanRecall()),
                      ",\"ece\":", JsonNumber(f.ece), ",\"uncertain\":", f.uncertain,
                      ",\"recall\":{", absl::StrJoin(recall, ","), "},\"confusion\":[",
                      absl::StrJoin(rows, ","), "]}");
}

std::string GapJson(const GroupGap& gap) {
  return absl::StrCat("{\"figure\":", JsonString(gap.figure), ",\"gap\":", JsonNumber(gap.gap),
                      ",\"best_group\":", JsonString(gap.best_group),
                      ",\"best\":", JsonNumber(gap.best),
                      ",\"worst_group\":", JsonString(gap.worst_group),
                      ",\"worst\":", JsonNumber(gap.worst), "}");
}

std::string GapSentence(const GroupGap& gap) {
  return absl::StrFormat("%s: %.2f ('%s' %.2f, '%s' %.2f)", gap.figure, gap.gap, gap.best_group,
                         gap.best, gap.worst_group, gap.worst);
}

}  // namespace

absl::StatusOr<GroupReport> MakeGroupReport(const EvaluationReport& report, size_t setting,
                                            size_t model) {
  if (setting >= report.settings.size() || model >= report.models.size()) {
    return absl::InvalidArgumentError(absl::StrCat("no (setting ", setting, ", model ", model,
                                                   ") in the evaluation report"));
  }
  GroupReport out;
  out.model = report.models[model];
  out.crop = report.settings[setting].name;
  if (setting < report.results.size() && model < report.results[setting].size()) {
    out.policy = report.results[setting][model].policy;
  }
  std::vector<const ImageReading*> all;
  std::map<std::string, std::vector<const ImageReading*>> by_group;
  for (const ImageReading& reading : report.readings) {
    if (setting >= reading.predicted.size() || model >= reading.predicted[setting].size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("reading '", reading.path, "' lacks setting ", setting, " model ", model));
    }
    all.push_back(&reading);
    if (!reading.group.empty()) by_group[reading.group].push_back(&reading);
  }
  out.overall = Figures("all", all, setting, model);
  for (const auto& [name, readings] : by_group) {
    out.groups.push_back(Figures(name, readings, setting, model));
  }
  auto add = [&out](std::optional<GroupGap> gap) {
    if (gap.has_value()) out.gaps.push_back(*std::move(gap));
  };
  add(Gap("accuracy", out.groups, [](const GroupFigures& f) { return f.matrix.Accuracy(); },
          false));
  add(Gap("mean recall", out.groups, [](const GroupFigures& f) { return f.matrix.MeanRecall(); },
          false));
  add(Gap("ECE", out.groups, [](const GroupFigures& f) { return f.ece; }, true));
  for (int c = 0; c < analysis::kNumExpressions; ++c) {
    add(Gap(absl::StrCat("recall of ", ClassName(c)), out.groups,
            [c](const GroupFigures& f) { return f.matrix.Recall(c); }, false));
  }
  std::stable_sort(out.gaps.begin(), out.gaps.end(),
                   [](const GroupGap& a, const GroupGap& b) { return a.gap > b.gap; });
  return out;
}

std::string FormatGroupReport(const GroupReport& report) {
  const std::string policy =
      report.policy.empty() ? "" : absl::StrCat(" (", report.policy, ")");
  std::string text = absl::StrCat("Per-group figures: ", report.model.name(), " v",
                                  report.model.version(), ", crop ", report.crop, policy, "\n");
  std::vector<int> classes;
  for (int c = 0; c < analysis::kNumExpressions; ++c) {
    if (report.overall.matrix.support(c) > 0) classes.push_back(c);
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"group", "faces", "accuracy", "mean recall", "ECE",
                                     "uncertain"};
  for (int c : classes) header.push_back(ClassName(c));
  rows.push_back(header);
  std::vector<const GroupFigures*> listed = {&report.overall};
  for (const GroupFigures& group : report.groups) listed.push_back(&group);
  for (const GroupFigures* f : listed) {
    std::vector<std::string> row = {
        f->group,
        absl::StrCat(f->matrix.total()),
        Fraction(f->matrix.Accuracy(), f->matrix.correct(), f->matrix.total()),
        Number(f->matrix.MeanRecall()),
        Number(f->ece),
        absl::StrCat(f->uncertain)};
    for (int c : classes) {
      row.push_back(Fraction(f->matrix.Recall(c), f->matrix.count(c, c), f->matrix.support(c)));
    }
    rows.push_back(std::move(row));
  }
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line = " ";
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string padding(widths[c] - row[c].size(), ' ');
      line += " " + (c == 0 ? row[c] + padding : padding + row[c]);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    absl::StrAppend(&text, line, "\n");
  }
  if (report.groups.empty()) {
    absl::StrAppend(&text,
                    "No groups: put the images in DIR/<group>/<class>/ to compare groups.\n");
  } else if (report.gaps.empty()) {
    absl::StrAppend(&text, "No figure is defined for two groups: nothing to compare.\n");
  } else {
    absl::StrAppend(&text, "Largest gap between groups: ", GapSentence(report.gaps.front()),
                    "\n");
    std::vector<std::string> others;
    for (size_t i = 1; i < report.gaps.size(); ++i) others.push_back(GapSentence(report.gaps[i]));
    if (!others.empty()) {
      absl::StrAppend(&text, "Other gaps:\n  ", absl::StrJoin(others, "\n  "), "\n");
    }
    absl::StrAppend(&text,
                    "Small groups give noisy figures: read each gap with the counts above.\n");
  }
  absl::StrAppend(&text, "ECE: expected calibration error of the top class's score (10 bins; "
                         "0 = the scores match how often the model is right).\n");
  for (const GroupFigures* f : listed) {
    if (report.groups.empty() && f != &report.overall) continue;
    absl::StrAppend(&text, "\nConfusion matrix, ", f->group, ":\n",
                    FormatConfusionMatrix(f->matrix));
  }
  return text;
}

std::string GroupReportJson(const GroupReport& report) {
  std::vector<std::string> groups;
  for (const GroupFigures& group : report.groups) groups.push_back(FiguresJson(group));
  std::vector<std::string> gaps;
  for (const GroupGap& gap : report.gaps) gaps.push_back(GapJson(gap));
  return absl::StrCat("{\"model\":", JsonString(report.model.name()),
                      ",\"version\":", report.model.version(), ",\"crop\":",
                      JsonString(report.crop), ",\"policy\":", JsonString(report.policy),
                      ",\"overall\":", FiguresJson(report.overall), ",\"groups\":[",
                      absl::StrJoin(groups, ","), "],\"gaps\":[", absl::StrJoin(gaps, ","),
                      "],\"largest_gap\":",
                      report.gaps.empty() ? "null" : GapJson(report.gaps.front()), "}");
}

}  // namespace affect::eval

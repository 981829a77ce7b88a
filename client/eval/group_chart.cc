#include "client/eval/group_chart.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace affect::eval {
namespace {

// RGB; the whole set is grey, groups take these in turn.
const cv::Scalar kAllColor(150, 150, 150);
const cv::Scalar kGroupColors[] = {
    cv::Scalar(31, 119, 180), cv::Scalar(255, 127, 14), cv::Scalar(44, 160, 44),
    cv::Scalar(214, 39, 40),  cv::Scalar(148, 103, 189), cv::Scalar(140, 86, 75),
    cv::Scalar(227, 119, 194), cv::Scalar(188, 189, 34), cv::Scalar(23, 190, 207)};
const cv::Scalar kInk(30, 30, 30);

struct Figure {
  std::string name;
  std::function<std::optional<double>(const GroupFigures&)> value;
};

void Text(cv::Mat* image, const std::string& text, cv::Point at, double scale = 0.45,
          const cv::Scalar& color = kInk) {
  cv::putText(*image, text, at, cv::FONT_HERSHEY_SIMPLEX, scale, color, 1, cv::LINE_AA);
}

int TextWidth(const std::string& text, double scale) {
  int baseline = 0;
  return cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline).width;
}

}  // namespace

cv::Mat DrawGroupChart(const GroupReport& report) {
  std::vector<Figure> figures = {
      {"accuracy", [](const GroupFigures& f) { return f.matrix.Accuracy(); }},
      {"mean recall", [](const GroupFigures& f) { return f.matrix.MeanRecall(); }},
      {"1 - ECE", [](const GroupFigures& f) -> std::optional<double> {
         if (!f.ece.has_value()) return std::nullopt;
         return 1.0 - *f.ece;
       }}};
  for (int c = 0; c < analysis::kNumExpressions; ++c) {
    if (report.overall.matrix.support(c) == 0) continue;
    figures.push_back(
        {absl::StrCat("recall ",
                      analysis::ExpressionName(analysis::CanonicalExpressions()[c])),
         [c](const GroupFigures& f) { return f.matrix.Recall(c); }});
  }
  std::vector<const GroupFigures*> series = {&report.overall};
  for (const GroupFigures& group : report.groups) series.push_back(&group);

  const int bar = 18;
  // Each cluster is as wide as its bars or its label, whichever is wider.
  int cluster = static_cast<int>(series.size()) * bar;
  for (const Figure& figure : figures) cluster = std::max(cluster, TextWidth(figure.name, 0.4));
  cluster += 24;
  const std::string heading = absl::StrCat("Expression model ", report.model.name(), " v",
                                           report.model.version(), " by group (crop ",
                                           report.crop, ")");
  const std::string title =
      report.gaps.empty()
          ? std::string(report.groups.empty() ? "no groups in the dataset"
                                              : "no figure shared by two groups")
          : absl::StrFormat("largest gap: %s %.2f ('%s' %.2f vs '%s' %.2f)",
                            report.gaps.front().figure, report.gaps.front().gap,
                            report.gaps.front().best_group, report.gaps.front().best,
                            report.gaps.front().worst_group, report.gaps.front().worst);
  const int left = 60, right = 20, top = 70, plot_height = 300, bottom = 90;
  const int width =
      std::max({640, left + right + cluster * static_cast<int>(figures.size()),
                left + right + TextWidth(heading, 0.6), left + right + TextWidth(title, 0.5)});
  int legend_column = 160;
  for (const GroupFigures* group : series) {
    legend_column = std::max(legend_column, TextWidth(group->group, 0.45) + 70);
  }
  const int per_row = std::max(1, (width - left) / legend_column);
  const int series_count = static_cast<int>(series.size());
  const int legend_rows = (series_count + per_row - 1) / per_row;
  const int height = top + plot_height + bottom + 22 * legend_rows;
  cv::Mat image(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  Text(&image, heading, {left, 24}, 0.6);
  Text(&image, title, {left, 48}, 0.5, cv::Scalar(180, 30, 30));

  const int base = top + plot_height;
  for (int tick = 0; tick <= 4; ++tick) {
    const int y = base - tick * plot_height / 4;
    cv::line(image, {left, y}, {width - right, y}, cv::Scalar(225, 225, 225), 1);
    Text(&image, absl::StrFormat("%.2f", tick * 0.25), {8, y + 4}, 0.4);
  }
  cv::line(image, {left, base}, {width - right, base}, kInk, 1);
  for (size_t f = 0; f < figures.size(); ++f) {
    const int x0 = left + static_cast<int>(f) * cluster + 12;
    for (size_t s = 0; s < series.size(); ++s) {
      const std::optional<double> value = figures[f].value(*series[s]);
      const int x = x0 + static_cast<int>(s) * bar;
      const cv::Scalar color = s == 0 ? kAllColor : kGroupColors[(s - 1) % 9];
      if (!value.has_value()) {
        Text(&image, "-", {x + 4, base - 4}, 0.4);
        continue;
      }
      const int h = static_cast<int>(std::clamp(*value, 0.0, 1.0) * plot_height);
      cv::rectangle(image, cv::Rect(x, base - h, bar - 3, std::max(h, 1)), color, cv::FILLED);
    }
    Text(&image, figures[f].name, {x0, base + 18}, 0.4);
  }
  for (size_t s = 0; s < series.size(); ++s) {
    const int row = static_cast<int>(s) / per_row;
    const int column = static_cast<int>(s) % per_row;
    const int x = left + column * legend_column;
    const int y = base + 50 + row * 22;
    const cv::Scalar color = s == 0 ? kAllColor : kGroupColors[(s - 1) % 9];
    cv::rectangle(image, cv::Rect(x, y - 11, 14, 14), color, cv::FILLED);
    Text(&image, absl::StrCat(series[s]->group, " (", series[s]->matrix.total(), ")"),
         {x + 20, y});
  }
  return image;
}

absl::Status WriteGroupChart(const GroupReport& report, const std::string& path) {
  const cv::Mat rgb = DrawGroupChart(report);
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  if (!cv::haveImageWriter(path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--chart: '", path, "': OpenCV cannot write this format; use .png"));
  }
  bool written = false;
  try {
    written = cv::imwrite(path, bgr);
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("--chart: cannot write '", path, "': ", e.what()));
  }
  if (!written) return absl::InternalError(absl::StrCat("--chart: cannot write '", path, "'"));
  return absl::OkStatus();
}

}  // namespace affect::eval

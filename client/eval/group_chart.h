// `affect-client eval --chart=FILE.png`: the group report drawn as a bar
// chart. One cluster of bars per figure (accuracy, mean recall, 1 - ECE,
// then the recall of each class with samples), one bar per group (the
// whole set first, in grey), values 0..1 on a shared axis, with the legend
// and the largest gap written as the title.
#ifndef AFFECT_CLIENT_EVAL_GROUP_CHART_H_
#define AFFECT_CLIENT_EVAL_GROUP_CHART_H_

#include <string>

#include "absl/status/status.h"
#include "client/eval/group_report.h"
#include "opencv2/core/mat.hpp"

namespace affect::eval {

// The chart as an RGB image (CV_8UC3).
cv::Mat DrawGroupChart(const GroupReport& report);

// Draws and writes it (format from the extension: .png recommended).
// INVALID_ARGUMENT for a path OpenCV cannot write images to; INTERNAL when
// writing fails.
absl::Status WriteGroupChart(const GroupReport& report, const std::string& path);

}  // namespace affect::eval

#endif  // AFFECT_CLIENT_EVAL_GROUP_CHART_H_

#include "client/eval/calibration.h"

#include <algorithm>
#include <cmath>

namespace affect::eval {

std::optional<double> ExpectedCalibrationError(const std::vector<CalibrationSample>& samples,
                                               int bins) {
  if (samples.empty() || bins < 1) return std::nullopt;
  std::vector<int> count(static_cast<size_t>(bins), 0);
  std::vector<double> confidence(static_cast<size_t>(bins), 0.0);
  std::vector<int> correct(static_cast<size_t>(bins), 0);
  for (const CalibrationSample& sample : samples) {
    const double c = std::clamp(sample.confidence, 0.0, 1.0);
    // Bins (0, 1/b], (1/b, 2/b], ...; 0 goes into the first.
    const int bin = std::clamp(static_cast<int>(std::ceil(c * bins)) - 1, 0, bins - 1);
    ++count[static_cast<size_t>(bin)];
    confidence[static_cast<size_t>(bin)] += c;
    correct[static_cast<size_t>(bin)] += sample.correct ? 1 : 0;
  }
  double ece = 0.0;
  const double total = static_cast<double>(samples.size());
  for (size_t b = 0; b < count.size(); ++b) {
    if (count[b] == 0) continue;
    const double n = static_cast<double>(count[b]);
    ece += n / total * std::abs(static_cast<double>(correct[b]) / n - confidence[b] / n);
  }
  return ece;
}

}  // namespace affect::eval

// Expected calibration error (ECE): how far a classifier's confidence is
// from how often it is right. Samples are binned by confidence into `bins`
// equal-width bins over [0, 1]; ECE = sum over bins of
// (samples in bin / all samples) x |accuracy in bin - mean confidence in bin|.
// 0 is perfectly calibrated; a model that says 0.9 and is right half the
// time scores 0.4. (Guo et al. 2017, "On Calibration of Modern Neural
// Networks", with the usual 10 bins.)
//
// Pure functions.
#ifndef AFFECT_CLIENT_EVAL_CALIBRATION_H_
#define AFFECT_CLIENT_EVAL_CALIBRATION_H_

#include <optional>
#include <vector>

namespace affect::eval {

struct CalibrationSample {
  // The score of the predicted (top) class, in [0, 1].
  double confidence = 0.0;
  bool correct = false;
};

inline constexpr int kCalibrationBins = 10;

// nullopt for no samples. Confidences outside [0, 1] are clamped.
// REQUIRES: bins >= 1.
std::optional<double> ExpectedCalibrationError(const std::vector<CalibrationSample>& samples,
                                               int bins = kCalibrationBins);

}  // namespace affect::eval

#endif  // AFFECT_CLIENT_EVAL_CALIBRATION_H_

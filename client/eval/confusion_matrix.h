// The counts an accuracy evaluation collects, and what is read from them:
// a confusion matrix over N classes, per-class recall, overall accuracy.
//
// Rows are the true class, columns the predicted one. A sample the
// classifier gave no answer for (e.g. its face crop could not be made) counts
// in its row's total but in no column, so it lowers recall and accuracy
// instead of silently leaving the set: every classifier compared on a set is
// judged on the same samples.
//
// Thread-compatible (no internal locking).
#ifndef AFFECT_CLIENT_EVAL_CONFUSION_MATRIX_H_
#define AFFECT_CLIENT_EVAL_CONFUSION_MATRIX_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"

namespace affect::eval {

class ConfusionMatrix {
 public:
  // REQUIRES: num_classes >= 1 (checked: aborts otherwise).
  explicit ConfusionMatrix(int num_classes);

  // Counts one sample. INVALID_ARGUMENT (nothing counted) when a class is
  // outside [0, num_classes).
  absl::Status Add(int truth, int predicted);
  // Counts one sample of class `truth` that got no prediction.
  absl::Status AddUnanswered(int truth);

  int num_classes() const { return num_classes_; }
  // Samples of class `truth` predicted as `predicted`. REQUIRES: both in range.
  int64_t count(int truth, int predicted) const;
  // Samples of class `truth` that got no prediction.
  int64_t unanswered(int truth) const;
  // Samples whose true class is `truth` (its row, unanswered included).
  int64_t support(int truth) const;
  // Samples predicted as `predicted` (its column).
  int64_t predicted_total(int predicted) const;
  int64_t total() const;
  int64_t correct() const;
  int64_t total_unanswered() const;

  // correct / total; nullopt for an empty matrix.
  std::optional<double> Accuracy() const;
  // count(c, c) / support(c); nullopt when class c has no samples.
  std::optional<double> Recall(int c) const;
  // Mean of Recall over the classes that have samples (balanced accuracy:
  // on a set dominated by one class it shows what accuracy hides); nullopt
  // for an empty matrix.
  std::optional<double> MeanRecall() const;

 private:
  bool InRange(int c) const { return c >= 0 && c < num_classes_; }

  int num_classes_;
  // counts_[truth * num_classes_ + predicted]
  std::vector<int64_t> counts_;
  std::vector<int64_t> unanswered_;
};

}  // namespace affect::eval

#endif  // AFFECT_CLIENT_EVAL_CONFUSION_MATRIX_H_

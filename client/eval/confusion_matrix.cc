#include "client/eval/confusion_matrix.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"

namespace affect::eval {

ConfusionMatrix::ConfusionMatrix(int num_classes) : num_classes_(num_classes) {
  if (num_classes < 1) {
    std::cerr << "ConfusionMatrix: num_classes must be >= 1, got " << num_classes << "\n";
    std::abort();
  }
  counts_.assign(static_cast<size_t>(num_classes) * static_cast<size_t>(num_classes), 0);
  unanswered_.assign(static_cast<size_t>(num_classes), 0);
}

absl::Status ConfusionMatrix::Add(int truth, int predicted) {
  if (!InRange(truth) || !InRange(predicted)) {
    return absl::InvalidArgumentError(absl::StrCat("class out of range: truth ", truth,
                                                   ", predicted ", predicted, " (", num_classes_,
                                                   " classes)"));
  }
  ++counts_[static_cast<size_t>(truth * num_classes_ + predicted)];
  return absl::OkStatus();
}

absl::Status ConfusionMatrix::AddUnanswered(int truth) {
  if (!InRange(truth)) {
    return absl::InvalidArgumentError(
        absl::StrCat("class out of range: truth ", truth, " (", num_classes_, " classes)"));
  }
  ++unanswered_[static_cast<size_t>(truth)];
  return absl::OkStatus();
}

int64_t ConfusionMatrix::count(int truth, int predicted) const {
  return counts_.at(static_cast<size_t>(truth * num_classes_ + predicted));
}

int64_t ConfusionMatrix::unanswered(int truth) const {
  return unanswered_.at(static_cast<size_t>(truth));
}

int64_t ConfusionMatrix::support(int truth) const {
  int64_t sum = unanswered(truth);
  for (int p = 0; p < num_classes_; ++p) sum += count(truth, p);
  return sum;
}

int64_t ConfusionMatrix::predicted_total(int predicted) const {
  int64_t sum = 0;
  for (int t = 0; t < num_classes_; ++t) sum += count(t, predicted);
  return sum;
}

int64_t ConfusionMatrix::total() const {
  int64_t sum = 0;
  for (int t = 0; t < num_classes_; ++t) sum += support(t);
  return sum;
}

int64_t ConfusionMatrix::correct() const {
  int64_t sum = 0;
  for (int c = 0; c < num_classes_; ++c) sum += count(c, c);
  return sum;
}

int64_t ConfusionMatrix::total_unanswered() const {
  int64_t sum = 0;
  for (int64_t n : unanswered_) sum += n;
  return sum;
}

std::optional<double> ConfusionMatrix::Accuracy() const {
  const int64_t n = total();
  if (n == 0) return std::nullopt;
  return static_cast<double>(correct()) / static_cast<double>(n);
}

std::optional<double> ConfusionMatrix::Recall(int c) const {
  const int64_t n = support(c);
  if (n == 0) return std::nullopt;
  return static_cast<double>(count(c, c)) / static_cast<double>(n);
}

std::optional<double> ConfusionMatrix::MeanRecall() const {
  double sum = 0.0;
  int classes = 0;
  for (int c = 0; c < num_classes_; ++c) {
    if (const std::optional<double> recall = Recall(c)) {
      sum += *recall;
      ++classes;
    }
  }
  if (classes == 0) return std::nullopt;
  return sum / classes;
}

}  // namespace affect::eval

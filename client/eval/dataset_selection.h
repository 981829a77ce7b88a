// Which images of a labelled dataset an evaluation reads: a seeded split
// into a tuning part and a test part, and a cap on the images per class.
//
// Defaults (crop policies, ensemble weights, calibration) are chosen on the
// tuning part and reported on the test part; both parts must come from one
// folder without overlapping, and anyone must get the same parts from the
// same folder and seed. So an image's part and its rank within its class
// depend only on the seed and its file name (a 64-bit FNV-1a hash of
// "<seed>:<file name>"), not on the order the files were listed in, on the
// other images, on the platform's random number library, or on
// --limit_per_class: a larger limit only adds images, and a smaller
// fraction only moves images from the tuning part to the test part.
//
// Pure functions.
#ifndef AFFECT_CLIENT_EVAL_DATASET_SELECTION_H_
#define AFFECT_CLIENT_EVAL_DATASET_SELECTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/eval/expression_dataset.h"

namespace affect::eval {

enum class DatasetSplit {
  kAll,   // every image
  kTune,  // the images whose hash falls below the fraction
  kTest,  // the others
};

struct DatasetSelection {
  DatasetSplit split = DatasetSplit::kAll;
  uint64_t seed = 0;
  // Share of each class (and group) that goes to the tuning part, in (0, 1).
  double tune_fraction = 0.5;
  // At most this many images per class (and group) after the split, taken
  // in hash order; 0: no limit.
  int64_t limit_per_class = 0;
};

// "all", "tune" or "test"; INVALID_ARGUMENT naming the choices otherwise.
absl::StatusOr<DatasetSplit> ParseDatasetSplit(absl::string_view name);

// The images of `images` that `selection` keeps, in their original order.
// INVALID_ARGUMENT for a fraction outside (0, 1) or a negative limit.
absl::StatusOr<std::vector<DatasetImage>> SelectDatasetImages(
    const std::vector<DatasetImage>& images, const DatasetSelection& selection);

// The image's place in [0, 1) for `seed`, from its file name alone: below
// the tuning fraction it is in the tuning part. Exposed for tests.
double SplitPosition(absl::string_view path, uint64_t seed);

}  // namespace affect::eval

#endif  // AFFECT_CLIENT_EVAL_DATASET_SELECTION_H_

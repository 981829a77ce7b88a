#include "client/eval/dataset_selection.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"

namespace affect::eval {
namespace {

// FNV-1a, 64 bits: fixed by its definition, so a split recorded in the docs
// stays reproducible on any platform and compiler.
uint64_t Fnv1a64(absl::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

// The file name: moving the dataset folder must not change the split.
absl::string_view FileName(absl::string_view path) {
  const size_t slash = path.find_last_of('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

uint64_t HashOf(absl::string_view path, uint64_t seed) {
  return Fnv1a64(absl::StrCat(seed, ":", FileName(path)));
}

}  // namespace

absl::StatusOr<DatasetSplit> ParseDatasetSplit(absl::string_view name) {
  if (name == "all") return DatasetSplit::kAll;
  if (name == "tune") return DatasetSplit::kTune;
  if (name == "test") return DatasetSplit::kTest;
  return absl::InvalidArgumentError(
      absl::StrCat("'", name, "' is not a split: use all, tune or test"));
}

double SplitPosition(absl::string_view path, uint64_t seed) {
  // The top 53 bits: exactly representable, uniform in [0, 1).
  return static_cast<double>(HashOf(path, seed) >> 11) * 0x1.0p-53;
}

absl::StatusOr<std::vector<DatasetImage>> SelectDatasetImages(
    const std::vector<DatasetImage>& images, const DatasetSelection& selection) {
  if (!(selection.tune_fraction > 0.0 && selection.tune_fraction < 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the tuning fraction must be between 0 and 1 (exclusive), got ", selection.tune_fraction));
  }
  if (selection.limit_per_class < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the limit per class must be 0 (none) or more, got ", selection.limit_per_class));
  }
  // Per (group, class): the kept images' (hash, index), to rank them.
  std::map<std::pair<std::string, int>, std::vector<std::pair<uint64_t, size_t>>> kept;
  for (size_t i = 0; i < images.size(); ++i) {
    const DatasetImage& image = images[i];
    const bool tune = SplitPosition(image.path, selection.seed) < selection.tune_fraction;
    if ((selection.split == DatasetSplit::kTune && !tune) ||
        (selection.split == DatasetSplit::kTest && tune)) {
      continue;
    }
    kept[{image.group, static_cast<int>(image.truth)}].emplace_back(
        HashOf(image.path, selection.seed), i);
  }
  std::vector<size_t> chosen;
  for (auto& [key, members] : kept) {
    std::sort(members.begin(), members.end());
    const size_t take =
        selection.limit_per_class > 0
            ? std::min(members.size(), static_cast<size_t>(selection.limit_per_class))
            : members.size();
    for (size_t k = 0; k < take; ++k) chosen.push_back(members[k].second);
  }
  std::sort(chosen.begin(), chosen.end());
  std::vector<DatasetImage> selected;
  selected.reserve(chosen.size());
  for (const size_t i : chosen) selected.push_back(images[i]);
  return selected;
}

}  // namespace affect::eval

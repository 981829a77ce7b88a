#include "client/eval/expression_dataset.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/analysis/face/expression_labels.h"

namespace affect::eval {
namespace {

namespace fs = std::filesystem;

// The entries of `dir`; iterates with the non-throwing increment so that an
// unreadable folder is a status, not an exception.
absl::StatusOr<std::vector<fs::directory_entry>> ListDirectory(const fs::path& dir) {
  std::error_code error;
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    entries.push_back(*it);
  }
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot list '", dir.string(), "': ", error.message()));
  }
  return entries;
}

}  // namespace

bool IsDatasetImageFile(absl::string_view filename) {
  if (absl::StartsWith(filename, ".")) return false;
  const std::string lower = absl::AsciiStrToLower(filename);
  for (const char* extension : {".jpg", ".jpeg", ".png", ".bmp", ".webp"}) {
    if (absl::EndsWith(lower, extension)) return true;
  }
  return false;
}

absl::StatusOr<std::vector<DatasetImage>> ReadExpressionDataset(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return absl::NotFoundError(absl::StrCat("dataset '", dir, "' is not a directory"));
  }
  absl::StatusOr<std::vector<fs::directory_entry>> folders = ListDirectory(dir);
  if (!folders.ok()) return folders.status();
  std::vector<DatasetImage> images;
  for (const fs::directory_entry& folder : *folders) {
    const std::string name = folder.path().filename().string();
    if (absl::StartsWith(name, ".") || !folder.is_directory(error)) continue;
    absl::StatusOr<v1::Expression> truth = analysis::ExpressionFromLabel(name);
    if (!truth.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dataset '", dir, "': folder '", name,
          "' names no expression class (folders: angry, disgust, fear, happy, sad, surprise, "
          "neutral)"));
    }
    absl::StatusOr<std::vector<fs::directory_entry>> files = ListDirectory(folder.path());
    if (!files.ok()) return files.status();
    for (const fs::directory_entry& file : *files) {
      if (!file.is_regular_file(error) || !IsDatasetImageFile(file.path().filename().string())) {
        continue;
      }
      images.push_back(DatasetImage{file.path().string(), *truth});
    }
  }
  if (images.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset '", dir, "' has no images (expected one sub-folder per class, e.g. happy/)"));
  }
  std::sort(images.begin(), images.end(),
            [](const DatasetImage& a, const DatasetImage& b) { return a.path < b.path; });
  return images;
}

}  // namespace affect::eval

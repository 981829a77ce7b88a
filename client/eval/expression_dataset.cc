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
  absl::StatusOr<std::vector<fs::directory_entry>> top = ListDirectory(dir);
  if (!top.ok()) return top.status();
  // Which layout: class folders, or group folders of class folders.
  std::vector<fs::directory_entry> folders;
  int class_folders = 0;
  for (const fs::directory_entry& folder : *top) {
    const std::string name = folder.path().filename().string();
    if (absl::StartsWith(name, ".") || !folder.is_directory(error)) continue;
    folders.push_back(folder);
    if (analysis::ExpressionFromLabel(name).ok()) ++class_folders;
  }
  const bool grouped = class_folders == 0 && !folders.empty();
  if (class_folders > 0 && class_folders < static_cast<int>(folders.size())) {
    for (const fs::directory_entry& folder : folders) {
      const std::string name = folder.path().filename().string();
      if (analysis::ExpressionFromLabel(name).ok()) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          "dataset '", dir, "': folder '", name,
          "' names no expression class (folders: angry, disgust, fear, happy, sad, surprise, "
          "neutral; or only group folders, each holding class folders)"));
    }
  }
  std::vector<DatasetImage> images;
  // Adds the images of one class folder.
  auto add_class = [&](const fs::directory_entry& folder, const std::string& group,
                       const std::string& where) -> absl::Status {
    const std::string name = folder.path().filename().string();
    absl::StatusOr<v1::Expression> truth = analysis::ExpressionFromLabel(name);
    if (!truth.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": folder '", name,
          "' names no expression class (folders: angry, disgust, fear, happy, sad, surprise, "
          "neutral)"));
    }
    absl::StatusOr<std::vector<fs::directory_entry>> files = ListDirectory(folder.path());
    if (!files.ok()) return files.status();
    for (const fs::directory_entry& file : *files) {
      if (!file.is_regular_file(error) || !IsDatasetImageFile(file.path().filename().string())) {
        continue;
      }
      images.push_back(DatasetImage{file.path().string(), *truth, group});
    }
    return absl::OkStatus();
  };
  for (const fs::directory_entry& folder : folders) {
    if (!grouped) {
      absl::Status added = add_class(folder, "", absl::StrCat("dataset '", dir, "'"));
      if (!added.ok()) return added;
      continue;
    }
    const std::string group = folder.path().filename().string();
    absl::StatusOr<std::vector<fs::directory_entry>> classes = ListDirectory(folder.path());
    if (!classes.ok()) return classes.status();
    for (const fs::directory_entry& class_folder : *classes) {
      const std::string name = class_folder.path().filename().string();
      if (class_folder.is_regular_file(error) && IsDatasetImageFile(name)) {
        // Images right under a top-level folder: a class folder misspelt,
        // not a group.
        return absl::InvalidArgumentError(absl::StrCat(
            "dataset '", dir, "': folder '", group,
            "' holds images but names no expression class (folders: angry, disgust, fear, "
            "happy, sad, surprise, neutral; a group folder holds class folders)"));
      }
      if (absl::StartsWith(name, ".") || !class_folder.is_directory(error)) continue;
      absl::Status added =
          add_class(class_folder, group, absl::StrCat("dataset '", dir, "', group '", group, "'"));
      if (!added.ok()) return added;
    }
  }
  if (images.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset '", dir,
        "' has no images (expected one sub-folder per class, e.g. happy/, or per group, e.g. "
        "indoor/happy/)"));
  }
  std::sort(images.begin(), images.end(),
            [](const DatasetImage& a, const DatasetImage& b) { return a.path < b.path; });
  return images;
}

}  // namespace affect::eval

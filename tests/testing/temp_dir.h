// A directory that exists for the life of the object (tests).
#ifndef AFFECT_TESTS_TESTING_TEMP_DIR_H_
#define AFFECT_TESTS_TESTING_TEMP_DIR_H_

#include <string>

#include "absl/strings/string_view.h"

namespace affect::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();  // removes the tree
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/relative
  std::string Join(absl::string_view relative) const;

 private:
  std::string path_;
};

// Writes `contents` to `path`, creating parent folders. Aborts the test
// binary (ADD_FAILURE + return false) when it cannot.
bool WriteFile(const std::string& path, absl::string_view contents);

// The whole file, or "" when it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace affect::testing

#endif  // AFFECT_TESTS_TESTING_TEMP_DIR_H_

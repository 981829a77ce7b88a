// Access to the real models and photos that the set-up step prepares
// (models/fetch + models/convert). Tests that need them skip with a clear
// message when they are absent, so a build without the set-up still runs the
// rest of the suite.
#ifndef AFFECT_TESTS_TESTING_REAL_MODELS_H_
#define AFFECT_TESTS_TESTING_REAL_MODELS_H_

#include <string>

namespace affect::testing {

// models/repository in the source tree.
std::string RealModelRepository();
// models/.cache/images/sample<n>.jpg (n = 1..6).
std::string DemoPhotoPath(int n);
// Empty when the converted models and the photos are present, else what is
// missing and the command that prepares it.
std::string MissingRealModels();
// The whole file, or "" when it cannot be read.
std::string ReadBinaryFile(const std::string& path);

}  // namespace affect::testing

// Skips the current test when the real models are not prepared.
#define AFFECT_REQUIRE_REAL_MODELS()                                           \
  do {                                                                         \
    const std::string affect_missing_ = ::affect::testing::MissingRealModels(); \
    if (!affect_missing_.empty()) GTEST_SKIP() << affect_missing_;             \
  } while (false)

#endif  // AFFECT_TESTS_TESTING_REAL_MODELS_H_

#include "tests/testing/real_models.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tests/testing/temp_dir.h"

namespace affect::testing {

std::string RealModelRepository() { return absl::StrCat(AFFECT_SOURCE_DIR, "/models/repository"); }

std::string DemoPhotoPath(int n) {
  return absl::StrCat(AFFECT_SOURCE_DIR, "/models/.cache/images/sample", n, ".jpg");
}

std::string MissingRealModels() {
  for (const char* model : {"blazeface", "emotion", "face_expression", "centernet", "selfie",
                            "movenet_multipose", "facemesh"}) {
    const std::string path = absl::StrCat(RealModelRepository(), "/", model, "/1/model.pt");
    if (!std::filesystem::exists(path)) {
      return absl::StrCat(path, " is missing: run scripts/prepare-models.sh");
    }
  }
  if (!std::filesystem::exists(DemoPhotoPath(1))) {
    return absl::StrCat(DemoPhotoPath(1), " is missing: run models/fetch");
  }
  return "";
}

std::string ReadBinaryFile(const std::string& path) { return ReadFileOrEmpty(path); }

}  // namespace affect::testing

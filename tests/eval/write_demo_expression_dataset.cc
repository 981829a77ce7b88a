// write_demo_expression_dataset OUT_DIR [MODEL_REPOSITORY [PHOTO_DIR]]:
// writes the repository's labelled demo faces as an `affect-client eval`
// dataset (see demo_expression_dataset.h). Run by
// scripts/make-expression-dataset.sh.
#include <iostream>
#include <string>

#include "client/eval/expression_evaluator.h"
#include "server/common/abseil_setup.h"
#include "server/common/logging.h"
#include "tests/eval/demo_expression_dataset.h"

int main(int argc, char** argv) {
  affect::DisableMutexDeadlockDetection();
  if (argc < 2 || argc > 4) {
    std::cerr << "usage: " << argv[0] << " OUT_DIR [MODEL_REPOSITORY [PHOTO_DIR]]\n"
              << "  defaults: " << AFFECT_SOURCE_DIR << "/models/repository, " << AFFECT_SOURCE_DIR
              << "/models/.cache/images\n";
    return 2;
  }
  affect::SetLogLevel(affect::LogLevel::kWarning);
  const std::string out_dir = argv[1];
  affect::eval::EvaluatorOptions options;
  options.model_repository =
      argc > 2 ? argv[2] : std::string(AFFECT_SOURCE_DIR) + "/models/repository";
  const std::string photo_dir =
      argc > 3 ? argv[3] : std::string(AFFECT_SOURCE_DIR) + "/models/.cache/images";
  auto evaluator = affect::eval::ExpressionEvaluator::Create(options);
  if (!evaluator.ok()) {
    std::cerr << "cannot load the models: " << evaluator.status() << "\n";
    return 1;
  }
  auto dataset = affect::testing::WriteDemoExpressionDataset(**evaluator, photo_dir, out_dir);
  if (!dataset.ok()) {
    std::cerr << "cannot write the dataset: " << dataset.status() << "\n";
    return 1;
  }
  std::cout << "Wrote " << dataset->files.size() << " labelled faces to " << out_dir << " ("
            << dataset->skipped_faces << " faces skipped by the labeller)\n";
  return 0;
}

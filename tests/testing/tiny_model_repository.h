// Builds model repositories of tiny, real TorchScript models for tests: the
// modules are compiled from TorchScript source in C++ (no Python, no
// downloads) and served exactly like converted models.
#ifndef AFFECT_TESTS_TESTING_TINY_MODEL_REPOSITORY_H_
#define AFFECT_TESTS_TESTING_TINY_MODEL_REPOSITORY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace affect::testing {

// Writes <root>/<name>/config.pbtxt and, when `torchscript_source` is not
// empty, <root>/<name>/<version>/model.pt.
absl::Status WriteTinyModel(const std::string& root, absl::string_view name,
                            absl::string_view config_text, absl::string_view torchscript_source,
                            int version = 1);

// A 7-class "expression" classifier on [N,8,8,1] that returns a softmax of a
// fixed linear map: small, deterministic, real.
absl::Status WriteTinyExpressionModel(const std::string& root, absl::string_view name);

// A BlazeFace-shaped face detector on [N,16,16,3] (8 anchors) that finds no
// face. Each forward first burns about `busy_matmuls` 256x256 matrix
// products, so tests can make a model slow (queues fill, deadlines pass)
// without sleeping. `max_queue_size` 0 keeps the default.
absl::Status WriteTinyFaceDetector(const std::string& root, absl::string_view name,
                                   int busy_matmuls = 0, int max_queue_size = 0);

}  // namespace affect::testing

#endif  // AFFECT_TESTS_TESTING_TINY_MODEL_REPOSITORY_H_

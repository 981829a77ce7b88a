// A dense float32 tensor in host memory, row-major.
//
// This is the currency between the engine, the analyses and the LibTorch
// adapter (server/torch), which keeps torch types out of every other
// component. A value type: copyable and movable; not thread-safe for
// concurrent mutation.
#ifndef AFFECT_SERVER_TENSOR_TENSOR_H_
#define AFFECT_SERVER_TENSOR_TENSOR_H_

#include <cstdint>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/types/span.h"

namespace affect {

// Product of dims (1 for a scalar shape {}).
inline int64_t NumElements(absl::Span<const int64_t> shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1},
                         [](int64_t a, int64_t b) { return a * b; });
}

inline std::string ShapeToString(absl::Span<const int64_t> shape) {
  return "[" + absl::StrJoin(shape, ",") + "]";
}

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor of `shape`.
  explicit Tensor(std::vector<int64_t> shape)
      : shape_(std::move(shape)), values_(static_cast<size_t>(NumElements(shape_)), 0.0f) {}
  // REQUIRES: values.size() == NumElements(shape).
  Tensor(std::vector<int64_t> shape, std::vector<float> values)
      : shape_(std::move(shape)), values_(std::move(values)) {}

  const std::vector<int64_t>& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t num_elements() const { return static_cast<int64_t>(values_.size()); }
  // Elements per index of the first dimension (one batch row).
  int64_t row_elements() const {
    return shape_.empty() ? 1 : NumElements(absl::MakeConstSpan(shape_).subspan(1));
  }

  float* data() { return values_.data(); }
  const float* data() const { return values_.data(); }
  absl::Span<float> values() { return absl::MakeSpan(values_); }
  absl::Span<const float> values() const { return absl::MakeConstSpan(values_); }

  std::string DebugString() const { return "Tensor" + ShapeToString(shape_); }

 private:
  std::vector<int64_t> shape_;
  std::vector<float> values_;
};

}  // namespace affect

#endif  // AFFECT_SERVER_TENSOR_TENSOR_H_

// Early-return helpers for absl::Status / absl::StatusOr.
//
// Debian's Abseil (20220623) has no ABSL_RETURN_IF_ERROR, so the project
// defines its own, as Triton and TensorFlow do.
#ifndef AFFECT_SERVER_COMMON_STATUS_MACROS_H_
#define AFFECT_SERVER_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status from the enclosing function when `expr` is not OK.
#define AFFECT_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status affect_status_ = (expr);          \
    if (!affect_status_.ok()) return affect_status_; \
  } while (false)

#define AFFECT_STATUS_CONCAT_INNER_(a, b) a##b
#define AFFECT_STATUS_CONCAT_(a, b) AFFECT_STATUS_CONCAT_INNER_(a, b)

// `lhs` = value of the StatusOr `rexpr`, or return its status.
//   AFFECT_ASSIGN_OR_RETURN(auto config, LoadModelConfig(path));
#define AFFECT_ASSIGN_OR_RETURN(lhs, rexpr) \
  AFFECT_ASSIGN_OR_RETURN_IMPL_(AFFECT_STATUS_CONCAT_(affect_statusor_, __LINE__), lhs, rexpr)

#define AFFECT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

#endif  // AFFECT_SERVER_COMMON_STATUS_MACROS_H_

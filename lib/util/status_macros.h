// Status propagation macros for absl::Status / absl::StatusOr code paths.
#ifndef LIB_UTIL_STATUS_MACROS_H_
#define LIB_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MMC_CONCAT_INNER_(a, b) a##b
#define MMC_CONCAT_(a, b) MMC_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    const absl::Status mmc_status_ = (expr);   \
    if (!mmc_status_.ok()) return mmc_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, StatusOrExpr())`: assigns the value or returns
// the error from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  MMC_ASSIGN_OR_RETURN_IMPL_(MMC_CONCAT_(mmc_statusor_, __LINE__), lhs, expr)

#define MMC_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                               \
  if (!statusor.ok()) return statusor.status();         \
  lhs = std::move(statusor).value()

#endif  // LIB_UTIL_STATUS_MACROS_H_

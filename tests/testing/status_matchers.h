// gMock matchers for absl::Status and absl::StatusOr, as in
//   EXPECT_THAT(batcher.Submit(r), StatusIs(absl::StatusCode::kResourceExhausted,
//                                           HasSubstr("queue full")));
// (Debian's Abseil ships none, and its string_view prints char by char.)
#ifndef AFFECT_TESTS_TESTING_STATUS_MATCHERS_H_
#define AFFECT_TESTS_TESTING_STATUS_MATCHERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace affect::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "status code " + absl::StatusCodeToString(code) + " and message " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "which is " << status.ToString();
  return status.code() == code &&
         ::testing::Matches(message_matcher)(std::string(status.message()));
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "which is " << status.ToString();
  return status.ok();
}

}  // namespace affect::testing

#endif  // AFFECT_TESTS_TESTING_STATUS_MATCHERS_H_

// The main() of every test binary: the server's process settings, then
// GoogleTest.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/abseil_setup.h"

int main(int argc, char** argv) {
  affect::DisableMutexDeadlockDetection();
  ::testing::InitGoogleMock(&argc, argv);
  return RUN_ALL_TESTS();
}

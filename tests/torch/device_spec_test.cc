#include "server/torch/device_spec.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace affect {
namespace {

TEST(DeviceSpecTest, ParsesEveryForm) {
  EXPECT_EQ(*ParseDeviceSpec("auto"), DeviceSpec{});
  EXPECT_EQ(*ParseDeviceSpec("CPU"), DeviceSpec::Cpu());
  EXPECT_EQ(*ParseDeviceSpec("cuda"), DeviceSpec::Cuda(0));
  EXPECT_EQ(*ParseDeviceSpec("cuda:3"), DeviceSpec::Cuda(3));
  EXPECT_EQ(ParseDeviceSpec("cuda:3")->ToString(), "cuda:3");
}

TEST(DeviceSpecTest, RejectsUnknownDevices) {
  for (const char* bad : {"gpu", "cuda:", "cuda:-1", "cuda:x", ""}) {
    auto spec = ParseDeviceSpec(bad);
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(spec.status().message(), ::testing::HasSubstr("use auto, cpu, cuda or cuda:N"));
  }
}

}  // namespace
}  // namespace affect

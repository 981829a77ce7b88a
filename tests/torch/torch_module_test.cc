#include "server/torch/torch_module.h"

#include <cstdio>
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace affect {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TorchModuleTest : public ::testing::Test {
 protected:
  std::string TempPath(const std::string& name) {
    return (std::filesystem::temp_directory_path() /
            (name + "_" + std::to_string(::getpid()) + ".pt"))
        .string();
  }
};

TEST_F(TorchModuleTest, RunsAScriptedModuleAndReturnsTupleOutputs) {
  const std::string path = TempPath("double_and_sum");
  ASSERT_TRUE(SaveScriptedModule(R"(
def forward(self, x):
    return (x * 2.0, x.sum(dim=1))
)",
                                 path)
                  .ok());
  auto module = TorchModule::Load(path, {DeviceSpec::Cpu(), false});
  ASSERT_TRUE(module.ok()) << module.status();
  const Tensor input({2, 3}, {1, 2, 3, 4, 5, 6});
  auto outputs = (*module)->Forward({&input, 1});
  ASSERT_TRUE(outputs.ok()) << outputs.status();
  ASSERT_EQ(outputs->size(), 2u);
  EXPECT_THAT((*outputs)[0].shape(), ElementsAre(2, 3));
  EXPECT_THAT((*outputs)[0].values(), ElementsAre(2, 4, 6, 8, 10, 12));
  EXPECT_THAT((*outputs)[1].values(), ElementsAre(6, 15));
  std::remove(path.c_str());
}

TEST_F(TorchModuleTest, MissingFileIsNotFound) {
  auto module = TorchModule::Load("/nonexistent/model.pt", {DeviceSpec::Cpu(), false});
  EXPECT_EQ(module.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TorchModuleTest, GarbageFileIsInvalidArgument) {
  const std::string path = TempPath("garbage");
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("not a zip archive", f);
  std::fclose(f);
  auto module = TorchModule::Load(path, {DeviceSpec::Cpu(), false});
  EXPECT_EQ(module.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(module.status().message(), HasSubstr("cannot load TorchScript file"));
  std::remove(path.c_str());
}

TEST_F(TorchModuleTest, ShapeErrorInsideTheModelBecomesAStatus) {
  const std::string path = TempPath("matmul");
  ASSERT_TRUE(SaveScriptedModule(R"(
def forward(self, x):
    return x.matmul(x)
)",
                                 path)
                  .ok());
  auto module = TorchModule::Load(path, {DeviceSpec::Cpu(), false});
  ASSERT_TRUE(module.ok());
  const Tensor input({2, 3});
  auto outputs = (*module)->Forward({&input, 1});
  EXPECT_EQ(outputs.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(outputs.status().message(), HasSubstr("PyTorch execute failure"));
  std::remove(path.c_str());
}

TEST_F(TorchModuleTest, BadSourceIsInvalidArgument) {
  EXPECT_EQ(SaveScriptedModule("def forward(self, x):\n    return y\n", TempPath("bad")).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TorchRuntimeTest, ResolvesAutoToAnAvailableDevice) {
  const TorchRuntimeInfo info = GetTorchRuntimeInfo();
  EXPECT_FALSE(info.version.empty());
  auto device = ResolveDevice(DeviceSpec{});
  ASSERT_TRUE(device.ok());
  EXPECT_EQ(device->is_cuda(), info.cuda_available);
  if (!info.cuda_available) {
    EXPECT_EQ(ResolveDevice(DeviceSpec::Cuda(0)).status().code(),
              absl::StatusCode::kFailedPrecondition)
        << "asking for a GPU that is not there must fail loudly";
  }
}

}  // namespace
}  // namespace affect

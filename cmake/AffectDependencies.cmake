# Every dependency comes from its CMake package (Debian 12 packages; see
# scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
# SHA-256 and constant-time compare for bearer tokens (libssl-dev comes with
# libgrpc++-dev).
find_package(OpenSSL REQUIRED)
find_package(Torch REQUIRED)
find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs videoio)
find_package(prometheus-cpp CONFIG REQUIRED)
if(AFFECT_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(AFFECT_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)
endif()

find_program(AFFECT_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

# LibTorch's CMake config puts its compile flags (-D_GLIBCXX_USE_CXX11_ABI)
# on the imported target; nothing else to do. It is linked only by the
# torch component (server/torch), the one place torch headers are included.

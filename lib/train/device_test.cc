// Tests for lib/train/device.h: the device names, and the three diagnoses of
// an unusable CUDA, including the real one on this machine (Debian's
// CPU-only LibTorch, or a CUDA machine where cuda parses).
#include "lib/train/device.h"

#include <torch/cuda.h>

#include <iostream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmc {
namespace {

using ::testing::HasSubstr;

TEST(DeviceTest, NamesParse) {
  EXPECT_EQ(*ParseDevice("cpu", "--device"), torch::Device(torch::kCPU));
  EXPECT_EQ(*ParseDevice("", "--device"), torch::Device(torch::kCPU));
  auto bad = ParseDevice("gpu", "--device");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(),
              HasSubstr("--device must be cpu or cuda, got 'gpu'"));
}

TEST(DeviceTest, EachCauseOfAMissingCudaHasItsOwnMessage) {
  CudaLinkage cpu_only{"/opt/libtorch/lib", false, false, 0};
  EXPECT_THAT(CudaUnavailableMessage(cpu_only),
              HasSubstr("(/opt/libtorch/lib) is CPU-only"));
  CudaLinkage dropped{"/opt/libtorch/lib", true, false, 0};
  EXPECT_THAT(CudaUnavailableMessage(dropped), HasSubstr("linked without it"));
  EXPECT_THAT(CudaUnavailableMessage(dropped),
              HasSubstr("/opt/libtorch/lib/libtorch_cuda.so"));
  CudaLinkage no_gpu{"/opt/libtorch/lib", true, true, 0};
  EXPECT_THAT(CudaUnavailableMessage(no_gpu), HasSubstr("sees 0 GPUs"));
  EXPECT_THAT(CudaUnavailableMessage(no_gpu), HasSubstr("nvidia-smi"));
}

TEST(DeviceTest, ThisProcessIsDiagnosedFromItsOwnLibTorch) {
  const CudaLinkage linkage = InspectCudaLinkage();
  std::cout << "torch libraries: " << linkage.torch_lib_dir
            << ", libtorch_cuda.so present: " << linkage.cuda_library_present
            << ", loaded: " << linkage.cuda_library_loaded
            << ", GPUs: " << linkage.device_count << "\n";
  // dladdr found the loaded libtorch_cpu.so.
  EXPECT_FALSE(linkage.torch_lib_dir.empty());
  auto cuda = ParseDevice("cuda", "--device");
  if (torch::cuda::is_available()) {
    ASSERT_TRUE(cuda.ok()) << cuda.status();
    EXPECT_TRUE(cuda->is_cuda());
    EXPECT_TRUE(linkage.cuda_library_loaded);
    return;
  }
  ASSERT_FALSE(cuda.ok());
  EXPECT_EQ(cuda.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(cuda.status().message(), HasSubstr("--device=cuda: "));
  EXPECT_THAT(cuda.status().message(),
              HasSubstr(CudaUnavailableMessage(linkage)));
  if (!linkage.cuda_library_present) {
    // Debian's libtorch-dev: /usr/lib/x86_64-linux-gnu has no CUDA library.
    EXPECT_THAT(cuda.status().message(), HasSubstr("is CPU-only"));
  }
}

}  // namespace
}  // namespace mmc

// Implementation of lib/train/device.h.
#include "lib/train/device.h"

#include <dlfcn.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace mmc {

void ConfigureDeterministicCuda() {
  // cuBLAS picks reduction orders per workspace unless told otherwise
  // (required before its first handle exists; a user's setting wins).
  setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
  at::Context& context = at::globalContext();
  context.setDeterministicCuDNN(true);
  context.setBenchmarkCuDNN(false);  // Autotuning picks kernels by timing.
  context.setAllowTF32CuDNN(false);  // Full float32, as on the CPU.
  context.setAllowTF32CuBLAS(false);
  // Nondeterministic kernels (scatter_add on CUDA, ...) warn, naming the
  // operation, instead of silently breaking bit-identical resumes.
  context.setDeterministicAlgorithms(true, /*warn_only=*/true);
}

CudaLinkage InspectCudaLinkage() {
  CudaLinkage linkage;
  // The library that defines at::globalContext is libtorch_cpu.so; the
  // CUDA libraries of the same LibTorch sit beside it.
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&at::globalContext), &info) != 0 &&
      info.dli_fname != nullptr) {
    linkage.torch_lib_dir =
        std::filesystem::path(info.dli_fname).parent_path().string();
  }
  linkage.cuda_library_present =
      !linkage.torch_lib_dir.empty() &&
      std::filesystem::exists(std::filesystem::path(linkage.torch_lib_dir) /
                              "libtorch_cuda.so");
  void* handle = dlopen("libtorch_cuda.so", RTLD_LAZY | RTLD_NOLOAD);
  linkage.cuda_library_loaded = handle != nullptr;
  if (handle != nullptr) dlclose(handle);
  linkage.device_count = static_cast<int64_t>(torch::cuda::device_count());
  return linkage;
}

std::string CudaUnavailableMessage(const CudaLinkage& linkage) {
  const std::string dir =
      linkage.torch_lib_dir.empty() ? "(unknown)" : linkage.torch_lib_dir;
  if (linkage.cuda_library_loaded) {
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    return absl::StrCat(
        "CUDA is unavailable: this LibTorch has CUDA (libtorch_cuda.so from ",
        dir, " is loaded) but sees ", linkage.device_count,
        " GPUs. Check `nvidia-smi` (driver loaded, GPU present) and "
        "CUDA_VISIBLE_DEVICES (",
        visible == nullptr ? "unset" : absl::StrCat("'", visible, "'"), ")");
  }
  if (linkage.cuda_library_present) {
    return absl::StrCat(
        "CUDA is unavailable: this LibTorch has CUDA (", dir,
        "/libtorch_cuda.so) but this binary was linked without it (a linker "
        "running with --as-needed drops it: nothing references it by "
        "symbol). third_party/libtorch.bzl links it with --no-as-needed; "
        "rebuild with LIBTORCH_DIR set to that LibTorch (`bazel clean` "
        "first if the binary predates it)");
  }
  return absl::StrCat(
      "CUDA is unavailable: this LibTorch (", dir,
      ") is CPU-only (no libtorch_cuda.so beside libtorch_cpu.so). Debian's "
      "libtorch-dev is CPU-only; build against a CUDA LibTorch with "
      "LIBTORCH_DIR=/path/to/libtorch (README.md, \"GPU\")");
}

absl::StatusOr<torch::Device> ParseDevice(const std::string& name,
                                          const std::string& what) {
  if (name.empty() || name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda") {
    if (!torch::cuda::is_available()) {
      return absl::FailedPreconditionError(absl::StrCat(
          what, "=cuda: ", CudaUnavailableMessage(InspectCudaLinkage())));
    }
    ConfigureDeterministicCuda();
    return torch::Device(torch::kCUDA);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, " must be cpu or cuda, got '", name, "'"));
}

}  // namespace mmc

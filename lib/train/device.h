// The compute device of a run: "cpu" or "cuda" parsed into a torch::Device,
// CUDA made deterministic, and, when CUDA is asked for but unusable, an error
// that says which of the three usual causes it is (a CPU-only LibTorch, a
// CUDA LibTorch whose libtorch_cuda.so the linker dropped, or no visible
// GPU). Used by the tasks' --device flag and the smoke checks'
// MMC_SMOKE_DEVICE.
#ifndef LIB_TRAIN_DEVICE_H_
#define LIB_TRAIN_DEVICE_H_

#include <torch/types.h>

#include <string>

#include "absl/status/statusor.h"

namespace mmc {

// "cpu" (or empty) or "cuda". cuda fails with CudaUnavailableMessage() when
// CUDA cannot be used, and otherwise makes CUDA deterministic
// (ConfigureDeterministicCuda). `what` names the setting in errors
// ("--device").
absl::StatusOr<torch::Device> ParseDevice(const std::string& name,
                                          const std::string& what);

// The settings under which a CUDA run repeats bit for bit (and a resumed run
// equals an uninterrupted one): deterministic cuDNN without autotuning, no
// TF32, cuBLAS's fixed workspace (CUBLAS_WORKSPACE_CONFIG=:4096:8 unless
// set), and a warning for every nondeterministic kernel.
void ConfigureDeterministicCuda();

// What this process knows about its LibTorch's CUDA support.
struct CudaLinkage {
  std::string torch_lib_dir;  // Directory of the loaded libtorch_cpu.so.
  bool cuda_library_present;  // libtorch_cuda.so exists in that directory.
  bool cuda_library_loaded;   // libtorch_cuda.so is loaded in the process.
  int64_t device_count;       // GPUs CUDA sees (0 without CUDA).
};
CudaLinkage InspectCudaLinkage();

// Why CUDA is unavailable, for `linkage`, with what to do about it.
std::string CudaUnavailableMessage(const CudaLinkage& linkage);

}  // namespace mmc

#endif  // LIB_TRAIN_DEVICE_H_

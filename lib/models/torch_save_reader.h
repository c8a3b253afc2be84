// Reads the files torch.save writes (PyTorch >= 1.6's zip format: a pickle
// plus one record per tensor storage) without running any code from them.
//
// Python's pickle imports and calls whatever globals a file names; this
// reader knows the opcodes torch.save and LibTorch's pickler emit
// (protocols 2 to 4) and a whitelist of globals: collections.OrderedDict,
// torch._utils._rebuild_tensor_v2 and _rebuild_parameter, and the
// torch.<Type>Storage classes. Any other global is an error naming it.
// (LibTorch's own torch::pickle_load cannot read PyTorch's state dicts: it
// turns every OrderedDict into None.)
#ifndef LIB_MODELS_TORCH_SAVE_READER_H_
#define LIB_MODELS_TORCH_SAVE_READER_H_

#include <torch/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mmc {

// One entry of the file's top-level dict.
struct TorchSaveEntry {
  std::string key;         // Empty when the key is not a string ...
  std::string key_type;    // ... then its Python type ("int", "tuple", ...).
  torch::Tensor tensor;    // Defined when the value is a tensor ...
  std::string value_type;  // ... else the value's Python type.
};

// The entries of the top-level dict, in file order. DataLoss when `bytes`
// is not a torch.save zip archive or is truncated; InvalidArgument when the
// pickle names a global outside the whitelist, is malformed, or holds
// something other than a dict (the message says what).
absl::StatusOr<std::vector<TorchSaveEntry>> ReadTorchSaveDict(
    const std::string& bytes);

}  // namespace mmc

#endif  // LIB_MODELS_TORCH_SAVE_READER_H_

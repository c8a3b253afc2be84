// PyTorch state dicts in and out: the files `torch.save(net.state_dict())`
// writes and `torch.load` reads (PyTorch's zip format, a pickled dict from
// name to tensor), for our architectures (names: model.h) and, renamed, for
// the paper authors' (EkdeepSLubana/MMC, models.py).
//
// Reading never executes code from the file: torch_save_reader.h reads the
// pickle with a whitelist of globals (tensors and plain containers only),
// unlike Python's pickle.
#ifndef LIB_MODELS_STATE_DICT_H_
#define LIB_MODELS_STATE_DICT_H_

#include <ATen/core/ivalue.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/models/model.h"
#include "lib/models/param_map.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// Writes `params` (our names) as a state dict, atomically. Every BatchNorm
// also gets PyTorch's "<p>.bn.num_batches_tracked" buffer, so that the file
// loads into the modules of python/mmc_lens with a strict
// load_state_dict(); its value is 0 because this harness does not count
// batches (PyTorch reads it only for BatchNorm with momentum=None).
absl::Status SaveStateDict(const std::string& path, const ParamMap& params);

// `value` in torch.save's zip format, loadable with
// torch.load(..., weights_only=True) (no type tags, no classes).
absl::StatusOr<std::string> EncodeTorchSave(const c10::IValue& value);

// Reads a state dict file: every entry must be a tensor (a training
// checkpoint that bundles an optimizer or an epoch is an error naming the
// entry: save its state_dict() alone). Float tensors come back as float32
// on the CPU; "num_batches_tracked" buffers are dropped; a leading
// "module." (nn.DataParallel) is removed from every name. The names are the
// file's: see FromAuthorsNames and CheckMatchesModel.
absl::StatusOr<ParamMap> LoadStateDict(const std::string& path);

// How a state dict names its tensors.
enum class StateDictNaming {
  kOurs,     // model.h's names (also PyTorch's for python/mmc_lens/models.py)
  kAuthors,  // EkdeepSLubana/MMC models.py: VGG "layers.i.conv1/bn1",
             // ResNet "conv1/bn1", "layerL.B.{conv,bn}{1,2}",
             // "shortcut_conv/shortcut_bn", both "linear".
};
// "ours" or "authors"; anything else is an error.
absl::StatusOr<StateDictNaming> ParseStateDictNaming(absl::string_view name);

// Renames a state dict with the authors' names to ours:
//   VGG-13:    layers.<i>.conv1.*  -> features.<i>.conv.*
//              layers.<i>.bn1.*    -> features.<i>.bn.*
//   ResNet-18: conv1.* / bn1.*     -> stem.conv.* / stem.bn.*
//              layerL.B.conv1/bn1  -> layerL.B.conv1.conv / .conv1.bn
//              layerL.B.conv2/bn2  -> layerL.B.conv2.conv / .conv2.bn
//              layerL.B.shortcut_conv / shortcut_bn
//                                  -> layerL.B.shortcut.conv / .shortcut.bn
//   both:      linear.*            -> head.*
// A name outside that scheme is an error naming it.
absl::StatusOr<ParamMap> FromAuthorsNames(const ParamMap& params);

// The architecture and width a map (our names) describes, inferred from its
// first convolution and its head; CheckMatchesModel confirms every tensor.
struct InferredModel {
  ModelSpec spec;
  int in_channels = 0;
  int num_classes = 0;
};
absl::StatusOr<InferredModel> InferModel(const ParamMap& params);

// OK when `params` has exactly the names and shapes of `model`'s parameter
// map; otherwise an error naming the first missing, unexpected or
// mis-shaped tensor (with both shapes).
absl::Status CheckMatchesModel(const Model& model, const ParamMap& params);

}  // namespace mmc

#endif  // LIB_MODELS_STATE_DICT_H_

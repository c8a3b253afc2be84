// The networks of the paper, run on explicit parameter maps.
//
// Model describes one architecture instance (VGG-13 or ResNet-18 at a width
// multiplier, for a given input channel count and class count; the spatial
// size is free thanks to global average pooling). Model::Forward runs the
// network on any ParamMap, so interpolated, permuted or trained-midpoint
// parameters are evaluated by the same code; autograd flows into whichever
// tensors of the map require grad. Model::Init builds a fresh map from the
// torch::nn modules in modules.h (PyTorch's default initialisation).
//
// Map layout (also the checkpoint format). Every conv has no bias and is
// followed by BatchNorm; "<p>" below is a conv-BN prefix with entries
//   <p>.conv.weight [out, in, k, k]
//   <p>.bn.weight, <p>.bn.bias, <p>.bn.running_mean, <p>.bn.running_var [out]
// then global average pooling and head.weight [K, C], head.bias [K]. Each
// architecture's prefixes and channels are described in its header
// (vgg13.h, resnet18.h); the shared conv-BN code is conv_bn.h.
//
// Layout of the files: model_base.h holds the Model interface and the
// forward-pass types (this header includes it); each architecture is one
// file pair implementing it; architectures.h registers them by
// ModelSpec::Arch; Model::Create (model.cc) looks the spec's arch up there.
// Adding an architecture: its value in spec.proto's ModelSpec.Arch, a file
// pair beside vgg13.{h,cc} and one entry in architectures.cc (model_test
// fails for an enum value without one).
#ifndef LIB_MODELS_MODEL_H_
#define LIB_MODELS_MODEL_H_

#include "lib/models/model_base.h"
#include "lib/models/param_map.h"

namespace mmc {

// The map with every BatchNorm folded into the conv before it, for
// BnMode::kFolded: with s = weight / sqrt(running_var + eps), the conv
// weight becomes weight * s (per output channel) and the new entry
// "<p>.conv.bias" is bias - running_mean * s; BN entries are dropped. The
// folded network computes the kEval function up to rounding. Works on
// stacked maps too.
ParamMap FoldBatchNorm(const Model& model, const ParamMap& params);

}  // namespace mmc

#endif  // LIB_MODELS_MODEL_H_

// VGG-13 (the paper authors' form) as a Model over parameter maps;
// registered in architectures.cc as ModelSpec::VGG13. The map layout
// (conv-BN prefixes "<p>" as in model.h):
// features.0 .. features.9, conv3x3-BN-ReLU with channels
//   64,64,128,128,256,256,512,512,512,512 (x width), stride 2 at
//   features.1, .3, .5, .7; then global average pooling and
//   head.weight [K, C], head.bias [K].
#ifndef LIB_MODELS_VGG13_H_
#define LIB_MODELS_VGG13_H_

#include <memory>

#include "lib/models/model_base.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// The VGG-13 description at spec.width() (in_channels > 0 and
// num_classes > 1, checked by Model::Create); spec.arch() is not read.
std::unique_ptr<Model> CreateVgg13(const ModelSpec& spec, int in_channels,
                                   int num_classes);

}  // namespace mmc

#endif  // LIB_MODELS_VGG13_H_

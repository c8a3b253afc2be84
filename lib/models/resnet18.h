// ResNet-18 (CIFAR variant) as a Model over parameter maps; registered in
// architectures.cc as ModelSpec::RESNET18. The map layout (conv-BN prefixes
// "<p>" as in model.h):
// stem (conv3x3, 64), then layer1..layer4 with two BasicBlocks each:
//   layerL.B.conv1 / layerL.B.conv2 (conv3x3-BN), and layerL.0.shortcut
//   (conv1x1-BN) where the shape changes; channels 64,128,256,512 (x width),
//   strides 1,2,2,2; global average pooling; head.
#ifndef LIB_MODELS_RESNET18_H_
#define LIB_MODELS_RESNET18_H_

#include <memory>

#include "lib/models/model_base.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// The ResNet-18 description at spec.width() (in_channels > 0 and
// num_classes > 1, checked by Model::Create); spec.arch() is not read.
std::unique_ptr<Model> CreateResNet18(const ModelSpec& spec, int in_channels,
                                      int num_classes);

}  // namespace mmc

#endif  // LIB_MODELS_RESNET18_H_

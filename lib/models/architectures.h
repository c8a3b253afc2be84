// Every model architecture as data (spec.proto's ModelSpec::Arch): its name
// and its factory. Model::Create (model.h) builds the spec's architecture
// from here.
//
// Adding an architecture: its enum value in spec.proto, a file pair
// implementing Model (like vgg13.{h,cc}, from conv_bn.h's building blocks)
// and one entry in architectures.cc (model_test fails for an enum value
// without one).
#ifndef LIB_MODELS_ARCHITECTURES_H_
#define LIB_MODELS_ARCHITECTURES_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/models/model_base.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

struct Architecture {
  ModelSpec::Arch arch;
  // ModelSpec::Arch_Name(arch), e.g. "VGG13" (used in error messages).
  const char* name;
  // The description at spec.width(); in_channels > 0, num_classes > 1 and
  // width > 0 are checked by Model::Create before it is called.
  std::unique_ptr<Model> (*create)(const ModelSpec& spec, int in_channels,
                                   int num_classes);
};

// Every registered architecture, in spec.proto's order.
const std::vector<Architecture>& Architectures();

// The entry of `arch`; an error naming the registered architectures if it
// has none.
absl::StatusOr<const Architecture*> FindArchitecture(ModelSpec::Arch arch);

}  // namespace mmc

#endif  // LIB_MODELS_ARCHITECTURES_H_

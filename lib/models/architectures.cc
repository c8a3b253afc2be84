// Implementation of lib/models/architectures.h: the registry.
#include "lib/models/architectures.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/models/resnet18.h"
#include "lib/models/vgg13.h"

namespace mmc {

const std::vector<Architecture>& Architectures() {
  static const std::vector<Architecture>* architectures =
      new std::vector<Architecture>{
          {ModelSpec::VGG13, "VGG13", CreateVgg13},
          {ModelSpec::RESNET18, "RESNET18", CreateResNet18},
      };
  return *architectures;
}

absl::StatusOr<const Architecture*> FindArchitecture(ModelSpec::Arch arch) {
  std::vector<std::string> names;
  for (const Architecture& entry : Architectures()) {
    if (entry.arch == arch) return &entry;
    names.push_back(entry.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("model.arch must be ", absl::StrJoin(names, " or "),
                   ", got ", ModelSpec::Arch_Name(arch)));
}

}  // namespace mmc

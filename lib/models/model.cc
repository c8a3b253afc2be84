// Implementation of lib/models/model.h: Model::Create over the registry
// of architectures.h, and BatchNorm folding.
#include "lib/models/model.h"

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "lib/models/architectures.h"
#include "lib/models/conv_bn.h"

namespace mmc {

ParamMap FoldBatchNorm(const Model& model, const ParamMap& params) {
  torch::NoGradGuard no_grad;
  ParamMap out = params;
  for (const std::string& bn : model.BatchNormLayers()) {
    const std::string prefix = bn.substr(0, bn.size() - 3);  // Drop ".bn".
    const torch::Tensor scale =
        At(params, bn + ".weight") *
        (At(params, bn + ".running_var") + kBnEps).rsqrt();
    const torch::Tensor& weight = At(params, prefix + ".conv.weight");
    out[prefix + ".conv.weight"] =
        weight * scale.view({-1, 1, 1, 1}).to(weight.dtype());
    out[prefix + ".conv.bias"] =
        At(params, bn + ".bias") - At(params, bn + ".running_mean") * scale;
    for (const char* suffix :
         {".weight", ".bias", ".running_mean", ".running_var"}) {
      out.erase(bn + suffix);
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Model>> Model::Create(const ModelSpec& spec,
                                                     int in_channels,
                                                     int num_classes) {
  if (!(spec.width() > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("model.width must be > 0, got ", spec.width()));
  }
  if (in_channels <= 0 || num_classes <= 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a model needs input channels > 0 and at least 2 classes, got ",
        in_channels, " and ", num_classes));
  }
  absl::StatusOr<const Architecture*> architecture =
      FindArchitecture(spec.arch());
  if (!architecture.ok()) return architecture.status();
  return (*architecture)->create(spec, in_channels, num_classes);
}

}  // namespace mmc

// Implementation of lib/models/model_base.h: the Model members shared by
// every architecture.
#include "lib/models/model_base.h"

namespace mmc {

torch::Tensor Model::Logits(const ParamMap& params, const torch::Tensor& x,
                            BnMode bn) const {
  ForwardOptions options;
  options.bn = bn;
  return Forward(params, x, options).logits;
}

}  // namespace mmc

// Implementation of lib/train/sgd.h.
#include "lib/train/sgd.h"

#include <torch/torch.h>

namespace mmc {

void Sgd::Prepare(ParamMap* params) const {
  for (auto& [name, t] : *params) {
    t.requires_grad_(Trains(name));
  }
}

void Sgd::Step(ParamMap* params, double lr) {
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : *params) {
    if (!Trains(name)) continue;
    torch::Tensor& grad = p.mutable_grad();
    if (!grad.defined()) continue;
    torch::Tensor d = weight_decay_ != 0.0 ? grad.add(p, weight_decay_) : grad;
    if (momentum_ != 0.0) {
      auto it = buffers_.find(name);
      if (it == buffers_.end()) {
        it = buffers_.emplace(name, d.clone()).first;
      } else {
        it->second.mul_(momentum_).add_(d);
      }
      d = it->second;
    }
    p.add_(d, -lr);
    grad.zero_();
  }
}

}  // namespace mmc

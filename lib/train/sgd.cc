// Implementation of lib/train/sgd.h.
#include "lib/train/sgd.h"

#include <torch/torch.h>

#include <vector>

#include "lib/train/fused_sgd.h"

namespace mmc {

void Sgd::Prepare(ParamMap* params) const {
  for (auto& [name, t] : *params) {
    t.requires_grad_(Trains(name));
  }
}

void Sgd::Step(ParamMap* params, double lr) {
  torch::NoGradGuard no_grad;
  // The trained entries with a gradient, in the map's (name) order: each
  // updated in one pass (lib/train/fused_sgd.h) where that applies, the
  // rest collected for the ops below (the same numbers either way).
  std::vector<const std::string*> names;
  std::vector<torch::Tensor> weights, grads;
  for (auto& [name, p] : *params) {
    if (!Trains(name)) continue;
    torch::Tensor& grad = p.mutable_grad();
    if (!grad.defined()) continue;
    torch::Tensor buf;  // Undefined: no momentum, or its first step.
    bool first = false;
    if (momentum_ != 0.0) {
      auto it = buffers_.find(name);
      first = it == buffers_.end();
      if (!first) buf = it->second;
    }
    if (FusedSgdApplies(p, grad, buf)) {
      if (first) buf = torch::empty_like(p);
      FusedSgdStep(p, grad, buf, first, lr, momentum_, weight_decay_);
      if (first) buffers_.emplace(name, buf);
      continue;
    }
    names.push_back(&name);
    weights.push_back(p);
    grads.push_back(grad);
  }
  if (weights.empty()) return;
  // Multi-tensor (_foreach) ops: one kernel launch per line on CUDA instead
  // of ~4 per tensor; on the CPU they run tensor by tensor, with the same
  // arithmetic as the per-tensor update.
  // d = grad + weight_decay * p, in place in the gradient (cleared below).
  if (weight_decay_ != 0.0) at::_foreach_add_(grads, weights, weight_decay_);
  std::vector<torch::Tensor> steps = grads;  // What p moves by, times -lr.
  if (momentum_ != 0.0) {
    std::vector<torch::Tensor> running, running_d;
    for (size_t i = 0; i < names.size(); ++i) {
      auto it = buffers_.find(*names[i]);
      if (it == buffers_.end()) {
        // First step: buf = d (torch.optim.SGD).
        it = buffers_.emplace(*names[i], grads[i].clone()).first;
      } else {
        running.push_back(it->second);
        running_d.push_back(grads[i]);
      }
      steps[i] = it->second;
    }
    // Later steps: buf = momentum * buf + d.
    if (!running.empty()) {
      at::_foreach_mul_(running, momentum_);
      at::_foreach_add_(running, running_d);
    }
  }
  at::_foreach_add_(weights, steps, -lr);
  at::_foreach_zero_(grads);
}

}  // namespace mmc

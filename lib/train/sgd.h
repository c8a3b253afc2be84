// SGD with momentum and weight decay over a ParamMap, with the exact update
// rule of torch.optim.SGD (dampening 0, no Nesterov):
//   d = grad + weight_decay * p;  buf = d (first step) or momentum * buf + d;
//   p -= lr * buf.
// Buffers (BatchNorm running statistics) and frozen names are not updated.
#ifndef LIB_TRAIN_SGD_H_
#define LIB_TRAIN_SGD_H_

#include <set>
#include <string>

#include "lib/models/param_map.h"

namespace mmc {

class Sgd {
 public:
  Sgd(double momentum, double weight_decay, std::set<std::string> frozen = {})
      : momentum_(momentum),
        weight_decay_(weight_decay),
        frozen_(std::move(frozen)) {}

  // Marks the trainable entries of `params` as requiring grad.
  void Prepare(ParamMap* params) const;

  // One update with the gradients stored in `params`; clears them.
  void Step(ParamMap* params, double lr);

  bool Trains(const std::string& name) const {
    return !IsBuffer(name) && frozen_.count(name) == 0;
  }

  // Momentum buffers, for checkpoints (empty before the first step).
  const ParamMap& state() const { return buffers_; }
  void set_state(ParamMap buffers) { buffers_ = std::move(buffers); }

 private:
  double momentum_;
  double weight_decay_;
  std::set<std::string> frozen_;
  ParamMap buffers_;
};

}  // namespace mmc

#endif  // LIB_TRAIN_SGD_H_

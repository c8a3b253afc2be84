// Accuracy and mean cross-entropy of a model (parameter map) on a dataset.
#ifndef LIB_TRAIN_EVALUATE_H_
#define LIB_TRAIN_EVALUATE_H_

#include <vector>

#include "lib/data/cue_dataset.h"
#include "lib/models/model.h"

namespace mmc {

struct Metrics {
  double accuracy = 0.0;  // Percent.
  double loss = 0.0;      // Mean cross-entropy, nats.
};

// Evaluates in BnMode::kEval, batch by batch, without autograd.
Metrics Evaluate(const Model& model, const ParamMap& params, const Batch& data,
                 int64_t batch_size);

// Evaluates the options.stacked networks held in one map (StackParams) in
// one pass per batch, with options.bn (kEval, or kFolded for a FoldBatchNorm
// map) and options.mkldnn. One Metrics per network, in stacking order.
std::vector<Metrics> EvaluateStacked(const Model& model, const ParamMap& params,
                                     const Batch& data, int64_t batch_size,
                                     const ForwardOptions& options);

}  // namespace mmc

#endif  // LIB_TRAIN_EVALUATE_H_

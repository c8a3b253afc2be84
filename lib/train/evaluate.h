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

// Evaluates `stacked` networks held in one map (StackParams) in one pass per
// batch; `bn` is kEval or kFolded (a FoldBatchNorm map). One Metrics per
// network, in stacking order.
std::vector<Metrics> EvaluateStacked(const Model& model, const ParamMap& params,
                                     int64_t stacked, const Batch& data,
                                     int64_t batch_size,
                                     BnMode bn = BnMode::kEval);

}  // namespace mmc

#endif  // LIB_TRAIN_EVALUATE_H_

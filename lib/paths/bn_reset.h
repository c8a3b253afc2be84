// Recomputing BatchNorm running statistics for a parameter map, as needed at
// every point of a path: interpolated statistics mean nothing.
//
// kCumulative (default, exact): one pass over the reset data with batch
// statistics in every BN layer, summing each BN input's per-channel sum and
// sum of squares in float64 (from the BN kernel's per-batch mean and
// variance, BnAccumulator); then running_mean = the mean and running_var =
// the unbiased variance over all N*H*W values. This is the dataset-level
// statistic that Garipov et al.'s update_bn (momentum = cumulative average)
// approximates; their running_var is the average of per-batch variances,
// which misses the between-batch spread.
// kEma (the paper authors' variant): ordinary training-mode passes over the
// reset data, running statistics updated with momentum 0.1 starting from
// the (interpolated) values in the map.
#ifndef LIB_PATHS_BN_RESET_H_
#define LIB_PATHS_BN_RESET_H_

#include <torch/types.h>

#include "lib/models/model.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// Replaces the running statistics in `params` (new tensors; other entries
// untouched) using `data` [N, C, H, W] in batches of `batch_size`. `params`
// may hold `stacked` networks (StackParams); each gets its own statistics.
void ResetBatchNorm(const Model& model, const torch::Tensor& data,
                    int64_t batch_size, EvalSpec::BnResetMode mode,
                    ParamMap* params, int64_t stacked = 1);

}  // namespace mmc

#endif  // LIB_PATHS_BN_RESET_H_

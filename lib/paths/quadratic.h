// Training the midpoint theta_m of a quadratic (Bezier) path between two
// frozen endpoints (paper App. B.4, Garipov et al.): each SGD step draws one
// t ~ U[0, 1), forms theta(t) = (1-t)^2 theta_a + 2t(1-t) theta_m + t^2
// theta_b and descends the cross-entropy of theta(t) on a batch; the
// gradient reaches theta_m only. BatchNorm uses batch statistics (the
// running statistics of theta(t) mean nothing and are reset at evaluation).
#ifndef LIB_PATHS_QUADRATIC_H_
#define LIB_PATHS_QUADRATIC_H_

#include <memory>

#include "lib/data/cue_dataset.h"
#include "lib/models/model.h"
#include "lib/train/train_loop.h"

namespace mmc {

// theta_m's initialisation: (theta_a + theta_b) / 2, every entry.
ParamMap MidpointInit(const ParamMap& a, const ParamMap& b);

// The t of step `step`: uniform in [0, 1), a function of (seed, step) only,
// so a resumed run draws the same t's.
double PathSampleT(uint64_t seed, int64_t step);

// The loss of one step for training theta_m (the map being trained) on the
// samples `indices` of `data`. `a` and `b` are used detached.
LossFn QuadraticMidpointLoss(const Model& model, ParamMap a, ParamMap b,
                             std::shared_ptr<const Batch> data, uint64_t seed);

}  // namespace mmc

#endif  // LIB_PATHS_QUADRATIC_H_

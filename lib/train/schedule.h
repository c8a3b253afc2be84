// Learning-rate schedules (constant, step decay, cosine), evaluated per
// optimiser step.
#ifndef LIB_TRAIN_SCHEDULE_H_
#define LIB_TRAIN_SCHEDULE_H_

#include <cstdint>

#include "lib/spec/spec.pb.h"

namespace mmc {

// The learning rate of step `step` (0-based) of `total_steps`, with
// `steps_per_epoch` steps per epoch (for milestones given in epochs).
double LearningRate(const ScheduleSpec& schedule, double base_lr, int64_t step,
                    int64_t total_steps, int64_t steps_per_epoch);

}  // namespace mmc

#endif  // LIB_TRAIN_SCHEDULE_H_

// Implementation of lib/train/schedule.h.
#include "lib/train/schedule.h"

#include <cmath>

namespace mmc {

double LearningRate(const ScheduleSpec& schedule, double base_lr, int64_t step,
                    int64_t total_steps, int64_t steps_per_epoch) {
  switch (schedule.kind()) {
    case ScheduleSpec::COSINE:
      if (total_steps <= 0) return base_lr;
      return base_lr * 0.5 *
             (1.0 + std::cos(M_PI * static_cast<double>(step) /
                             static_cast<double>(total_steps)));
    case ScheduleSpec::STEP: {
      int passed = 0;
      if (schedule.milestone_epochs_size() > 0) {
        for (int epoch : schedule.milestone_epochs()) {
          if (step >= static_cast<int64_t>(epoch) * steps_per_epoch) ++passed;
        }
      } else {
        for (double fraction : schedule.milestone_fractions()) {
          if (step >= std::llround(fraction * total_steps)) ++passed;
        }
      }
      return base_lr * std::pow(schedule.factor(), passed);
    }
    default:
      return base_lr;
  }
}

}  // namespace mmc

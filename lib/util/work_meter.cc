// Implementation of lib/util/work_meter.h.
#include "lib/util/work_meter.h"

#include <mutex>

namespace mmc {
namespace {

std::mutex& Mutex() {
  static auto* mutex = new std::mutex;
  return *mutex;
}

WorkTally& Tally() {
  static auto* tally = new WorkTally;
  return *tally;
}

}  // namespace

WorkTally CurrentWork() {
  std::lock_guard<std::mutex> lock(Mutex());
  return Tally();
}

void AddTrainingWork(int64_t images, double seconds) {
  std::lock_guard<std::mutex> lock(Mutex());
  Tally().train_images += images;
  Tally().train_seconds += seconds;
}

void AddPathWork(int64_t images, double seconds) {
  std::lock_guard<std::mutex> lock(Mutex());
  Tally().path_images += images;
  Tally().path_seconds += seconds;
}

WorkTally operator-(const WorkTally& a, const WorkTally& b) {
  return {a.train_images - b.train_images, a.train_seconds - b.train_seconds,
          a.path_images - b.path_images, a.path_seconds - b.path_seconds};
}

WorkTally operator+(const WorkTally& a, const WorkTally& b) {
  return {a.train_images + b.train_images, a.train_seconds + b.train_seconds,
          a.path_images + b.path_images, a.path_seconds + b.path_seconds};
}

}  // namespace mmc

// Process-wide tallies of the work a run did: images through SGD steps
// (lib/train/train_loop) and images through path evaluation (BatchNorm
// reset plus evaluation of every set at every point, lib/paths/path), each
// with the wall time spent in it. A task reads the tally before and after
// an artifact to report its throughput and where its time went (training,
// paths, the rest: model evaluations, permutation matching, data). Models
// loaded from the run cache add nothing. Thread-safe. A tally travels
// between processes as one line of text (FormatWorkTally).
#ifndef LIB_UTIL_WORK_METER_H_
#define LIB_UTIL_WORK_METER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace mmc {

struct WorkTally {
  int64_t train_images = 0;
  double train_seconds = 0.0;
  int64_t path_images = 0;
  double path_seconds = 0.0;
};

// The work since the process started.
WorkTally CurrentWork();
void AddTrainingWork(int64_t images, double seconds);
void AddPathWork(int64_t images, double seconds);

// Field by field a - b: the work between two readings; a + b: the work of
// both.
WorkTally operator-(const WorkTally& a, const WorkTally& b);
WorkTally operator+(const WorkTally& a, const WorkTally& b);

// One line of text, "train_images=N train_seconds=S path_images=N
// path_seconds=S", and back: a child process hands its tally to the parent
// that runs it (tasks' --jobs). Parsing fails on a missing, repeated or
// unknown field or a malformed number.
std::string FormatWorkTally(const WorkTally& tally);
absl::StatusOr<WorkTally> ParseWorkTally(const std::string& text);

}  // namespace mmc

#endif  // LIB_UTIL_WORK_METER_H_

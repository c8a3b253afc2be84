// Facts about a spec that do not need the data on disk: dataset sizes and
// shapes per kind, and human-readable summaries of training settings. Used
// by --dry_run to print the resolved plan and a cost estimate.
#ifndef LIB_EXPERIMENT_PLAN_H_
#define LIB_EXPERIMENT_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lib/data/dataset_kinds.h"  // DatasetFacts, FactsOf
#include "lib/spec/spec.pb.h"

namespace mmc {

// Training samples after the hold-out and train_per_class are applied
// (classes assumed balanced, as they are in every supported dataset).
int64_t PlannedTrainSamples(const DatasetSpec& dataset);

// "100 epochs, batch 256, lr 0.1, momentum 0.9, wd 0.0001, step x0.1 at
// epochs 40, 80"; without "lr ..." when the caller gives the rates itself.
std::string DescribeTraining(const TrainSpec& train, bool with_lr = true);

// One training run of a task's plan.
struct PlannedRun {
  std::string name;
  TrainSpec train;
  int64_t samples = 0;  // Per epoch.
  // Forward FLOPs per image of this run's network; 0: RenderPlan's
  // `forward_flops` (runs of one plan may differ in width: the ladder).
  double forward_flops = 0.0;
};

// The --dry_run text: the spec's settings, a table of the runs (epochs,
// images, FLOPs, estimated CPU time) and totals. `forward_flops` is per
// image (Model::ForwardFlops), for the runs that do not set their own.
std::string RenderPlan(const Spec& spec, const std::string& model_name,
                       double forward_flops,
                       const std::vector<PlannedRun>& runs);

// Effective training throughput of this project's CPU path on the 2-core
// development machine, in FLOP/s of forward passes x 3 (forward+backward):
// ResNet-18 at full width on 3x32x32 trains at 85 img/s there, 2.8e11
// (benchmarks/train_step_benchmark). Narrow networks run below it (the quick
// VGG-13: 7,800 img/s, 7.6e10), so estimates for them are optimistic.
inline constexpr double kMeasuredCpuTrainFlops = 2.8e11;

}  // namespace mmc

#endif  // LIB_EXPERIMENT_PLAN_H_

// Implementation of lib/experiment/plan.h.
#include "lib/experiment/plan.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace mmc {

int64_t PlannedTrainSamples(const DatasetSpec& dataset) {
  const DatasetFacts facts = FactsOf(dataset.kind());
  if (facts.classes == 0) return 0;
  int64_t per_class =
      facts.train_total / facts.classes - dataset.holdout_per_class();
  if (dataset.train_per_class() > 0) {
    per_class = std::min<int64_t>(per_class, dataset.train_per_class());
  }
  return std::max<int64_t>(0, per_class) * facts.classes;
}

std::string DescribeTraining(const TrainSpec& train, bool with_lr) {
  std::string out = absl::StrFormat("%d epochs, batch %d", train.epochs(),
                                    train.batch_size());
  if (with_lr) absl::StrAppendFormat(&out, ", lr %g", train.lr());
  absl::StrAppendFormat(&out, ", momentum %g, wd %g", train.momentum(),
                        train.weight_decay());
  const ScheduleSpec& s = train.schedule();
  switch (s.kind()) {
    case ScheduleSpec::COSINE:
      absl::StrAppend(&out, ", cosine");
      break;
    case ScheduleSpec::STEP:
      if (s.milestone_epochs_size() > 0) {
        absl::StrAppendFormat(&out, ", step x%g at epochs %s", s.factor(),
                              absl::StrJoin(s.milestone_epochs(), ", "));
      } else {
        absl::StrAppendFormat(&out, ", step x%g at %s of the steps", s.factor(),
                              absl::StrJoin(s.milestone_fractions(), ", "));
      }
      break;
    default:
      absl::StrAppend(&out, ", constant");
  }
  return out;
}

std::string RenderPlan(const Spec& spec, const std::string& model_name,
                       double forward_flops,
                       const std::vector<PlannedRun>& runs) {
  const DatasetFacts facts = FactsOf(spec.dataset().kind());
  std::string out = absl::StrFormat(
      "Plan for spec \"%s\" (tier %s)\n  dataset: %s, %dx%dx%d, %d classes, "
      "%d training samples after holding out %d per class\n  model: %s, "
      "%.3g GFLOPs per forward pass\n  cue proportions: %s; seeds: %s\n\n",
      spec.name(), spec.tier(), DatasetSpec::Kind_Name(spec.dataset().kind()),
      facts.channels, facts.height, facts.width, facts.classes,
      PlannedTrainSamples(spec.dataset()), spec.dataset().holdout_per_class(),
      model_name, forward_flops / 1e9,
      absl::StrJoin(spec.cue_proportions(), ", "),
      absl::StrJoin(spec.seeds(), ", "));
  double total_flops = 0.0;
  int64_t total_images = 0;
  absl::StrAppendFormat(&out, "  %-34s %-70s %12s %10s %10s\n", "run",
                        "training", "images", "PFLOPs", "CPU hours");
  for (const PlannedRun& run : runs) {
    const int64_t images = run.samples * run.train.epochs();
    const double flops =
        3.0 * (run.forward_flops > 0 ? run.forward_flops : forward_flops) *
        images;
    total_flops += flops;
    total_images += images;
    absl::StrAppendFormat(&out, "  %-34s %-70s %12d %10.4f %10.2f\n", run.name,
                          DescribeTraining(run.train), images, flops / 1e15,
                          flops / kMeasuredCpuTrainFlops / 3600.0);
  }
  absl::StrAppendFormat(
      &out,
      "\n  total: %d runs, %d images, %.4f PFLOPs; about %.2f hours on the "
      "2-core CPU this project is developed on (%.0f GFLOP/s effective); "
      "divide by the speed-up of your GPU for --device=cuda\n",
      runs.size(), total_images, total_flops / 1e15,
      total_flops / kMeasuredCpuTrainFlops / 3600.0,
      kMeasuredCpuTrainFlops / 1e9);
  return out;
}

}  // namespace mmc

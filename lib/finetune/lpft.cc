// Implementation of lib/finetune/lpft.h.
#include "lib/finetune/lpft.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/finetune/finetune_common.h"
#include "lib/runs/run_cache.h"
#include "lib/runs/run_context.h"
#include "lib/spec/spec.pb.h"
#include "lib/train/evaluate.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

std::string Exact(double value) { return absl::StrFormat("%.17g", value); }

absl::StatusOr<MethodResult> RunLpft(const RunContext& ctx,
                                     const TrainedModel& theta_c, double c,
                                     int64_t seed) {
  const FinetuneSpec& ft = ctx.spec->finetune();
  if (ft.lpft_lrs_size() == 0) {
    return absl::InvalidArgumentError("LPFT needs finetune.lpft_lrs");
  }
  const double fraction = ft.validation_fraction();
  ASSIGN_OR_RETURN(HoldoutSplit split, SplitHoldout(*ctx.dataset, fraction));
  const CueDataset* dataset = ctx.dataset;
  const DataFn make_train = [dataset, &split] {
    return dataset->Get(View::kHoldout, split.train);
  };
  const std::string view = "holdout_train";
  const std::string extra =
      absl::StrCat("validation_fraction: ", Exact(fraction));
  const int64_t n = static_cast<int64_t>(split.train.size());
  ASSIGN_OR_RETURN(
      TrainedModel probe,
      TrainHead(ctx, Label("LPFT probe (LLR)", c, seed), seed, c, view,
                {theta_c.hash}, extra, theta_c.params, n, make_train));
  const Batch validation =
      ToDevice(dataset->Get(View::kHoldout, split.validation), ctx.device);
  const int64_t eval_batch = std::max(1, ctx.spec->eval().batch_size());

  MethodResult result;
  double seconds = probe.train_seconds;
  bool from_cache = probe.from_cache;
  Metrics best;
  int best_index = -1;
  std::vector<std::string> tried;
  for (int i = 0; i < ft.lpft_lrs_size(); ++i) {
    TrainSpec train = ft.lpft();
    train.set_lr(ft.lpft_lrs(i));
    ASSIGN_OR_RETURN(
        TrainedModel tuned,
        FullFineTune(ctx, "LPFT",
                     Label(absl::StrFormat("LPFT lr=%g", train.lr()), c, seed),
                     train, seed, c, view, {theta_c.hash, probe.hash}, extra,
                     probe.params, n, make_train));
    seconds += tuned.train_seconds;
    from_cache = from_cache && tuned.from_cache;
    const Metrics m =
        Evaluate(*ctx.model, tuned.params, validation, eval_batch);
    tried.push_back(absl::StrFormat("%g: %.1f%%", train.lr(), m.accuracy));
    if (best_index < 0 || m.accuracy > best.accuracy ||
        (m.accuracy == best.accuracy && m.loss < best.loss)) {
      best = m;
      best_index = i;
      result.model = std::move(tuned);
    }
  }
  result.model.train_seconds = seconds;
  result.model.from_cache = from_cache;
  result.detail = absl::StrFormat(
      "lr %g chosen by validation accuracy (%d held-out samples; %s)",
      ft.lpft_lrs(best_index), split.validation.size(),
      absl::StrJoin(tried, ", "));
  return result;
}

std::vector<MethodStage> LpftStages(const FinetuneSpec& f) {
  // As RunLpft: LLR on the training part of the hold-out, then the whole
  // network at each lr, on the same part.
  const double train_part = 1.0 - f.validation_fraction();
  std::vector<MethodStage> stages = {
      {"LPFT probe (LLR, head only)", f.llr(), train_part}};
  for (double lr : f.lpft_lrs()) {
    TrainSpec lpft = f.lpft();
    lpft.set_lr(lr);
    stages.push_back({absl::StrFormat("LPFT lr=%g", lr), lpft, train_part});
  }
  return stages;
}

}  // namespace

MethodInfo LpftMethod() {
  return {
      Method::kLpft,
      "LPFT",
      "LPFT",
      MethodRole::kBaseline,
      &LpftStages,
      [](const RunContext& ctx, const MethodInfo&, const TrainedModel& theta_c,
         double c, int64_t seed) { return RunLpft(ctx, theta_c, c, seed); }};
}

absl::StatusOr<HoldoutSplit> SplitHoldout(const CueDataset& dataset,
                                          double validation_fraction) {
  if (!(validation_fraction > 0.0 && validation_fraction < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("finetune.validation_fraction must be in (0, 1), got ",
                     validation_fraction));
  }
  std::vector<std::vector<int64_t>> by_class(dataset.num_classes());
  const int64_t n = dataset.Size(View::kHoldout);
  for (int64_t i = 0; i < n; ++i) {
    by_class[dataset.Label(View::kHoldout, i)].push_back(i);
  }
  HoldoutSplit split;
  for (int k = 0; k < dataset.num_classes(); ++k) {
    const int64_t n_k = static_cast<int64_t>(by_class[k].size());
    if (n_k == 0) continue;
    const int64_t n_val = std::llround(validation_fraction * n_k);
    if (n_val < 1 || n_val >= n_k) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "finetune.validation_fraction %g of the %d hold-out samples of "
          "class %d leaves an empty training or validation part",
          validation_fraction, n_k, k));
    }
    for (int64_t j = 0; j < n_k; ++j) {
      (j < n_k - n_val ? split.train : split.validation)
          .push_back(by_class[k][j]);
    }
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.validation.begin(), split.validation.end());
  return split;
}

}  // namespace mmc

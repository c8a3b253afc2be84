// Implementation of lib/finetune/finetune.h.
#include "lib/finetune/finetune.h"

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "lib/data/cue_dataset.h"
#include "lib/finetune/cbft.h"
#include "lib/finetune/finetune_common.h"
#include "lib/finetune/ft.h"
#include "lib/finetune/llr.h"
#include "lib/finetune/lpft.h"
#include "lib/spec/spec.pb.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

absl::Status CheckInputs(const RunContext& ctx, const TrainedModel& theta_c) {
  if (ctx.spec == nullptr || ctx.model == nullptr || ctx.dataset == nullptr ||
      ctx.cache == nullptr) {
    return absl::InvalidArgumentError(
        "RunContext needs spec, model, dataset and cache");
  }
  if (theta_c.hash.empty() || theta_c.params.empty()) {
    return absl::InvalidArgumentError(
        "theta_C must be a model from the run cache (its hash is a parent of "
        "every fine-tuning key)");
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<MethodInfo>& Methods() {
  static const auto* methods = new std::vector<MethodInfo>{
      FtMediumMethod(),       // FT_M (ft.h)
      FtSmallMethod(),        // FT_S (ft.h)
      LlrMethod(),            // LLR (llr.h)
      LpftMethod(),           // LPFT (lpft.h)
      CbftMethod(),           // CBFT (cbft.h)
      CbftNoBarrierMethod(),  // CBFT (no barrier) (cbft.h)
      CbftPairedMethod(),     // CBFT, paired counterfactuals (cbft.h)
      CbftAuthorsMethod(),    // CBFT (authors' variant) (cbft.h)
  };
  return *methods;
}

const MethodInfo& InfoOf(Method method) {
  for (const MethodInfo& info : Methods()) {
    if (info.method == method) return info;
  }
  // Every enumerator has an entry (finetune_test checks it); reaching here
  // is a programming error, never a silent default.
  std::cerr << "fine-tuning method " << static_cast<int>(method)
            << " is not registered in Methods()\n";
  std::abort();
}

const MethodInfo* FindMethod(const std::string& name) {
  for (const MethodInfo& info : Methods()) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

absl::StatusOr<TrainedModel> FineTuneNoCue(const RunContext& ctx,
                                           const TrainedModel& theta_c,
                                           double cue_proportion, int64_t seed,
                                           double lr) {
  RETURN_IF_ERROR(CheckInputs(ctx, theta_c));
  TrainSpec train = ctx.spec->finetune().fig4();
  train.set_lr(lr);
  const CueDataset* dataset = ctx.dataset;
  return FullFineTune(
      ctx, "no_cue",
      Label(absl::StrFormat("FT no cue lr=%g", lr), cue_proportion, seed),
      train, seed, cue_proportion, ViewName(View::kTrainNoCue), {theta_c.hash},
      "", theta_c.params, dataset->Size(View::kTrainNoCue),
      [dataset] { return dataset->Materialize(View::kTrainNoCue, 0); });
}

absl::StatusOr<MethodResult> RunMethod(const RunContext& ctx, Method method,
                                       const TrainedModel& theta_c,
                                       double cue_proportion, int64_t seed) {
  RETURN_IF_ERROR(CheckInputs(ctx, theta_c));
  const MethodInfo& info = InfoOf(method);
  return info.run(ctx, info, theta_c, cue_proportion, seed);
}

}  // namespace mmc

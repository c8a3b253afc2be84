// Implementation of lib/finetune/llr.h.
#include "lib/finetune/llr.h"

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "lib/data/cue_dataset.h"
#include "lib/finetune/finetune_common.h"
#include "lib/runs/run_cache.h"
#include "lib/runs/run_context.h"
#include "lib/spec/spec.pb.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

// LLR: a new head on the frozen body, on the whole clean hold-out.
absl::StatusOr<MethodResult> RunLlr(const RunContext& ctx,
                                    const MethodInfo& info,
                                    const TrainedModel& theta_c, double c,
                                    int64_t seed) {
  const FinetuneSpec& ft = ctx.spec->finetune();
  MethodResult result;
  ASSIGN_OR_RETURN(
      result.model,
      TrainHead(ctx, Label(info.name, c, seed), seed, c,
                ViewName(View::kHoldout), {theta_c.hash}, "", theta_c.params,
                ctx.dataset->Size(View::kHoldout), HoldoutData(ctx.dataset)));
  result.detail =
      absl::StrFormat("new head, frozen body (BN eval); lr %g, %d epochs",
                      ft.llr().lr(), ft.llr().epochs());
  return result;
}

std::vector<MethodStage> LlrStages(const FinetuneSpec& f) {
  return {{"LLR (head only)", f.llr()}};
}

}  // namespace

MethodInfo LlrMethod() {
  return {Method::kLlr,          "LLR",      "LLR",
          MethodRole::kBaseline, &LlrStages, &RunLlr};
}

}  // namespace mmc

// Implementation of lib/finetune/ft.h.
#include "lib/finetune/ft.h"

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

// FT_M and FT_S: the whole network on the whole clean hold-out.
absl::StatusOr<MethodResult> RunFullFineTune(const RunContext& ctx,
                                             const MethodInfo& info,
                                             const TrainedModel& theta_c,
                                             double c, int64_t seed) {
  const FinetuneSpec& ft = ctx.spec->finetune();
  const TrainSpec& train =
      info.method == Method::kFtMedium ? ft.ft_medium() : ft.ft_small();
  MethodResult result;
  ASSIGN_OR_RETURN(
      result.model,
      FullFineTune(ctx, info.slug, Label(info.name, c, seed), train, seed, c,
                   ViewName(View::kHoldout), {theta_c.hash}, "", theta_c.params,
                   ctx.dataset->Size(View::kHoldout),
                   HoldoutData(ctx.dataset)));
  result.detail =
      absl::StrFormat("lr %g, %d epochs", train.lr(), train.epochs());
  return result;
}

std::vector<MethodStage> FtMediumStages(const FinetuneSpec& f) {
  return {{"FT_M", f.ft_medium()}};
}

std::vector<MethodStage> FtSmallStages(const FinetuneSpec& f) {
  return {{"FT_S", f.ft_small()}};
}

}  // namespace

MethodInfo FtMediumMethod() {
  return {Method::kFtMedium,     "FT_M",          "FT_M",
          MethodRole::kBaseline, &FtMediumStages, &RunFullFineTune};
}

MethodInfo FtSmallMethod() {
  return {Method::kFtSmall,      "FT_S",         "FT_S",
          MethodRole::kBaseline, &FtSmallStages, &RunFullFineTune};
}

}  // namespace mmc

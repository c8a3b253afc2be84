// Implementation of lib/paths/kinds/linear.h.
#include "lib/paths/kinds/linear.h"

#include "lib/paths/permutation.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

absl::StatusOr<std::optional<BuiltPath>> BuildLinear(const PathRequest& r) {
  if (!r.evaluate) return std::nullopt;
  return BuiltPath{LinearPath(r.a->params, r.b->params), ""};
}

absl::StatusOr<std::optional<BuiltPath>> BuildLinearPermuted(
    const PathRequest& r) {
  if (!r.evaluate) return std::nullopt;
  const RunContext& ctx = *r.ctx;
  ASSIGN_OR_RETURN(Permutation perm,
                   MatchActivations(*ctx.model, r.b->params, r.a->params,
                                    PermutationBatches(ctx, r.bn_c)));
  return BuiltPath{
      LinearPath(ApplyPermutation(*ctx.model, r.a->params, perm), r.b->params),
      ""};
}

}  // namespace

PathKind LinearKind() { return {kLinear, nullptr, nullptr, BuildLinear}; }

PathKind LinearPermutedKind() {
  return {kLinearPermuted, nullptr, nullptr, BuildLinearPermuted};
}

}  // namespace mmc

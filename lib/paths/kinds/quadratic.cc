// Implementation of lib/paths/kinds/quadratic.h.
#include "lib/paths/kinds/quadratic.h"

#include <memory>

#include "absl/strings/str_format.h"
#include "lib/paths/quadratic.h"
#include "lib/runs/endpoints.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

absl::StatusOr<std::optional<BuiltPath>> BuildQuadratic(const PathRequest& r,
                                                        View view,
                                                        const char* name) {
  ASSIGN_OR_RETURN(
      TrainedModel mid,
      TrainMidpoint(*r.ctx, *r.a, *r.b, view, r.c, r.seed,
                    absl::StrFormat("midpoint %s c=%g %s", r.pair, r.c, name)));
  if (!r.evaluate) return std::nullopt;
  return BuiltPath{QuadraticPath(r.a->params, mid.params, r.b->params),
                   mid.hash};
}

absl::StatusOr<std::optional<BuiltPath>> BuildQuadraticCue(
    const PathRequest& r) {
  return BuildQuadratic(r, View::kTrainCue, kQuadraticCue);
}

absl::StatusOr<std::optional<BuiltPath>> BuildQuadraticNoCue(
    const PathRequest& r) {
  return BuildQuadratic(r, View::kTrainNoCue, kQuadraticNoCue);
}

const TrainSpec& MidpointTraining(const Spec& spec) {
  return spec.paths().quadratic();
}

}  // namespace

PathKind QuadraticCueKind() {
  return {kQuadraticCue, "midpoint w/ cue", MidpointTraining,
          BuildQuadraticCue};
}

PathKind QuadraticNoCueKind() {
  return {kQuadraticNoCue, "midpoint w/o cue", MidpointTraining,
          BuildQuadraticNoCue};
}

absl::StatusOr<TrainedModel> TrainMidpoint(const RunContext& ctx,
                                           const TrainedModel& a,
                                           const TrainedModel& b, View view,
                                           double c, int64_t seed,
                                           const std::string& label) {
  const Spec& spec = *ctx.spec;
  TrainRequest request;
  request.key =
      BaseRunKey(spec, "quadratic_midpoint", spec.paths().quadratic(), seed);
  request.key.set_cue_proportion(c);
  request.key.set_data_view(ViewName(view));
  request.key.add_parents(a.hash);
  request.key.add_parents(b.hash);
  request.loop.label = label;
  request.loop.num_samples = ctx.dataset->Size(view);
  request.loop.train = spec.paths().quadratic();
  request.loop.shuffle_seed = static_cast<uint64_t>(seed) + 1000;
  request.loop.progress = ctx.progress;
  auto data = std::make_shared<Batch>();
  const CueDataset* dataset = ctx.dataset;
  const torch::Device device = ctx.device;
  request.init = [dataset, data, device, view, &a, &b] {
    *data = ToDevice(dataset->Materialize(view, 0), device);
    return MidpointInit(a.params, b.params);
  };
  request.loss = QuadraticMidpointLoss(*ctx.model, a.params, b.params, data,
                                       static_cast<uint64_t>(seed));
  return ctx.cache->TrainOrLoad(request);
}

}  // namespace mmc

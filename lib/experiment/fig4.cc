// Implementation of lib/experiment/fig4.h.
#include "lib/experiment/fig4.h"

#include <chrono>
#include <cmath>

#include "absl/strings/str_format.h"
#include "lib/finetune/finetune.h"
#include "lib/runs/endpoints.h"
#include "lib/util/progress.h"
#include "lib/util/status_macros.h"

namespace mmc {

std::string LrLabel(double lr) { return absl::StrFormat("lr=%g", lr); }

absl::Status RunFig4FineTune(const ExperimentContext& ctx,
                             const TrainedModel& theta_c, double c,
                             int64_t seed, double lr,
                             const std::vector<torch::Tensor>& batches,
                             Fig4Results* results) {
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(TrainedModel theta_ft,
                   FineTuneNoCue(ctx, theta_c, c, seed, lr));
  ModelResult ft_result = EvaluateModel(ctx, theta_ft, "theta_FT", c, seed);
  ft_result.set_method(absl::StrFormat("FT %s", LrLabel(lr)));
  ft_result.set_lr(lr);
  *results->add_finetuned() = ft_result;
  if (!ctx.evaluate_paths) return absl::OkStatus();
  // Both linear paths: the paper's figure (after permutation) and the
  // plain one.
  auto add_path = [&](const char* kind) {
    PathResult* path = results->add_paths();
    path->set_path(kind);
    path->set_pair(absl::StrFormat("theta_C-theta_FT %s", LrLabel(lr)));
    path->set_cue_proportion(c);
    path->set_seed(seed);
    path->set_lr(lr);
    return path;
  };
  PathResult* plain = add_path(kLinear);
  PathResult* path = add_path(kLinearPermuted);
  RETURN_IF_ERROR(EvaluateLinearAndPermutedInto(
      ctx, theta_c.params, theta_ft.params, batches, c, plain, path));
  path->set_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count());
  const PathBarrier* b = FindBarrier(*path, "trC");
  const PathBarrier* b_plain = FindBarrier(*plain, "trC");
  const std::string what = absl::StrFormat(
      "c=%g %s: barrier on trC %.3f nats, dip %.1f after permutation; %.3f, "
      "%.1f without (%.1f s)",
      c, LrLabel(lr), b->loss_barrier(), b->accuracy_dip(),
      b_plain->loss_barrier(), b_plain->accuracy_dip(), path->seconds());
  ReportPathProgress(ctx, "fig4", what);
  return absl::OkStatus();
}

absl::StatusOr<Fig4Results> RunFig4(const ExperimentContext& context) {
  const Spec& spec = *context.spec;
  if (spec.seeds_size() == 0 || spec.cue_proportions_size() == 0 ||
      spec.finetune().fig4_lrs_size() == 0) {
    return absl::InvalidArgumentError(
        "fig4 needs seeds, cue_proportions and finetune.fig4_lrs in the spec");
  }
  // Progress: n of N fine-tunings with their paths evaluated (a work unit
  // evaluates none).
  ProgressMeter meter(
      "fig4", spec.cue_proportions_size() * spec.finetune().fig4_lrs_size(),
      context.progress);
  ExperimentContext ctx = context;
  if (ctx.evaluate_paths) ctx.meter = &meter;
  const int64_t seed = spec.seeds(0);
  Fig4Results results;
  for (double c : spec.cue_proportions()) {
    ASSIGN_OR_RETURN(TrainedModel theta_c,
                     TrainEndpoint(spec, *ctx.model, *ctx.dataset, c, seed,
                                   ctx.cache, ctx.device, ctx.progress));
    *results.add_endpoints() = EvaluateModel(ctx, theta_c, "theta_C", c, seed);
    const std::vector<torch::Tensor> batches = PermutationBatches(ctx, c);
    for (double lr : spec.finetune().fig4_lrs()) {
      RETURN_IF_ERROR(
          RunFig4FineTune(ctx, theta_c, c, seed, lr, batches, &results));
    }
  }
  for (const Verdict& v : Fig4Verdicts(results, spec.claims())) {
    *results.add_verdicts() = v;
  }
  return results;
}

const PathResult* FindFig4Path(const Fig4Results& results, double c, double lr,
                               const std::string& kind) {
  for (const PathResult& p : results.paths()) {
    if (p.path() == kind && std::abs(p.cue_proportion() - c) < 1e-9 &&
        std::abs(p.lr() - lr) < 1e-12) {
      return &p;
    }
  }
  return nullptr;
}

namespace {

std::string PlainPathText(const PathBarrier& b) {
  return absl::StrFormat(" (without permutation: B %.3f, dip %.1f)",
                         b.loss_barrier(), b.accuracy_dip());
}

}  // namespace

std::vector<Verdict> Fig4Verdicts(const Fig4Results& results,
                                  const ClaimsSpec& k) {
  std::vector<Verdict> out;
  auto add = [&out](const std::string& claim, bool asserted, bool passed,
                    const std::string& measured, const std::string& threshold) {
    out.push_back(MakeVerdict(claim, asserted, passed, measured, threshold));
  };
  for (const ModelResult& ft : results.finetuned()) {
    // The paper's Fig. 4 plots the linear path after permutation matching:
    // the claims are asserted on it; the plain path is reported beside.
    const PathResult* path =
        FindFig4Path(results, ft.cue_proportion(), ft.lr(), kLinearPermuted);
    const PathResult* plain =
        FindFig4Path(results, ft.cue_proportion(), ft.lr(), kLinear);
    if (path == nullptr) continue;
    const Counterfactuals a = AccuraciesOf(ft.metrics());
    const double nc = a.nc, rc = a.rc, ri = a.ri;
    const PathBarrier* b = FindBarrier(*path, "trC");
    const std::string plain_text =
        plain == nullptr ? "" : PlainPathText(*FindBarrier(*plain, "trC"));
    const std::string where =
        absl::StrFormat("c=%g, %s", ft.cue_proportion(), LrLabel(ft.lr()));
    if (ft.lr() <= k.small_lr() + 1e-12) {
      add(absl::StrFormat(
              "small-LR FT stays linearly connected (after permutation) and "
              "cue-reliant (%s)",
              where),
          true,
          b->loss_barrier() <= k.small_lr_max_barrier() &&
              rc <= nc - k.small_lr_min_drop(),
          absl::StrFormat("B(trC) %.3f%s; NC %.1f, RC %.1f, RI %.1f",
                          b->loss_barrier(), plain_text, nc, rc, ri),
          absl::StrFormat("B(trC) <= %g and RC <= NC - %g",
                          k.small_lr_max_barrier(), k.small_lr_min_drop()));
    }
    if (ft.lr() >= k.large_lr() - 1e-12) {
      add(absl::StrFormat("large-LR FT becomes invariant to the cue (%s)",
                          where),
          true, InvariantToCue(a, k),
          absl::StrFormat("NC %.1f, RC %.1f, RI %.1f", nc, rc, ri),
          InvariantToCueThreshold(k));
      add(absl::StrFormat(
              "large-LR FT breaks linear connectivity (after permutation) "
              "(%s)",
              where),
          false, HasBarrier(*b, k),
          absl::StrFormat("B(trC) %.3f, dip %.1f%s", b->loss_barrier(),
                          b->accuracy_dip(), plain_text),
          BarrierThreshold(k) + " (has a barrier)");
    }
  }
  return out;
}

}  // namespace mmc

// Implementation of lib/experiment/fig4.h.
#include "lib/experiment/fig4.h"

#include <chrono>
#include <cmath>
#include <iostream>

#include "absl/strings/str_format.h"
#include "lib/experiment/endpoints.h"
#include "lib/finetune/finetune.h"
#include "lib/paths/path.h"
#include "lib/paths/permutation.h"
#include "lib/util/status_macros.h"

namespace mmc {

FinetuneContext ToFinetuneContext(const ExperimentContext& ctx) {
  FinetuneContext ft;
  ft.spec = ctx.spec;
  ft.model = ctx.model;
  ft.dataset = ctx.dataset;
  ft.cache = ctx.cache;
  ft.device = ctx.device;
  ft.progress = ctx.progress;
  return ft;
}

std::string LrLabel(double lr) { return absl::StrFormat("lr=%g", lr); }

absl::StatusOr<Fig4Results> RunFig4(const ExperimentContext& ctx) {
  const Spec& spec = *ctx.spec;
  if (spec.seeds_size() == 0 || spec.cue_proportions_size() == 0 ||
      spec.finetune().fig4_lrs_size() == 0) {
    return absl::InvalidArgumentError(
        "fig4 needs seeds, cue_proportions and finetune.fig4_lrs in the spec");
  }
  const int64_t seed = spec.seeds(0);
  const FinetuneContext ft = ToFinetuneContext(ctx);
  Fig4Results results;
  for (double c : spec.cue_proportions()) {
    ASSIGN_OR_RETURN(TrainedModel theta_c,
                     TrainEndpoint(spec, *ctx.model, *ctx.dataset, c, seed,
                                   ctx.cache, ctx.device, ctx.progress));
    *results.add_endpoints() = EvaluateModel(ctx, theta_c, "theta_C", c, seed);
    std::vector<torch::Tensor> batches;
    {
      torch::Tensor x = BnResetData(ctx, c);
      const int64_t n =
          std::min<int64_t>(x.size(0), spec.paths().permutation_samples() > 0
                                           ? spec.paths().permutation_samples()
                                           : x.size(0));
      for (int64_t s = 0; s < n; s += spec.paths().permutation_batch_size()) {
        batches.push_back(x.slice(
            0, s, std::min(n, s + spec.paths().permutation_batch_size())));
      }
    }
    for (double lr : spec.finetune().fig4_lrs()) {
      const auto start = std::chrono::steady_clock::now();
      ASSIGN_OR_RETURN(TrainedModel theta_ft,
                       FineTuneNoCue(ft, theta_c, c, seed, lr));
      ModelResult ft_result = EvaluateModel(ctx, theta_ft, "theta_FT", c, seed);
      ft_result.set_method(absl::StrFormat("FT %s", LrLabel(lr)));
      ft_result.set_lr(lr);
      *results.add_finetuned() = ft_result;
      ASSIGN_OR_RETURN(Permutation perm,
                       MatchActivations(*ctx.model, theta_c.params,
                                        theta_ft.params, batches));
      PathResult* path = results.add_paths();
      path->set_path(kLinearPermuted);
      path->set_pair(absl::StrFormat("theta_C-theta_FT %s", LrLabel(lr)));
      path->set_cue_proportion(c);
      path->set_seed(seed);
      path->set_lr(lr);
      EvaluatePathInto(ctx,
                       Path{theta_c.params,
                            ApplyPermutation(*ctx.model, theta_ft.params, perm),
                            std::nullopt},
                       c, path);
      path->set_seconds(std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - start)
                            .count());
      if (ctx.progress) {
        const PathBarrier* b = FindBarrier(*path, "trC");
        std::cerr << absl::StrFormat(
            "fig4: c=%g %s: barrier on trC %.3f nats, dip %.1f (%.1f s)\n", c,
            LrLabel(lr), b->loss_barrier(), b->accuracy_dip(), path->seconds());
      }
    }
  }
  for (const Verdict& v : Fig4Verdicts(results)) *results.add_verdicts() = v;
  return results;
}

std::vector<Verdict> Fig4Verdicts(const Fig4Results& results) {
  std::vector<Verdict> out;
  auto add = [&out](const std::string& claim, bool asserted, bool passed,
                    const std::string& measured, const std::string& threshold) {
    out.push_back(MakeVerdict(claim, asserted, passed, measured, threshold));
  };
  for (const ModelResult& ft : results.finetuned()) {
    const PathResult* path = nullptr;
    for (const PathResult& p : results.paths()) {
      if (std::abs(p.cue_proportion() - ft.cue_proportion()) < 1e-9 &&
          std::abs(p.lr() - ft.lr()) < 1e-12) {
        path = &p;
      }
    }
    if (path == nullptr) continue;
    std::vector<SetMetrics> m(ft.metrics().begin(), ft.metrics().end());
    const double nc = AccuracyOf(m, "NC"), rc = AccuracyOf(m, "RC");
    const double ri = AccuracyOf(m, "RI");
    const double barrier = FindBarrier(*path, "trC")->loss_barrier();
    const std::string where =
        absl::StrFormat("c=%g, %s", ft.cue_proportion(), LrLabel(ft.lr()));
    if (ft.lr() <= 0.001 + 1e-12) {
      add(absl::StrFormat(
              "small-LR FT stays linearly connected and cue-reliant (%s)",
              where),
          true, barrier <= 0.05 && rc <= nc - 30,
          absl::StrFormat("B(trC) %.3f; NC %.1f, RC %.1f, RI %.1f", barrier, nc,
                          rc, ri),
          "B(trC) <= 0.05 and RC <= NC - 30");
    }
    if (ft.lr() >= 0.1 - 1e-12) {
      add(absl::StrFormat("large-LR FT becomes invariant to the cue (%s)",
                          where),
          true, rc >= nc - 5,
          absl::StrFormat("NC %.1f, RC %.1f, RI %.1f", nc, rc, ri),
          "RC >= NC - 5");
      add(absl::StrFormat("large-LR FT breaks linear connectivity (%s)", where),
          false, barrier >= 0.5,
          absl::StrFormat("B(trC) %.3f, dip %.1f", barrier,
                          FindBarrier(*path, "trC")->accuracy_dip()),
          "B(trC) >= 0.5 (the Fig. 3 barrier threshold)");
    }
  }
  return out;
}

}  // namespace mmc

// Implementation of lib/experiment/ladder.h.
#include "lib/experiment/ladder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/experiment/eval_sets.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/plan.h"
#include "lib/models/model.h"
#include "lib/models/param_map.h"
#include "lib/runs/endpoints.h"
#include "lib/util/progress.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

bool SameRung(const LadderRung& a, const LadderRung& b) {
  return std::abs(a.width() - b.width()) < 1e-12 && a.epochs() == b.epochs();
}

const ModelResult* FindModel(
    const google::protobuf::RepeatedPtrField<ModelResult>& models,
    const std::string& name) {
  for (const ModelResult& m : models) {
    if (m.name() == name) return &m;
  }
  return nullptr;
}

// B(trC) of the rung's Linear Permuted path between `pair` (NaN if missing).
double PermutedBarrier(const LadderRungResult& rung, const Spec& spec,
                       RungPair pair) {
  return FindBarrier(FindRungPath(rung, spec, pair, kLinearPermuted), "trC")
      ->loss_barrier();
}

std::string BarrierText(const PathBarrier& b) {
  return absl::StrFormat("B(trC) %.3f, dip %.1f", b.loss_barrier(),
                         b.accuracy_dip());
}

}  // namespace

absl::Status ValidateLadder(const Spec& spec) {
  const LadderSpec& ladder = spec.ladder();
  if (ladder.rungs_size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "spec \"", spec.name(),
        "\" has no ladder { rungs { width: ... epochs: ... } }: the ladder "
        "needs at least one rung"));
  }
  for (int i = 0; i < ladder.rungs_size(); ++i) {
    const LadderRung& r = ladder.rungs(i);
    if (!r.has_width() || !(r.width() > 0) || !std::isfinite(r.width())) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "ladder.rungs[%d]: width must be set and > 0, got %g", i, r.width()));
    }
    if (!r.has_epochs() || r.epochs() <= 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "ladder.rungs[%d]: epochs must be set and > 0, got %d", i,
          r.epochs()));
    }
    for (int j = 0; j < i; ++j) {
      if (SameRung(r, ladder.rungs(j))) {
        return absl::InvalidArgumentError(
            absl::StrFormat("ladder.rungs[%d] repeats rungs[%d] (%s)", i, j,
                            RungLabel(r.width(), r.epochs())));
      }
    }
  }
  const double c = ladder.cue_proportion();
  if (!(c > 0.0 && c <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("ladder.cue_proportion must be in (0, 1], got %g", c));
  }
  if (!ladder.has_finetune_lr()) {
    return absl::InvalidArgumentError(
        "ladder.finetune_lr is required: the learning rate of the large-LR "
        "fine-tune (>= claims.large_lr)");
  }
  if (!(ladder.finetune_lr() >= spec.claims().large_lr())) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ladder.finetune_lr %g is below claims.large_lr %g: the tier would "
        "not call that fine-tune large",
        ladder.finetune_lr(), spec.claims().large_lr()));
  }
  if (spec.seeds_size() == 0) {
    return absl::InvalidArgumentError("the ladder needs at least one seed");
  }
  return absl::OkStatus();
}

std::vector<LadderRung> SortedRungs(const Spec& spec) {
  std::vector<LadderRung> rungs(spec.ladder().rungs().begin(),
                                spec.ladder().rungs().end());
  std::stable_sort(rungs.begin(), rungs.end(),
                   [](const LadderRung& a, const LadderRung& b) {
                     if (a.width() != b.width()) return a.width() < b.width();
                     return a.epochs() < b.epochs();
                   });
  return rungs;
}

Spec RungSpec(const Spec& base, const LadderRung& rung) {
  Spec spec = base;
  spec.mutable_model()->set_width(rung.width());
  spec.mutable_train()->set_epochs(rung.epochs());
  // Milestones given in epochs move with the training length (40 and 80 of
  // 100 become 12 and 24 of 30); at the spec's own length they stay as they
  // are, so that rung's cache keys are //tasks:fig3's.
  ScheduleSpec* schedule = spec.mutable_train()->mutable_schedule();
  if (rung.epochs() != base.train().epochs() && base.train().epochs() > 0) {
    for (int i = 0; i < schedule->milestone_epochs_size(); ++i) {
      schedule->set_milestone_epochs(
          i, static_cast<int>(std::lround(
                 static_cast<double>(schedule->milestone_epochs(i)) *
                 rung.epochs() / base.train().epochs())));
    }
  }
  spec.clear_cue_proportions();
  spec.add_cue_proportions(base.ladder().cue_proportion());
  spec.mutable_finetune()->clear_fig4_lrs();
  spec.mutable_finetune()->add_fig4_lrs(base.ladder().finetune_lr());
  spec.mutable_ladder()->clear_rungs();
  *spec.mutable_ladder()->add_rungs() = rung;
  return spec;
}

std::string RungLabel(double width, int epochs) {
  std::string w = absl::StrFormat("x%g", width);
  const double inverse = 1.0 / width;
  const double rounded = std::round(inverse);
  if (width < 1.0 && std::abs(inverse - rounded) < 1e-9) {
    w = absl::StrFormat("x1/%d", static_cast<int>(rounded));
  }
  return absl::StrFormat("%s, %d epoch%s", w, epochs, epochs == 1 ? "" : "s");
}

absl::StatusOr<LadderRungResult> RunLadderRung(const ExperimentContext& ctx,
                                               const LadderRung& rung) {
  const auto start = std::chrono::steady_clock::now();
  const Spec spec = RungSpec(*ctx.spec, rung);
  const DatasetFacts facts = FactsOf(spec.dataset().kind());
  ASSIGN_OR_RETURN(std::unique_ptr<Model> model,
                   Model::Create(spec.model(), facts.channels, facts.classes));
  ExperimentContext rc = ctx;
  rc.spec = &spec;
  rc.model = model.get();
  const std::string label = RungLabel(rung.width(), rung.epochs());
  if (ctx.progress) {
    std::cerr << "ladder: rung " << label << "\n";
  }

  LadderRungResult result;
  result.set_width(rung.width());
  result.set_epochs(rung.epochs());
  int64_t parameters = 0;
  for (const auto& [name, tensor] : model->Init(0)) {
    if (!IsBuffer(name)) parameters += tensor.numel();
  }
  result.set_parameters(parameters);
  result.set_forward_flops(model->ForwardFlops(facts.height, facts.width));

  const double c = spec.ladder().cue_proportion();
  const int64_t seed = spec.seeds(0);
  // As Fig. 3: the control pair's second model trains with the second seed.
  const int64_t control_seed = spec.seeds_size() > 1 ? spec.seeds(1) : seed + 1;
  auto train = [&](double cue, int64_t s) {
    return TrainEndpoint(spec, *model, *ctx.dataset, cue, s, ctx.cache,
                         ctx.device, ctx.progress);
  };
  ASSIGN_OR_RETURN(TrainedModel theta_nc, train(0.0, seed));
  ASSIGN_OR_RETURN(TrainedModel theta_c, train(c, seed));
  ASSIGN_OR_RETURN(TrainedModel theta_nc2, train(0.0, control_seed));

  Fig3Results* fig3 = result.mutable_fig3();
  *fig3->add_endpoints() = EvaluateModel(rc, theta_c, "theta_C", c, seed);
  *fig3->add_endpoints() = EvaluateModel(rc, theta_nc, "theta_NC", 0.0, seed);
  *fig3->add_endpoints() =
      EvaluateModel(rc, theta_nc2, "theta_NC'", 0.0, control_seed);
  RETURN_IF_ERROR(
      RunLinearPairPaths(rc, theta_c, theta_nc, kMainPair, c, c, seed, fig3));
  RETURN_IF_ERROR(RunLinearPairPaths(rc, theta_nc, theta_nc2, kControlPair, 0.0,
                                     0.0, seed, fig3));

  Fig4Results* fig4 = result.mutable_fig4();
  *fig4->add_endpoints() = fig3->endpoints(0);
  RETURN_IF_ERROR(RunFig4FineTune(rc, theta_c, c, seed,
                                  spec.ladder().finetune_lr(),
                                  PermutationBatches(rc, c), fig4));

  for (const Verdict& v : RungVerdicts(result, *ctx.spec)) {
    *result.add_verdicts() = v;
  }
  result.set_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count());
  return result;
}

absl::StatusOr<LadderResults> RunLadder(const ExperimentContext& ctx) {
  RETURN_IF_ERROR(ValidateLadder(*ctx.spec));
  LadderResults results;
  const std::vector<LadderRung> rungs = SortedRungs(*ctx.spec);
  // Progress: n of N rungs (each rung also prints its start).
  ProgressMeter meter("ladder", static_cast<int>(rungs.size()), ctx.progress);
  for (const LadderRung& rung : rungs) {
    ASSIGN_OR_RETURN(LadderRungResult rung_result, RunLadderRung(ctx, rung));
    meter.Done(absl::StrFormat("rung %s done in %.0f s",
                               RungLabel(rung.width(), rung.epochs()),
                               rung_result.seconds()));
    *results.add_rungs() = std::move(rung_result);
  }
  for (const std::string& s : LadderConclusions(results, *ctx.spec)) {
    results.add_conclusions(s);
  }
  return results;
}

std::vector<Verdict> RungVerdicts(const LadderRungResult& rung,
                                  const Spec& spec) {
  const ClaimsSpec& k = spec.claims();
  const double lr = spec.ladder().finetune_lr();
  std::vector<Verdict> out;

  // Endpoints: theta_C relies on the cue, theta_NC and theta_NC' do not.
  {
    const ModelResult* theta_c = FindModel(rung.fig3().endpoints(), "theta_C");
    bool ok = theta_c != nullptr;
    std::string measured;
    if (theta_c != nullptr) {
      const Counterfactuals a = AccuraciesOf(theta_c->metrics());
      ok = ReliesOnCue(a, k);
      measured = absl::StrFormat("theta_C NC %.1f, C %.1f, RC %.1f, RI %.1f",
                                 a.nc, a.c, a.rc, a.ri);
    }
    for (const char* name : {"theta_NC", "theta_NC'"}) {
      const ModelResult* m = FindModel(rung.fig3().endpoints(), name);
      if (m == nullptr) {
        ok = false;
        continue;
      }
      const Counterfactuals a = AccuraciesOf(m->metrics());
      ok = ok && DoesNotRelyOnCue(a, k);
      absl::StrAppendFormat(&measured, "; %s NC %.1f, RC %.1f, RI %.1f", name,
                            a.nc, a.rc, a.ri);
    }
    out.push_back(MakeVerdict(kLadderEndpointsClaim, false, ok, measured,
                              absl::StrCat("theta_C: ", ReliesOnCueThreshold(k),
                                           "; theta_NC and theta_NC': ",
                                           DoesNotRelyOnCueThreshold(k))));
  }

  // A missing path reads as NaN barriers (FindBarrier): the claim fails.
  auto barrier = [&](RungPair pair, const char* kind) {
    return FindBarrier(FindRungPath(rung, spec, pair, kind), "trC");
  };
  const PathBarrier* linear = barrier(RungPair::kMain, kLinear);
  out.push_back(MakeVerdict(kLadderLinearClaim, false, HasBarrier(*linear, k),
                            BarrierText(*linear), BarrierThreshold(k)));

  const PathBarrier* main_permuted = barrier(RungPair::kMain, kLinearPermuted);
  const PathBarrier* control_permuted =
      barrier(RungPair::kControl, kLinearPermuted);
  out.push_back(MakeVerdict(
      kLadderConjectureClaim, false,
      HasBarrier(*main_permuted, k) && IsConnected(*control_permuted, k),
      absl::StrFormat("theta_C-theta_NC %s; control %s",
                      BarrierText(*main_permuted),
                      BarrierText(*control_permuted)),
      absl::StrFormat("theta_C-theta_NC: %s; control: %s", BarrierThreshold(k),
                      ConnectedThreshold(k))));

  const ModelResult* ft = FindModel(rung.fig4().finetuned(), "theta_FT");
  const PathBarrier* ft_permuted =
      barrier(RungPair::kFinetune, kLinearPermuted);
  const Counterfactuals a =
      ft == nullptr ? Counterfactuals() : AccuraciesOf(ft->metrics());
  out.push_back(MakeVerdict(
      kLadderLargeLrClaim, false,
      InvariantToCue(a, k) && HasBarrier(*ft_permuted, k),
      absl::StrFormat("%s: NC %.1f, RC %.1f, RI %.1f; %s", LrLabel(lr), a.nc,
                      a.rc, a.ri, BarrierText(*ft_permuted)),
      absl::StrCat(InvariantToCueThreshold(k), " and ", BarrierThreshold(k))));
  return out;
}

const PathResult* FindRungPath(const LadderRungResult& rung, const Spec& spec,
                               RungPair pair, const char* kind) {
  const double c = spec.ladder().cue_proportion();
  switch (pair) {
    case RungPair::kMain:
      return FindPath(rung.fig3(), kMainPair, kind, c);
    case RungPair::kControl:
      return FindPath(rung.fig3(), kControlPair, kind, 0.0);
    case RungPair::kFinetune:
      return FindFig4Path(rung.fig4(), c, spec.ladder().finetune_lr(), kind);
  }
  return nullptr;
}

const Verdict* FindVerdict(const LadderRungResult& rung,
                           const std::string& claim) {
  for (const Verdict& v : rung.verdicts()) {
    if (v.claim() == claim) return &v;
  }
  return nullptr;
}

std::vector<std::string> LadderConclusions(const LadderResults& results,
                                           const Spec& spec) {
  std::vector<std::string> out;
  if (results.rungs_size() == 0) return out;
  const LadderRungResult& last = results.rungs(results.rungs_size() - 1);
  for (const char* claim :
       {kLadderLinearClaim, kLadderConjectureClaim, kLadderLargeLrClaim}) {
    const LadderRungResult* first = nullptr;
    int holds = 0;
    for (const LadderRungResult& rung : results.rungs()) {
      const Verdict* v = FindVerdict(rung, claim);
      if (v == nullptr || !v->passed()) continue;
      ++holds;
      if (first == nullptr) first = &rung;
    }
    if (first != nullptr) {
      out.push_back(absl::StrFormat("%s: first holds at %s (%d of %d rungs).",
                                    claim,
                                    RungLabel(first->width(), first->epochs()),
                                    holds, results.rungs_size()));
    } else {
      out.push_back(absl::StrFormat(
          "%s: not reached up to %s (0 of %d rungs).", claim,
          RungLabel(last.width(), last.epochs()), results.rungs_size()));
    }
  }
  // The numbers behind Conjecture 1, whatever the thresholds say: is the
  // dissimilar pair's permuted barrier above the control's, and where do
  // both go from the narrowest to the widest rung?
  int above = 0;
  for (const LadderRungResult& rung : results.rungs()) {
    above += PermutedBarrier(rung, spec, RungPair::kMain) >
             PermutedBarrier(rung, spec, RungPair::kControl);
  }
  const LadderRungResult& first = results.rungs(0);
  out.push_back(absl::StrFormat(
      "After permutation, theta_C-theta_NC's B(trC) is above the control's "
      "at %d of %d rungs; from %s to %s it goes from %.3f to %.3f nats, the "
      "control's from %.3f to %.3f.",
      above, results.rungs_size(), RungLabel(first.width(), first.epochs()),
      RungLabel(last.width(), last.epochs()),
      PermutedBarrier(first, spec, RungPair::kMain),
      PermutedBarrier(last, spec, RungPair::kMain),
      PermutedBarrier(first, spec, RungPair::kControl),
      PermutedBarrier(last, spec, RungPair::kControl)));
  return out;
}

}  // namespace mmc

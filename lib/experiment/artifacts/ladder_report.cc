// Implementation of lib/experiment/artifacts/ladder_report.h.
#include "lib/experiment/artifacts/ladder_report.h"

#include <cmath>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/experiment/eval_sets.h"
#include "lib/experiment/fig3.h"
#include "lib/experiment/ladder.h"
#include "lib/experiment/plan.h"
#include "lib/paths/kinds/linear.h"
#include "lib/report/markdown.h"
#include "lib/report/path_report.h"
#include "lib/report/plot.h"
#include "lib/report/provenance.h"

namespace mmc {
namespace {

const PathBarrier& TrC(const PathResult* path) {
  return *FindBarrier(path, "trC");
}

std::string Mark(const LadderRungResult& rung, const char* claim) {
  const Verdict* v = FindVerdict(rung, claim);
  if (v == nullptr) return "?";
  return v->passed() ? "✓" : "✗";
}

std::string BarrierCell(const PathBarrier& b) {
  return absl::StrFormat("%.3f / %.1f", b.loss_barrier(), b.accuracy_dip());
}

std::string FormatCount(int64_t n) {
  if (n >= 1000000) return absl::StrFormat("%.2fM", n / 1e6);
  if (n >= 1000) return absl::StrFormat("%.0fk", n / 1e3);
  return absl::StrCat(n);
}

}  // namespace

std::string LadderReport(const Spec& spec, const LadderResults& r) {
  const ClaimsSpec& k = spec.claims();
  std::string md = absl::StrFormat(
      "# Scale ladder: does Conjecture 1 start to hold as the networks "
      "grow?\n\n%s\n",
      spec.name());
  md += ProvenanceMarkdown(r.info());
  absl::StrAppendFormat(
      &md,
      "- per rung (width x epochs of theta_C, theta_NC, theta_NC'; "
      "everything else as the spec says): theta_C at c = %g (seed %d), "
      "theta_NC (seed %d) and theta_NC' (seed %d), trained with %s (the "
      "epochs are the rung's); theta_FT "
      "= theta_C fine-tuned on the training images without cue at lr %g "
      "(%s)\n- paths: linear and linear after permutation matching, %d "
      "points, BatchNorm recomputed at every point; barriers below are on "
      "trC (theta_C's cue view), as Fig. 3's and Fig. 4's verdicts read "
      "them\n",
      spec.ladder().cue_proportion(), spec.seeds(0), spec.seeds(0),
      spec.seeds_size() > 1 ? spec.seeds(1) : spec.seeds(0) + 1,
      DescribeTraining(spec.train()), spec.ladder().finetune_lr(),
      DescribeTraining(spec.finetune().fig4(), /*with_lr=*/false),
      spec.paths().num_points());
  int trained = 0, cached = 0;
  for (const LadderRungResult& rung : r.rungs()) {
    for (const auto* models :
         {&rung.fig3().endpoints(), &rung.fig4().finetuned()}) {
      for (const ModelResult& m : *models)
        (m.from_cache() ? cached : trained)++;
    }
  }
  absl::StrAppendFormat(
      &md,
      "- models: %d trained by this run, %d loaded from the run cache (the "
      "wall time and the seconds per rung count only this run's work)\n",
      trained, cached);
  absl::StrAppendFormat(
      &md,
      "- thresholds: the %s tier's (source: %s): has a barrier = %s; "
      "connected = %s; invariant to the cue = RC >= NC - %g\n\n",
      spec.tier(), k.source(), BarrierThreshold(k), ConnectedThreshold(k),
      k.large_lr_max_drop());

  md += "## Answer\n\n";
  for (const std::string& s : r.conclusions()) md += "- " + s + "\n";
  md +=
      "\nEvery verdict here is reported, not asserted: the ladder asks where "
      "a claim starts to hold. A rung whose endpoints do not have the "
      "intended mechanisms (column \"endpoints\") cannot test the claims; "
      "read its marks with that in mind.\n\n![ladder](ladder.png)\n\n";

  md +=
      "## Rungs\n\nBarrier cells: B(trC) in nats / accuracy dip in "
      "points.\n\n";
  MarkdownTable table({"rung", "parameters", "endpoints",
                       "linear theta_C-theta_NC", "permuted theta_C-theta_NC",
                       "permuted control", "FT NC / RC / RI",
                       "permuted theta_C-theta_FT", "Fig. 3 linear",
                       "Conjecture 1", "Fig. 4 large LR", "seconds"});
  for (const LadderRungResult& rung : r.rungs()) {
    const ModelResult* ft =
        rung.fig4().finetuned_size() > 0 ? &rung.fig4().finetuned(0) : nullptr;
    std::string ft_cell = "n/a";
    if (ft != nullptr) {
      const Counterfactuals a = AccuraciesOf(ft->metrics());
      ft_cell = absl::StrFormat("%.1f / %.1f / %.1f", a.nc, a.rc, a.ri);
    }
    table.AddRow(
        {RungLabel(rung.width(), rung.epochs()), FormatCount(rung.parameters()),
         Mark(rung, kLadderEndpointsClaim),
         BarrierCell(TrC(FindRungPath(rung, spec, RungPair::kMain, kLinear))),
         BarrierCell(
             TrC(FindRungPath(rung, spec, RungPair::kMain, kLinearPermuted))),
         BarrierCell(TrC(
             FindRungPath(rung, spec, RungPair::kControl, kLinearPermuted))),
         ft_cell,
         BarrierCell(TrC(
             FindRungPath(rung, spec, RungPair::kFinetune, kLinearPermuted))),
         Mark(rung, kLadderLinearClaim), Mark(rung, kLadderConjectureClaim),
         Mark(rung, kLadderLargeLrClaim),
         absl::StrFormat("%.0f", rung.seconds())});
  }
  md += table.Render();

  md +=
      "\n## Endpoints\n\nAccuracy (%) with their own BatchNorm "
      "statistics.\n\n";
  std::vector<std::string> header = {"rung", "model"};
  for (const std::string& s : EvalSetNames()) header.push_back(s);
  MarkdownTable endpoints(header);
  for (const LadderRungResult& rung : r.rungs()) {
    std::vector<const ModelResult*> models;
    for (const ModelResult& m : rung.fig3().endpoints()) models.push_back(&m);
    for (const ModelResult& m : rung.fig4().finetuned()) models.push_back(&m);
    for (const ModelResult* m : models) {
      const std::vector<SetMetrics> metrics(m->metrics().begin(),
                                            m->metrics().end());
      std::vector<std::string> row = {
          RungLabel(rung.width(), rung.epochs()),
          m->method().empty() ? m->name() : m->method()};
      for (const std::string& s : EvalSetNames()) {
        row.push_back(Fixed(AccuracyOf(metrics, s)));
      }
      endpoints.AddRow(row);
    }
  }
  md += endpoints.Render();

  md +=
      "\n## Barriers on every set\n\nLoss barrier (nats) and accuracy dip "
      "(points) per evaluation set.\n\n";
  std::vector<std::string> label_store;
  std::vector<const PathResult*> path_store;
  for (const LadderRungResult& rung : r.rungs()) {
    const std::string label = RungLabel(rung.width(), rung.epochs());
    for (const PathResult& p : rung.fig3().paths()) {
      label_store.push_back(absl::StrFormat(
          "%s, %s, %s", label,
          p.pair() == kMainPair ? "theta_C-theta_NC" : "control", p.path()));
      path_store.push_back(&p);
    }
    for (const PathResult& p : rung.fig4().paths()) {
      label_store.push_back(
          absl::StrFormat("%s, theta_C-theta_FT, %s", label, p.path()));
      path_store.push_back(&p);
    }
  }
  std::vector<LabelledPath> labelled;
  for (size_t i = 0; i < path_store.size(); ++i) {
    labelled.push_back({label_store[i], path_store[i]});
  }
  md += BarrierTable(labelled, EvalSetNames());

  md += "\n## Every verdict\n\n";
  for (const LadderRungResult& rung : r.rungs()) {
    absl::StrAppendFormat(&md, "### %s\n\n",
                          RungLabel(rung.width(), rung.epochs()));
    md += VerdictMarkdown(
        std::vector<Verdict>(rung.verdicts().begin(), rung.verdicts().end()));
    md += "\n";
  }
  return md;
}

absl::Status RenderLadderFigure(const std::string& out_dir,
                                const LadderResults& r, const Spec& spec) {
  Figure figure;
  figure.title =
      "Scale ladder: loss barrier on trC (nats) vs width, per training length";
  figure.columns = 3;
  Panel permuted{"after permutation", "log2 width", "B(trC), nats", {}};
  Panel plain{"linear, no permutation", "log2 width", "B(trC), nats", {}};
  Panel finetune{"theta_C-theta_FT (large LR), after permutation",
                 "log2 width",
                 "B(trC), nats",
                 {}};
  std::map<int, std::vector<const LadderRungResult*>> by_epochs;
  for (const LadderRungResult& rung : r.rungs()) {
    by_epochs[rung.epochs()].push_back(&rung);
  }
  for (const auto& [epochs, rungs] : by_epochs) {
    const std::string e = absl::StrFormat("%d ep", epochs);
    Series main_perm{"theta_C-theta_NC, " + e, {}, {}};
    Series control_perm{"control theta_NC-theta_NC', " + e, {}, {}};
    Series main_plain = main_perm, control_plain = control_perm;
    Series ft{"theta_C-theta_FT, " + e, {}, {}};
    for (const LadderRungResult* rung : rungs) {
      const double x = std::log2(rung->width());
      auto add = [&](Series* s, RungPair pair, const char* kind) {
        s->x.push_back(x);
        s->y.push_back(
            TrC(FindRungPath(*rung, spec, pair, kind)).loss_barrier());
      };
      add(&main_perm, RungPair::kMain, kLinearPermuted);
      add(&control_perm, RungPair::kControl, kLinearPermuted);
      add(&main_plain, RungPair::kMain, kLinear);
      add(&control_plain, RungPair::kControl, kLinear);
      add(&ft, RungPair::kFinetune, kLinearPermuted);
    }
    permuted.series.push_back(main_perm);
    permuted.series.push_back(control_perm);
    plain.series.push_back(main_plain);
    plain.series.push_back(control_plain);
    finetune.series.push_back(ft);
  }
  // From 0: the question is how close to 0 each barrier comes.
  for (Panel* panel : {&permuted, &plain, &finetune}) panel->y_min = 0.0;
  figure.panels = {permuted, plain, finetune};
  return RenderFigure(absl::StrCat(out_dir, "/ladder"), figure);
}

}  // namespace mmc

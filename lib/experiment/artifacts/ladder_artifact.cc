// Implementation of lib/experiment/artifacts/ladder_artifact.h.
#include "lib/experiment/artifacts/ladder_artifact.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/experiment/artifacts/ladder_report.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/ladder.h"
#include "lib/experiment/plan.h"
#include "lib/models/model.h"
#include "lib/report/markdown.h"
#include "lib/runs/endpoints.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

// Eval sizes: 0 means every image.
std::string AllIfZero(int64_t n) {
  return n == 0 ? std::string("all") : absl::StrCat(n);
}

class Ladder : public Artifact {
 public:
  std::string name() const override { return "ladder"; }
  std::string title() const override { return "Scale ladder"; }
  bool in_paper() const override { return false; }

  std::string Plan(const Spec& spec, const Model& model) const override {
    if (absl::Status s = ValidateLadder(spec); !s.ok()) {
      return absl::StrCat("The spec's ladder cannot run: ", s.message(), "\n");
    }
    const DatasetFacts facts = FactsOf(spec.dataset().kind());
    const int64_t n = PlannedTrainSamples(spec.dataset());
    const double c = spec.ladder().cue_proportion();
    const int64_t seed = spec.seeds(0);
    const int64_t other = spec.seeds_size() > 1 ? spec.seeds(1) : seed + 1;
    std::vector<PlannedRun> runs;
    std::vector<std::string> models;
    for (const LadderRung& rung : SortedRungs(spec)) {
      const Spec rs = RungSpec(spec, rung);
      absl::StatusOr<std::unique_ptr<Model>> rung_model =
          Model::Create(rs.model(), facts.channels, facts.classes);
      if (!rung_model.ok()) {
        return absl::StrCat("rung ", RungLabel(rung.width(), rung.epochs()),
                            ": ", rung_model.status().message(), "\n");
      }
      const double flops =
          (*rung_model)->ForwardFlops(facts.height, facts.width);
      const std::string label = RungLabel(rung.width(), rung.epochs());
      models.push_back(
          absl::StrFormat("%s: %s", label, (*rung_model)->Describe()));
      for (const auto& [cue, s] : std::vector<std::pair<double, int64_t>>{
               {0.0, seed}, {c, seed}, {0.0, other}}) {
        runs.push_back({absl::StrFormat("%s %s", label, EndpointName(cue, s)),
                        rs.train(), n, flops});
      }
      TrainSpec ft = rs.finetune().fig4();
      ft.set_lr(spec.ladder().finetune_lr());
      runs.push_back(
          {absl::StrFormat("%s FT %s", label, LrLabel(ft.lr())), ft, n, flops});
    }
    // The header shows the ladder's one cue proportion and the model of the
    // first rung; every rung's model is listed below the table.
    Spec shown = spec;
    shown.clear_cue_proportions();
    shown.add_cue_proportions(c);
    std::string plan =
        RenderPlan(shown, absl::StrCat(models.front(), " (first rung)"),
                   runs.front().forward_flops, runs);
    plan += "  rungs (width x epochs), sorted:\n";
    for (const std::string& m : models) absl::StrAppend(&plan, "    ", m, "\n");
    absl::StrAppendFormat(
        &plan,
        "  paths per rung: 6 (linear and permuted linear for theta_C-theta_NC, "
        "the control theta_NC-theta_NC' and theta_C-theta_FT at lr %g), each "
        "at %d points (BatchNorm reset on %s images, then %s test images x 4 "
        "sets and %s training images x 2 views)\n",
        spec.ladder().finetune_lr(), spec.paths().num_points(),
        AllIfZero(spec.eval().bn_reset_size()),
        AllIfZero(spec.eval().test_size()),
        AllIfZero(spec.eval().train_view_size()));
    return plan;
  }

  std::vector<WorkUnit> Units(const Spec& spec) const override {
    std::vector<WorkUnit> units;
    for (const LadderRung& rung : SortedRungs(spec)) {
      WorkUnit u{
          name(),
          absl::StrCat("ladder ", RungLabel(rung.width(), rung.epochs())),
          spec};
      u.spec.mutable_ladder()->clear_rungs();
      *u.spec.mutable_ladder()->add_rungs() = rung;
      units.push_back(u);
    }
    return units;
  }

  absl::Status RunUnit(const ExperimentContext& context) const override {
    return RunLadder(context).status();
  }

  absl::StatusOr<ArtifactSummary> Run(const ArtifactEnv& env) const override {
    const auto start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(LadderResults results, RunLadder(env.context));
    *results.mutable_info() = env.info(start);
    const Spec& spec = *env.context.spec;
    RETURN_IF_ERROR(
        WriteReport(env.out_dir, name(), LadderReport(spec, results), results));
    ArtifactSummary summary = SummaryOf(*this, results.info());
    summary.headline = absl::StrJoin(results.conclusions(), " ");
    if (spec.report().plots()) {
      if (absl::Status s = RenderLadderFigure(env.out_dir, results, spec);
          !s.ok()) {
        std::cerr << "ladder: figure not rendered: " << s << "\n";
      } else {
        summary.plots.push_back({"ladder", "ladder.png"});
      }
    }
    return summary;
  }
};

}  // namespace

const Artifact& LadderArtifact() {
  static const Ladder artifact;
  return artifact;
}

}  // namespace mmc

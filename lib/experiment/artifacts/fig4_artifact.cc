// Implementation of lib/experiment/artifacts/fig4_artifact.h.
#include "lib/experiment/artifacts/fig4_artifact.h"

#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/experiment/artifacts/fig4_report.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/plan.h"
#include "lib/report/markdown.h"
#include "lib/runs/endpoints.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

// What RunFig4 trains: theta_C and one fine-tuning per learning rate, per
// cue proportion.
std::vector<PlannedRun> Fig4Runs(const Spec& spec) {
  const int64_t n = PlannedTrainSamples(spec.dataset());
  const int64_t seed = spec.seeds_size() > 0 ? spec.seeds(0) : 0;
  std::vector<PlannedRun> runs;
  for (double c : spec.cue_proportions()) {
    runs.push_back({EndpointName(c, seed), spec.train(), n});
    for (double lr : spec.finetune().fig4_lrs()) {
      TrainSpec ft = spec.finetune().fig4();
      ft.set_lr(lr);
      runs.push_back(
          {absl::StrFormat("theta_FT c=%g %s", c, LrLabel(lr)), ft, n});
    }
  }
  return runs;
}

class Fig4 : public Artifact {
 public:
  std::string name() const override { return "fig4"; }
  std::string title() const override { return "Fig. 4"; }
  bool in_paper() const override { return true; }

  std::string Plan(const Spec& spec, const Model& model) const override {
    const DatasetFacts facts = FactsOf(spec.dataset().kind());
    return RenderPlan(spec, model.Describe(),
                      model.ForwardFlops(facts.height, facts.width),
                      Fig4Runs(spec));
  }

  std::vector<WorkUnit> Units(const Spec& spec) const override {
    std::vector<WorkUnit> units;
    for (double c : spec.cue_proportions()) {
      WorkUnit u{name(), absl::StrFormat("fig4 c=%g", c), spec};
      u.spec.clear_cue_proportions();
      u.spec.add_cue_proportions(c);
      units.push_back(u);
    }
    return units;
  }

  absl::Status RunUnit(const ExperimentContext& context) const override {
    return RunFig4(context).status();
  }

  absl::StatusOr<ArtifactSummary> Run(const ArtifactEnv& env) const override {
    const auto start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(Fig4Results results, RunFig4(env.context));
    *results.mutable_info() = env.info(start);
    const Spec& spec = *env.context.spec;
    RETURN_IF_ERROR(WriteReport(
        env.out_dir, name(),
        Fig4Report(spec, env.context.model->Describe(), results, env.out_dir),
        results));
    ArtifactSummary summary = SummariseVerdicts(*this, results);
    for (double lr : spec.finetune().fig4_lrs()) {
      summary.plots.push_back({absl::StrFormat("lr=%g", lr),
                               absl::StrCat(Fig4PlotStem(lr), ".png")});
    }
    return summary;
  }
};

}  // namespace

const Artifact& Fig4Artifact() {
  static const Fig4 artifact;
  return artifact;
}

}  // namespace mmc

// Implementation of lib/experiment/artifacts/fig3_artifact.h.
#include "lib/experiment/artifacts/fig3_artifact.h"

#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/experiment/artifacts/fig3_report.h"
#include "lib/experiment/fig3.h"
#include "lib/experiment/plan.h"
#include "lib/paths/kinds/registry.h"
#include "lib/report/markdown.h"
#include "lib/runs/endpoints.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

// What RunFig3 trains: the endpoints, and per pair what each path kind
// trains (the quadratic kinds: a midpoint).
std::vector<PlannedRun> Fig3Runs(const Spec& spec) {
  const int64_t n = PlannedTrainSamples(spec.dataset());
  const int64_t seed = spec.seeds_size() > 0 ? spec.seeds(0) : 0;
  std::vector<PlannedRun> runs = {{EndpointName(0.0, seed), spec.train(), n}};
  auto add_path_runs = [&](const std::string& suffix) {
    for (const PathKind& kind : PathKinds()) {
      if (kind.trained_run == nullptr) continue;
      runs.push_back(
          {absl::StrCat(kind.trained_run, suffix), kind.trained_with(spec), n});
    }
  };
  for (double c : spec.cue_proportions()) {
    runs.push_back({EndpointName(c, seed), spec.train(), n});
    add_path_runs(absl::StrFormat(" c=%g", c));
  }
  if (spec.paths().control_pair()) {
    const int64_t other = spec.seeds_size() > 1 ? spec.seeds(1) : seed + 1;
    runs.push_back({EndpointName(0.0, other), spec.train(), n});
    add_path_runs(" (control)");
  }
  return runs;
}

class Fig3 : public Artifact {
 public:
  std::string name() const override { return "fig3"; }
  std::string title() const override { return "Fig. 3"; }
  bool in_paper() const override { return true; }

  std::string Plan(const Spec& spec, const Model& model) const override {
    const DatasetFacts facts = FactsOf(spec.dataset().kind());
    std::string plan = RenderPlan(spec, model.Describe(),
                                  model.ForwardFlops(facts.height, facts.width),
                                  Fig3Runs(spec));
    const int paths = Fig3PathCount(spec);
    absl::StrAppendFormat(
        &plan,
        "  paths: %d, each evaluated at %d points (BatchNorm reset on %d "
        "images, then %d test images x 4 sets and %d training images x 2 "
        "views)\n",
        paths, spec.paths().num_points(), spec.eval().bn_reset_size(),
        spec.eval().test_size(), spec.eval().train_view_size());
    return plan;
  }

  std::vector<WorkUnit> Units(const Spec& spec) const override {
    std::vector<WorkUnit> units;
    for (int i = 0; i < spec.cue_proportions_size(); ++i) {
      WorkUnit u{name(), absl::StrFormat("fig3 c=%g", spec.cue_proportions(i)),
                 spec};
      u.spec.clear_cue_proportions();
      u.spec.add_cue_proportions(spec.cue_proportions(i));
      u.spec.mutable_paths()->set_control_pair(i == 0 &&
                                               spec.paths().control_pair());
      units.push_back(u);
    }
    return units;
  }

  absl::Status RunUnit(const ExperimentContext& context) const override {
    return RunFig3(context).status();
  }

  absl::StatusOr<ArtifactSummary> Run(const ArtifactEnv& env) const override {
    const auto start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(Fig3Results results, RunFig3(env.context));
    *results.mutable_info() = env.info(start);
    const Spec& spec = *env.context.spec;
    RETURN_IF_ERROR(WriteReport(
        env.out_dir, name(),
        Fig3Report(spec, env.context.model->Describe(), results, env.out_dir),
        results));
    ArtifactSummary summary = SummariseVerdicts(*this, results);
    for (const PathKind& kind : PathKinds()) {
      summary.plots.push_back(
          {kind.name, absl::StrCat(Fig3PlotStem(kind.name), ".png")});
    }
    return summary;
  }
};

}  // namespace

const Artifact& Fig3Artifact() {
  static const Fig3 artifact;
  return artifact;
}

}  // namespace mmc

// Implementation of lib/experiment/artifacts/table3_artifact.h.
#include "lib/experiment/artifacts/table3_artifact.h"

#include <chrono>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/data/cue_dataset.h"
#include "lib/experiment/artifacts/table3_report.h"
#include "lib/experiment/plan.h"
#include "lib/experiment/table3.h"
#include "lib/finetune/finetune.h"
#include "lib/report/markdown.h"
#include "lib/runs/endpoints.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

// What RunTable3 trains per (cue proportion, seed): theta_C, then each
// method's stages (MethodInfo::stages) on its share of the clean hold-out.
std::vector<PlannedRun> Table3Runs(const Spec& spec) {
  const DatasetFacts facts = FactsOf(spec.dataset().kind());
  const int64_t n = PlannedTrainSamples(spec.dataset());
  const int64_t clean =
      static_cast<int64_t>(facts.classes) * spec.dataset().holdout_per_class();
  std::vector<PlannedRun> runs;
  for (double c : Table3CueProportions(spec)) {
    for (int64_t seed : spec.seeds()) {
      const std::string at = absl::StrFormat("c=%g seed=%d", c, seed);
      runs.push_back({EndpointName(c, seed), spec.train(), n});
      for (const MethodInfo& method : Methods()) {
        for (const MethodStage& stage : method.stages(spec.finetune())) {
          runs.push_back({absl::StrCat(stage.name, " ", at), stage.train,
                          static_cast<int64_t>(
                              std::llround(clean * stage.holdout_fraction))});
        }
      }
    }
  }
  return runs;
}

class Table3 : public Artifact {
 public:
  std::string name() const override { return "table3"; }
  std::string title() const override { return "Table 3"; }
  bool in_paper() const override { return true; }

  std::string Plan(const Spec& spec, const Model& model) const override {
    const DatasetFacts facts = FactsOf(spec.dataset().kind());
    return RenderPlan(spec, model.Describe(),
                      model.ForwardFlops(facts.height, facts.width),
                      Table3Runs(spec)) +
           "  (CBFT steps also run theta(t) on a cue batch: about 3x the "
           "cost per image shown; LLR trains only the head)\n";
  }

  std::vector<WorkUnit> Units(const Spec& spec) const override {
    std::vector<WorkUnit> units;
    for (double c : Table3CueProportions(spec)) {
      for (int64_t seed : spec.seeds()) {
        WorkUnit u{name(), absl::StrFormat("table3 c=%g seed=%d", c, seed),
                   spec};
        u.spec.clear_cue_proportions();
        u.spec.add_cue_proportions(c);
        u.spec.mutable_finetune()->clear_table3_cue_proportions();
        u.spec.clear_seeds();
        u.spec.add_seeds(seed);
        units.push_back(u);
      }
    }
    return units;
  }

  absl::Status RunUnit(const ExperimentContext& context) const override {
    return RunTable3(context).status();
  }

  absl::StatusOr<ArtifactSummary> Run(const ArtifactEnv& env) const override {
    const auto start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(Table3Results results, RunTable3(env.context));
    *results.mutable_info() = env.info(start);
    const Table3DataFacts facts = {
        env.context.model->Describe(),
        env.context.dataset->Size(View::kHoldout),
        static_cast<int>(env.context.dataset->num_classes())};
    RETURN_IF_ERROR(WriteReport(env.out_dir, name(),
                                Table3Report(*env.context.spec, facts, results),
                                results));
    return SummariseVerdicts(*this, results);
  }
};

}  // namespace

const Artifact& Table3Artifact() {
  static const Table3 artifact;
  return artifact;
}

}  // namespace mmc

// `bazel run -c opt //tasks:train -- [--spec=S] [--data_dir=D] [--out_dir=O]
//   [--cache_dir=C] [--device=cpu|cuda] [--dry_run]`
//
// Trains (or loads from the run cache) theta_NC and theta_C for every cue
// proportion and seed of the spec, evaluates each on NC / C / RC / RI and the
// training views trC / trNC, and writes reports/train.md with a train.json
// twin.
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/data/cue_dataset.h"
#include "lib/experiment/eval_sets.h"
#include "lib/experiment/plan.h"
#include "lib/models/model.h"
#include "lib/report/markdown.h"
#include "lib/report/provenance.h"
#include "lib/runs/endpoints.h"
#include "lib/runs/run_cache.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"
#include "tasks/experiment_task.h"
#include "tasks/task_common.h"

namespace mmc {
namespace {

struct Endpoint {
  double cue_proportion;
  int64_t seed;
};

std::vector<Endpoint> Endpoints(const Spec& spec) {
  std::vector<Endpoint> out;
  for (int64_t seed : spec.seeds()) {
    out.push_back({0.0, seed});
    for (double c : spec.cue_proportions()) out.push_back({c, seed});
  }
  return out;
}

absl::Status Run() {
  ASSIGN_OR_RETURN(std::unique_ptr<ExperimentTask> task,
                   SetUpExperimentTask("train"));
  const Spec& spec = task->spec;
  const Model* model = task->model.get();
  const DatasetFacts facts = FactsOf(spec.dataset().kind());
  if (task->dry_run()) {
    std::vector<PlannedRun> runs;
    for (const Endpoint& e : Endpoints(spec)) {
      runs.push_back({EndpointName(e.cue_proportion, e.seed), spec.train(),
                      PlannedTrainSamples(spec.dataset())});
    }
    std::cout << RenderPlan(spec, model->Describe(),
                            model->ForwardFlops(facts.height, facts.width),
                            runs);
    return absl::OkStatus();
  }
  const std::string& out_dir = task->out_dir;

  TrainResults results;
  for (const Endpoint& e : Endpoints(spec)) {
    ASSIGN_OR_RETURN(
        TrainedModel trained,
        TrainEndpoint(spec, *model, *task->dataset, e.cue_proportion, e.seed,
                      task->cache.get(), task->device));
    ModelResult* r = results.add_models();
    r->set_name(e.cue_proportion > 0 ? "theta_C" : "theta_NC");
    r->set_cue_proportion(e.cue_proportion);
    r->set_seed(e.seed);
    r->set_cache_key(trained.hash);
    r->set_from_cache(trained.from_cache);
    r->set_train_seconds(trained.train_seconds);
    for (const SetMetrics& m :
         task->sets->EvaluateAll(*model, trained.params)) {
      *r->add_metrics() = m;
    }
    std::cerr << absl::StrFormat(
        "%s: NC %.1f C %.1f RC %.1f RI %.1f (%s)\n",
        EndpointName(e.cue_proportion, e.seed),
        AccuracyOf({r->metrics().begin(), r->metrics().end()}, "NC"),
        AccuracyOf({r->metrics().begin(), r->metrics().end()}, "C"),
        AccuracyOf({r->metrics().begin(), r->metrics().end()}, "RC"),
        AccuracyOf({r->metrics().begin(), r->metrics().end()}, "RI"),
        trained.from_cache ? "cached" : "trained");
  }
  *results.mutable_info() = task->Info();

  std::string md = absl::StrFormat("# Endpoints: %s\n\n", spec.name());
  md += ProvenanceMarkdown(results.info());
  absl::StrAppendFormat(&md, "- model: %s; training: %s\n\n", model->Describe(),
                        DescribeTraining(spec.train()));
  md +=
      "Accuracy (%) on the counterfactual test sets and the training views; "
      "mean cross-entropy on NC and trC in nats.\n\n";
  std::vector<std::string> header = {"model", "c", "seed"};
  for (const std::string& s : EvalSetNames()) header.push_back(s);
  header.insert(header.end(), {"loss NC", "loss trC", "train s", "cache"});
  MarkdownTable table(header);
  for (const ModelResult& r : results.models()) {
    std::vector<SetMetrics> metrics(r.metrics().begin(), r.metrics().end());
    std::vector<std::string> row = {r.name(), Fixed(r.cue_proportion(), 1),
                                    absl::StrCat(r.seed())};
    for (const std::string& s : EvalSetNames())
      row.push_back(Fixed(AccuracyOf(metrics, s)));
    row.push_back(Fixed(LossOf(metrics, "NC"), 3));
    row.push_back(Fixed(LossOf(metrics, "trC"), 3));
    row.push_back(Fixed(r.train_seconds(), 1));
    row.push_back(r.from_cache() ? "hit" : "trained");
    table.AddRow(row);
  }
  md += table.Render();
  md +=
      "\nExpected at the quick tier (QUICK_TIER.md, PyTorch prototype, seed 0, "
      "NC / C / RC / RI): theta_NC 91.0 / 90.8 / 90.6 / 1.0; theta_C 80% 86.8 "
      "/ "
      "100.0 / 37.3 / 61.2; 60% 88.9 / 99.8 / 51.4 / 43.8; 90% 84.8 / 100.0 / "
      "32.3 / 67.1.\n";
  RETURN_IF_ERROR(WriteReport(out_dir, "train", md, results));
  std::cout << "wrote " << JoinPath(out_dir, "train.md") << " and train.json\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmc

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return mmc::RunTask("train", mmc::Run);
}

// The interface every paper artifact (a figure or a table) implements, the
// google/benchmark way: one implementation per artifact in this folder, one
// registry (registry.h) that the task binaries dispatch through.
//
// An artifact has a name (its binary //tasks:<name> and its report
// <name>.md / <name>.json), the artifacts whose results it derives from, a
// --dry_run plan, independent training work units (--jobs, --shard), and a
// run: its pipeline (lib/experiment) followed by its report (the *_report
// files here: Markdown, JSON twin, plots). Its claims (verdicts with the
// tier's thresholds) are computed by its pipeline and summarised here.
#ifndef LIB_EXPERIMENT_ARTIFACTS_ARTIFACT_H_
#define LIB_EXPERIMENT_ARTIFACTS_ARTIFACT_H_

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/experiment/fig3.h"
#include "lib/spec/results.pb.h"
#include "lib/spec/spec.pb.h"
#include "lib/util/work_meter.h"

namespace mmc {

// What an artifact runs against: the experiment context (spec, model, data,
// evaluation sets, run cache, device), where its reports go, and the
// provenance of a run that started at a given time (task, spec path,
// commit, machine, device, wall time since then).
struct ArtifactEnv {
  ExperimentContext context;
  std::string out_dir;
  std::function<RunInfo(std::chrono::steady_clock::time_point since)> info;
};

// One line of reports/index.md: what the artifact found and what it cost.
struct ArtifactSummary {
  std::string name;      // "fig3"
  std::string title;     // "Fig. 3"
  std::string report;    // "fig3.md"
  int asserted = 0;      // Asserted verdicts (or measured marks) and how many
  int passed = 0;        // hold.
  double seconds = 0.0;  // Wall time of this artifact.
  std::string headline;  // One line for the index.
  // Every claim with its verdict, for the index.
  std::vector<Verdict> verdicts;
  // Figures the index links: {label, file} ("lr=0.001", "fig4_lr_0.001.png").
  std::vector<std::pair<std::string, std::string>> plots;
  // Images trained on and evaluated along paths, and the time in each
  // (filled by //tasks:paper from lib/util/work_meter.h around the artifact).
  WorkTally work;
};

// A unit of an artifact's training: its pipeline on a narrowed spec (one
// cue proportion, one seed, one rung), run with evaluate_paths = false.
// Units write only into the shared run cache; a final run without --shard
// finds every model there and renders the reports.
struct WorkUnit {
  std::string artifact;  // fig3, fig4, table3, ladder
  std::string label;     // "fig3 c=0.8"
  Spec spec;             // The narrowed spec.
};

class Artifact {
 public:
  virtual ~Artifact() = default;

  // "fig3": the binary (//tasks:fig3) and the report (fig3.md, fig3.json).
  virtual std::string name() const = 0;
  // "Fig. 3": the heading of its claims in the index.
  virtual std::string title() const = 0;
  // Whether //tasks:paper plans, trains, runs and indexes it (the ladder is
  // a separate study). Pure: a new artifact decides.
  virtual bool in_paper() const = 0;
  // Artifacts whose results it reads when present (Table 2: fig3, fig4,
  // table3); the registry lists those before it.
  virtual std::vector<std::string> inputs() const { return {}; }

  // The --dry_run text: the runs it trains (with a cost estimate) and what
  // it evaluates. Needs no data on disk.
  virtual std::string Plan(const Spec& spec, const Model& model) const = 0;

  // Its independent training units; none when it trains nothing itself.
  virtual std::vector<WorkUnit> Units(const Spec& spec) const { return {}; }
  // Trains one unit (`context.spec` is the unit's narrowed spec and
  // `context.evaluate_paths` is false).
  virtual absl::Status RunUnit(const ExperimentContext& context) const;

  // The pipeline, then the report in env.out_dir (<name>.md, <name>.json,
  // plots).
  virtual absl::StatusOr<ArtifactSummary> Run(const ArtifactEnv& env) const = 0;
};

// The summary every artifact starts from: its name, title, report
// (<name>.md) and the wall time in `info`.
ArtifactSummary SummaryOf(const Artifact& artifact, const RunInfo& info);

// The summary of a results proto with `verdicts` and `info`: counts of the
// asserted verdicts and how many passed, wall time, "N of M asserted claims
// hold".
template <typename Results>
ArtifactSummary SummariseVerdicts(const Artifact& artifact,
                                  const Results& results) {
  ArtifactSummary s = SummaryOf(artifact, results.info());
  for (const Verdict& v : results.verdicts()) {
    s.verdicts.push_back(v);
    if (!v.asserted()) continue;
    ++s.asserted;
    s.passed += v.passed();
  }
  s.headline = std::to_string(s.passed) + " of " + std::to_string(s.asserted) +
               " asserted claims hold";
  return s;
}

// The index's throughput columns of `s`: wall time, images (training +
// paths), img/s over the wall time, and the share of the wall time spent
// training, evaluating paths and on the rest ("24 s", "1.2M", ...).
std::vector<std::string> ThroughputCells(const ArtifactSummary& s);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_ARTIFACTS_ARTIFACT_H_

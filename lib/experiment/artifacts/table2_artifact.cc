// Implementation of lib/experiment/artifacts/table2_artifact.h.
#include "lib/experiment/artifacts/table2_artifact.h"

#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/experiment/artifacts/table2_report.h"
#include "lib/experiment/fig3.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/golden.h"
#include "lib/experiment/table2.h"
#include "lib/experiment/table3.h"
#include "lib/report/markdown.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

// <out_dir>/<name>.json into `results` if it exists and was made from this
// spec (same name and tier).
template <typename Results>
bool LoadPrevious(const std::string& out_dir, const Spec& spec,
                  const std::string& name, Results* results) {
  const std::string path = JoinPath(out_dir, name + ".json");
  if (!FileExists(path) || !ReadGolden(path, results).ok()) return false;
  return results->info().spec_name() == spec.name() &&
         results->info().tier() == spec.tier();
}

// An input's results: its .json when made from this spec, else its
// pipeline on the cached models; `sources` says which.
template <typename Results, typename Pipeline>
absl::StatusOr<Results> Input(const ArtifactEnv& env, const std::string& name,
                              const std::string& title, Pipeline pipeline,
                              std::vector<std::string>* sources) {
  Results results;
  if (LoadPrevious(env.out_dir, *env.context.spec, name, &results)) {
    sources->push_back(absl::StrCat(name, ".json"));
    return results;
  }
  ASSIGN_OR_RETURN(results, pipeline(env.context));
  sources->push_back(absl::StrCat("the ", title, " pipeline (cached models)"));
  return results;
}

class Table2 : public Artifact {
 public:
  std::string name() const override { return "table2"; }
  std::string title() const override { return "Table 2"; }
  bool in_paper() const override { return true; }
  std::vector<std::string> inputs() const override {
    return {"fig3", "fig4", "table3"};
  }

  std::string Plan(const Spec& spec, const Model& model) const override {
    return "  table2: derived from fig3, fig4 and table3 (their models from "
           "the cache; the linear and permuted paths of every Table 3 "
           "method evaluated, no training)\n";
  }

  absl::StatusOr<ArtifactSummary> Run(const ArtifactEnv& env) const override {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::string> sources;
    ASSIGN_OR_RETURN(
        const Fig3Results fig3,
        Input<Fig3Results>(env, "fig3", "Fig. 3", RunFig3, &sources));
    ASSIGN_OR_RETURN(
        const Fig4Results fig4,
        Input<Fig4Results>(env, "fig4", "Fig. 4", RunFig4, &sources));
    ASSIGN_OR_RETURN(
        const Table3Results table3,
        Input<Table3Results>(env, "table3", "Table 3", RunTable3, &sources));
    const Spec& spec = *env.context.spec;
    ASSIGN_OR_RETURN(Table2Results results,
                     RunTable2(env.context, spec.claims(), fig3, fig4, table3));
    *results.mutable_info() = env.info(start);
    RETURN_IF_ERROR(WriteReport(env.out_dir, name(),
                                Table2Report(spec, results, sources), results));
    ArtifactSummary s = SummaryOf(*this, results.info());
    std::vector<std::string> disagreeing;
    for (const Table2Mark& m : results.marks()) {
      // Marks that agree by construction do not count.
      if (m.measured() == 0 || m.by_construction()) continue;
      ++s.asserted;
      if (MajorityMark(m) == m.paper()) {
        ++s.passed;
      } else {
        disagreeing.push_back(absl::StrFormat(
            "%s / %s: %s", m.similar() ? "similar" : "dissimilar", m.column(),
            absl::StrJoin(m.disagreeing(), ", ")));
      }
    }
    s.headline = absl::StrFormat(
        "%d of %d measured marks agree with the paper's Table 2 (marks that "
        "agree by construction left out)%s; %d pair(s) contradict "
        "Conjecture 1",
        s.passed, s.asserted,
        disagreeing.empty()
            ? ""
            : absl::StrCat("; disagreeing: ", absl::StrJoin(disagreeing, "; ")),
        results.contradictions_size());
    return s;
  }
};

}  // namespace

const Artifact& Table2Artifact() {
  static const Table2 artifact;
  return artifact;
}

}  // namespace mmc

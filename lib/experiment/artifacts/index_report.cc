// Implementation of lib/experiment/artifacts/index_report.h.
#include "lib/experiment/artifacts/index_report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/report/path_report.h"
#include "lib/report/provenance.h"

namespace mmc {

std::string IndexReport(const Spec& spec, const RunInfo& info,
                        const ArtifactSummary* units,
                        const std::vector<ArtifactSummary>& summaries) {
  std::string md =
      absl::StrFormat("# mmc-lens: the whole paper\n\n%s\n", spec.name());
  md += ProvenanceMarkdown(info);
  md += "\n| artifact | report | verdicts |\n|---|---|---|\n";
  for (const ArtifactSummary& s : summaries) {
    absl::StrAppendFormat(&md, "| %s | [%s](%s) | %s |\n", s.name, s.report,
                          s.report, s.headline);
  }
  md +=
      "\n## Where the time went\n\nImages: trained on (SGD steps of models "
      "not found in the cache) plus evaluated along paths (BatchNorm reset "
      "and every set at every point). img/s: all of them over the wall time. "
      "Training and paths: share of the wall time, with their own img/s; "
      "the rest is model evaluations, permutation matching, data and "
      "reports. With --jobs > 1 the first row is the training of every "
      "work unit in parallel child processes (their images and seconds "
      "summed, so shares may exceed 100%), which ran while the artifacts "
      "evaluated their paths here: an artifact's wall time includes its "
      "waits for models a child was still training and for the cores the "
      "children held (counted in the paths' share or the rest, whichever "
      "waited), and the total's is the longer of the two (both started "
      "together).\n\n| artifact | wall time | "
      "images | img/s | training | "
      "paths | rest |\n|---|---|---|---|---|---|---|\n";
  std::vector<ArtifactSummary> rows = summaries;
  if (units != nullptr) rows.insert(rows.begin(), *units);
  ArtifactSummary total;
  total.name = "all artifacts";
  double artifact_seconds = 0.0;
  for (const ArtifactSummary& s : summaries) artifact_seconds += s.seconds;
  for (const ArtifactSummary& s : rows) total.work = total.work + s.work;
  // The children's training ran alongside the artifacts (//tasks:paper).
  total.seconds = units != nullptr ? std::max(units->seconds, artifact_seconds)
                                   : artifact_seconds;
  rows.push_back(total);
  for (const ArtifactSummary& s : rows) {
    md += "| " + s.name;
    for (const std::string& cell : ThroughputCells(s)) md += " | " + cell;
    md += " |\n";
  }
  md += "\n## Every claim\n";
  for (const ArtifactSummary& s : summaries) {
    absl::StrAppendFormat(&md, "\n### %s\n\n", s.title);
    if (s.verdicts.empty()) {
      absl::StrAppendFormat(&md, "See [%s](%s): %s.\n", s.report, s.report,
                            s.headline);
      continue;
    }
    md += VerdictMarkdown(s.verdicts);
    if (!s.plots.empty()) {
      md += "\nPlots:";
      for (const auto& [label, file] : s.plots) {
        absl::StrAppendFormat(&md, " [%s](%s)", label, file);
      }
      md += "\n";
    }
  }
  return md;
}

}  // namespace mmc

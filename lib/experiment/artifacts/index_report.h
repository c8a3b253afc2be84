// The report of the whole paper (reports/index.md, written by
// //tasks:paper): one line per artifact with its headline, where the time
// went (wall time, images, img/s, training vs paths), and every claim with
// its verdict and the artifact's plots.
#ifndef LIB_EXPERIMENT_ARTIFACTS_INDEX_REPORT_H_
#define LIB_EXPERIMENT_ARTIFACTS_INDEX_REPORT_H_

#include <string>
#include <vector>

#include "lib/experiment/artifacts/artifact.h"
#include "lib/spec/results.pb.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// `summaries` in the order the artifacts ran; `units` is the training of
// the work units in parallel child processes (--jobs), which ran alongside
// the artifacts (the total wall time is the longer of the two), or nullptr.
std::string IndexReport(const Spec& spec, const RunInfo& info,
                        const ArtifactSummary* units,
                        const std::vector<ArtifactSummary>& summaries);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_ARTIFACTS_INDEX_REPORT_H_

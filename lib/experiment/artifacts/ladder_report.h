// The report of the scale ladder: ladder.md (at which rung each claim first
// holds, per-rung barriers, endpoints, verdicts) and ladder.{svg,png}
// plotting the barriers against width (dissimilar pair vs control, one line
// per epochs setting). Rendering only, from the results the ladder pipeline
// (lib/experiment/ladder.h) produced.
#ifndef LIB_EXPERIMENT_ARTIFACTS_LADDER_REPORT_H_
#define LIB_EXPERIMENT_ARTIFACTS_LADDER_REPORT_H_

#include <string>

#include "absl/status/status.h"
#include "lib/spec/results.pb.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// The Markdown of ladder.md (the figure is linked, rendered separately).
std::string LadderReport(const Spec& spec, const LadderResults& results);

// Renders <out_dir>/ladder.{svg,png,gp,dat}.
absl::Status RenderLadderFigure(const std::string& out_dir,
                                const LadderResults& results, const Spec& spec);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_ARTIFACTS_LADDER_REPORT_H_

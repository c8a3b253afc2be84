// The report of Fig. 3 (fig3.md and its plots): rendering only, from the
// results the Fig. 3 pipeline (lib/experiment/fig3.h) produced.
#ifndef LIB_EXPERIMENT_ARTIFACTS_FIG3_REPORT_H_
#define LIB_EXPERIMENT_ARTIFACTS_FIG3_REPORT_H_

#include <string>

#include "lib/spec/results.pb.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// The file stem of the Fig. 3 plot of `path` ("fig3_Quadratic_w__Cue").
std::string Fig3PlotStem(const std::string& path);

// The Markdown of fig3.md; renders one figure per path kind into `out_dir`
// (a figure that cannot be rendered is named in the Markdown and on
// stderr, not an error). `model` describes the network ("VGG-13 x0.125").
std::string Fig3Report(const Spec& spec, const std::string& model,
                       const Fig3Results& results, const std::string& out_dir);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_ARTIFACTS_FIG3_REPORT_H_

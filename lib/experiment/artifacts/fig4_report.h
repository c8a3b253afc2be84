// The report of Fig. 4 (fig4.md and one plot per learning rate): rendering
// only, from the results the Fig. 4 pipeline (lib/experiment/fig4.h)
// produced.
#ifndef LIB_EXPERIMENT_ARTIFACTS_FIG4_REPORT_H_
#define LIB_EXPERIMENT_ARTIFACTS_FIG4_REPORT_H_

#include <string>

#include "lib/spec/results.pb.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// The file stem of the Fig. 4 plot of learning rate `lr` ("fig4_lr_0.001").
std::string Fig4PlotStem(double lr);

// The sentence of fig4.md naming the fine-tunings whose permutation matching
// returned the identity (PathResult.note, kIdentityPermutationNote), so
// that their two paths are one; "" when there is none.
std::string IdentityMatchesMarkdown(const Fig4Results& results);

// The Markdown of fig4.md; renders one figure per learning rate into
// `out_dir` (a figure that cannot be rendered is named in the Markdown).
// `model` describes the network.
std::string Fig4Report(const Spec& spec, const std::string& model,
                       const Fig4Results& results, const std::string& out_dir);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_ARTIFACTS_FIG4_REPORT_H_

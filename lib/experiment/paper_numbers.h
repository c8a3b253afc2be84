// The paper's published numbers that our reports put beside the measured
// ones: Table 3 (ResNet-18; C-10, C-100, Dominoes; cue proportions 60, 70,
// 80, 90%; test accuracy % on NC, C, RC, RI), transcribed from the paper.
#ifndef LIB_EXPERIMENT_PAPER_NUMBERS_H_
#define LIB_EXPERIMENT_PAPER_NUMBERS_H_

#include <array>
#include <optional>
#include <string>

#include "lib/spec/spec.pb.h"

namespace mmc {

// NC, C, RC, RI for one method at one cue proportion.
using PaperRow = std::array<double, 4>;

// Table 3's entry for (dataset kind, method name as in the paper's rows:
// "FT_M", "FT_S", "LLR", "LPFT", "CBFT", cue proportion); nullopt where the
// paper has none (other datasets, ablations, other proportions).
// The paper's Table 3 is ResNet-18 only: any other architecture (or a
// ResNet-18 of another width) gets nullopt, so a VGG-13 report never shows
// ResNet-18's numbers as if they were its own.
std::optional<PaperRow> PaperTable3(DatasetSpec::Kind kind,
                                    const ModelSpec& model,
                                    const std::string& method, double c);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_PAPER_NUMBERS_H_

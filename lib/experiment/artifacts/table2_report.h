// The report of Table 2 (table2.md): the definitions with the tier's
// tolerances, the paper's marks beside ours, the pairs that contradict
// Conjecture 1, and every pair. Rendering only, from the results the
// Table 2 pipeline (lib/experiment/table2.h) produced.
#ifndef LIB_EXPERIMENT_ARTIFACTS_TABLE2_REPORT_H_
#define LIB_EXPERIMENT_ARTIFACTS_TABLE2_REPORT_H_

#include <string>
#include <vector>

#include "lib/spec/results.pb.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// `sources` names where each input came from ("fig3.json", "the Fig. 3
// pipeline (cached models)").
std::string Table2Report(const Spec& spec, const Table2Results& results,
                         const std::vector<std::string>& sources);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_ARTIFACTS_TABLE2_REPORT_H_

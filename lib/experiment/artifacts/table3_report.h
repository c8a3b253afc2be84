// The report of Table 3 (table3.md): the methods' setup, the verdicts, our
// table ranked by the paper's rule (best of the five methods per column in
// bold, ablations below and unranked), the paper's numbers beside ours
// where it has them, and each method's details. Rendering only, from the
// results the Table 3 pipeline (lib/experiment/table3.h) produced.
#ifndef LIB_EXPERIMENT_ARTIFACTS_TABLE3_REPORT_H_
#define LIB_EXPERIMENT_ARTIFACTS_TABLE3_REPORT_H_

#include <cstdint>
#include <string>

#include "lib/spec/results.pb.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// What the report says about the data the methods were given.
struct Table3DataFacts {
  std::string model;         // The network ("VGG-13 x0.125").
  int64_t holdout_size = 0;  // Clean hold-out samples (D_NC).
  int classes = 0;           // K of CBFT's invariance term.
};

std::string Table3Report(const Spec& spec, const Table3DataFacts& facts,
                         const Table3Results& results);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_ARTIFACTS_TABLE3_REPORT_H_

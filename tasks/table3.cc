// `bazel run -c opt //tasks:table3 -- [--spec=S] [--data_dir=D] [--out_dir=O]
//   [--cache_dir=C] [--device=cpu|cuda] [--dry_run]`
//
// The paper's Table 3: FT_M, FT_S, LLR, LPFT, CBFT (and CBFT's ablations)
// from the same theta_C, on the 2,500 clean hold-out samples; test accuracy
// on NC / C / RC / RI per cue proportion, mean +- std over seeds, in the
// paper's layout with the paper's numbers beside ours where it has them.
// Writes reports/table3.md and table3.json.
#include "tasks/dispatch.h"

int main(int argc, char** argv) {
  return mmc::ArtifactMain(argc, argv, "table3");
}

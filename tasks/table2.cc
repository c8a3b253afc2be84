// `bazel run -c opt //tasks:table2 -- [--spec=S] [--out_dir=O] [--cache_dir=C]`
//
// The paper's Table 2, derived from the Fig. 3, Fig. 4 and Table 3 results
// (their .json in --out_dir, else their pipelines on cached models).
// Writes reports/table2.md and table2.json.
#include "tasks/dispatch.h"

int main(int argc, char** argv) {
  return mmc::ArtifactMain(argc, argv, "table2");
}

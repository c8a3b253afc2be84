// `bazel run -c opt //tasks:fig4 -- [--spec=S] [--data_dir=D] [--out_dir=O]
//   [--cache_dir=C] [--device=cpu|cuda] [--dry_run]`
//
// The paper's Fig. 4 / App. E: theta_C fine-tuned on data without cue at
// several learning rates; the linear path theta_C -> theta_FT (after
// permutation matching) on every evaluation set. Writes reports/fig4.md,
// fig4.json and one figure per learning rate (SVG + PNG).
#include "tasks/dispatch.h"

int main(int argc, char** argv) {
  return mmc::ArtifactMain(argc, argv, "fig4");
}

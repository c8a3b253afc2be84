// `bazel run -c opt //tasks:fig3 -- [--spec=S] [--data_dir=D] [--out_dir=O]
//   [--cache_dir=C] [--device=cpu|cuda] [--dry_run]`
//
// The paper's Fig. 3 / App. D: theta_C and theta_NC per cue proportion,
// connected by linear, permuted-linear and quadratic (w/ and w/o cue) paths,
// evaluated on NC / C / RC / RI and the training views; plus a
// same-mechanism control pair. Writes reports/fig3.md, fig3.json and one
// figure per path (SVG + PNG).
#include "tasks/dispatch.h"

int main(int argc, char** argv) {
  return mmc::ArtifactMain(argc, argv, "fig3");
}

// Fig. 4 / App. E as an artifact: theta_C fine-tuned without the cue at
// each learning rate of the spec, and the linear paths (plain and after
// permutation) from theta_C to each theta_FT. Report: fig4.md, fig4.json
// and one figure per learning rate. Work units: one per cue proportion.
#ifndef LIB_EXPERIMENT_ARTIFACTS_FIG4_ARTIFACT_H_
#define LIB_EXPERIMENT_ARTIFACTS_FIG4_ARTIFACT_H_

#include "lib/experiment/artifacts/artifact.h"

namespace mmc {

const Artifact& Fig4Artifact();

}  // namespace mmc

#endif  // LIB_EXPERIMENT_ARTIFACTS_FIG4_ARTIFACT_H_
